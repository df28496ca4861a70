from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TrainingConfig(AppConfig):
    """Programs (curricula), courses, lessons, quizzes, assignments, progress, completions."""

    name = "training"

    def ready(self) -> None:
        # Schema upkeep, not domain flow: after migrate, put back the SQLite full-text triggers
        # that an ALTER TABLE dropped (training/services/search_index.py).
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="training-search-index")


def _after_migrate(using: str = "default", **_: Any) -> None:
    from training.services.search_index import search_index_ensure  # needs the app registry

    search_index_ensure(using=using)
