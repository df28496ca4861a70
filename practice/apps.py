from django.apps import AppConfig


class PracticeConfig(AppConfig):
    """Recorded role-plays: a scenario on a practice lesson, the rep's recordings uploaded in
    chunks, and their review on a coaching rubric with comments pinned to moments."""

    name = "practice"
