from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """CRM connections (HubSpot, Salesforce): credentials, stage and field maps, signed webhooks
    in, incremental pull sync. Every connector hands its rows to the deals ingestion service."""

    name = "integrations"
