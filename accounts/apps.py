from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users (email login), roles, teams, coach assignments, CRM identities and API keys.

    `access.py` here is the access policy: the `Principal` and every rule of who may see and do
    what; the other apps' `access.py` compose it (docs/architecture.md, section 7).
    """

    name = "accounts"

    def ready(self) -> None:
        from accounts import schema  # noqa: F401  (registers the OpenAPI auth extension)
