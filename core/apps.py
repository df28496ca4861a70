from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared kernel: base model, API error format, pagination, bulk results, health checks."""

    name = "core"
