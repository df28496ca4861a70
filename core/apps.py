from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared kernel: base model, API error format, pagination, bulk results, health checks,
    and the menu the apps declare (core.navigation)."""

    name = "core"

    def ready(self) -> None:
        from django.core import checks
        from django.utils.module_loading import autodiscover_modules

        from core.display import install_template_localtime_guard
        from core.navigation import check_menu_urls

        # One row dated 9999-12-31 must not break every page that shows it (core.display).
        install_template_localtime_guard()
        # Each app's menu.py registers its entries; the check proves their URL names reverse.
        autodiscover_modules("menu")
        checks.register(check_menu_urls, checks.Tags.urls)
