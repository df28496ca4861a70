from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users (email login), roles, teams, coach assignments, CRM identities and API keys.

    `access.py` here is the one place that decides which people a caller may see; every other
    app builds its own visibility on `visible_users`.
    """

    name = "accounts"

    def ready(self) -> None:
        from accounts import schema  # noqa: F401  (registers the OpenAPI auth extension)
