"""What is scored on a rubric: a coaching call's scorecard and a practice attempt's review.

Both hold a rubric, the scorer's notes and the weighted overall, and one score row per
criterion; these abstract models declare those fields once (the tables stay each app's own).
The services share the arithmetic: coaching.services.scorecards (`scorecard_overall`,
`rubric_score_errors`).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


def overall_within_0_to_100(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(overall__gte=0, overall__lte=100), name=name)


class ScoredOnRubric(TimeStampedModel):
    """Scored on a rubric; the scorer and what is scored are the concrete model's."""

    rubric = models.ForeignKey("coaching.Rubric", on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(_("notes"), blank=True)
    # Weighted mean of the scores, each scaled to 0-100 by its criterion's scale; stored so that
    # lists show it without loading every score.
    overall = models.DecimalField(max_digits=5, decimal_places=1)

    class Meta:
        abstract = True


class RubricCriterionScore(models.Model):
    """One criterion's score; the row it belongs to is the concrete model's."""

    criterion = models.ForeignKey(
        "coaching.RubricCriterion", on_delete=models.PROTECT, related_name="+"
    )
    # Within the criterion's scale: checked by the scoring service (a check constraint cannot
    # read the criterion row).
    score = models.SmallIntegerField(_("score"))

    class Meta:
        abstract = True
        ordering = ["criterion__position", "criterion_id"]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.score}"
