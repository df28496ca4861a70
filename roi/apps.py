from django.apps import AppConfig


class RoiConfig(AppConfig):
    """The impact engine: rep-month panel, estimators, money, evidence gates, report snapshots."""

    name = "roi"
