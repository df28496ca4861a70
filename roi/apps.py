from django.apps import AppConfig


class RoiConfig(AppConfig):
    """The impact engine: rep-month panel, estimators, money, evidence gates, report snapshots."""

    name = "roi"

    def ready(self) -> None:
        # Deals never import roi: they announce their writes and the rep x month summary
        # follows, inside the writing transaction (roi.services.summary).
        from deals.signals import deals_written
        from roi.services.summary import summary_deals_written

        deals_written.connect(summary_deals_written, dispatch_uid="roi.summary")
