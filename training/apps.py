from django.apps import AppConfig


class TrainingConfig(AppConfig):
    """Programs (curricula), courses, lessons, quizzes, assignments, progress, completions."""

    name = "training"
