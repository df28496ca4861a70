from django.apps import AppConfig


class CoachingConfig(AppConfig):
    """Coaching sessions and scheduling, scorecards, post-mortems and commitments."""

    name = "coaching"
