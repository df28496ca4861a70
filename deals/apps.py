from django.apps import AppConfig


class DealsConfig(AppConfig):
    """CRM outcomes: deals with their history, and their ingestion (bulk API, CSV, connectors)."""

    name = "deals"
