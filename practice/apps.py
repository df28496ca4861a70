from django.apps import AppConfig


class PracticeConfig(AppConfig):
    """Recorded role-plays: a scenario on a practice lesson, the rep's recordings uploaded in
    chunks, and their review on a coaching rubric with comments pinned to moments."""

    name = "practice"

    def ready(self) -> None:
        # Review scores join the call scorecards in coaching's per-criterion trends.
        from coaching.score_sources import trend_source_register
        from practice.selectors import review_trend_scores

        trend_source_register(review_trend_scores)
