from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared kernel: base model, API error format, pagination, bulk results, health checks."""

    name = "core"

    def ready(self) -> None:
        from core.display import install_template_localtime_guard

        # One row dated 9999-12-31 must not break every page that shows it (core.display).
        install_template_localtime_guard()
