"""Scoring a completed session on a rubric."""

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from coaching.models import (
    CoachingSession,
    CriterionScore,
    Rubric,
    RubricCriterion,
    Scorecard,
    SessionStatus,
)


def scorecard_overall(criteria: list[RubricCriterion], scores: Mapping[int, int]) -> Decimal:
    """Weighted mean of the scores, each scaled to 0-100 within its criterion's scale."""
    total_weight = sum(c.weight for c in criteria)
    weighted = sum(
        Decimal(c.weight) * Decimal(scores[c.pk] - c.scale_min) / Decimal(c.scale_max - c.scale_min)
        for c in criteria
    )
    return (weighted * 100 / Decimal(total_weight)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def rubric_score_errors(
    criteria: list[RubricCriterion], scores: Mapping[int, int]
) -> dict[str, str]:
    """What is wrong with the scores, per `scores.<criterion id>`: unknown criteria, missing
    scores, scores that are not whole numbers or outside the criterion's scale."""
    known = {c.pk for c in criteria}
    errors = {
        f"scores.{criterion_id}": _("Not a criterion of this rubric.")
        for criterion_id in scores
        if criterion_id not in known
    }
    for c in criteria:
        score = scores.get(c.pk)
        if score is None:
            errors[f"scores.{c.pk}"] = _("Score %(name)s.") % {"name": c.name}
        elif isinstance(score, bool) or not isinstance(score, int):
            errors[f"scores.{c.pk}"] = _("A score is a whole number.")
        elif not c.scale_min <= score <= c.scale_max:
            errors[f"scores.{c.pk}"] = _(
                "%(name)s is scored from %(min)s to %(max)s; %(score)s is outside the scale."
            ) % {"name": c.name, "min": c.scale_min, "max": c.scale_max, "score": score}
    return errors


def scorecard_record(
    *,
    session: CoachingSession,
    scored_by: User | None,
    rubric: Rubric,
    scores: Mapping[int, int],
    comments: Mapping[int, str] | None = None,
    notes: str = "",
) -> Scorecard:
    """Score a completed session: every criterion of the rubric, each within its scale.

    Scoring again replaces the earlier scores. Raises ValidationError naming each bad criterion
    (as `scores.<criterion id>`), having written nothing.
    """
    comments = comments or {}
    if session.status != SessionStatus.COMPLETED:
        raise ValidationError({"session": _("Complete the session before scoring it.")})
    if not rubric.is_active:
        raise ValidationError({"rubric_id": _("This rubric is retired.")})
    criteria = list(rubric.criteria.all())
    if not criteria:
        raise ValidationError({"rubric_id": _("This rubric has no criteria yet.")})
    errors = rubric_score_errors(criteria, scores)
    if errors:
        raise ValidationError(errors)
    overall = scorecard_overall(criteria, scores)
    with transaction.atomic():
        scorecard, _created = Scorecard.objects.update_or_create(
            session=session,
            defaults={
                "rubric": rubric,
                "scored_by": scored_by,
                "notes": notes.strip(),
                "overall": overall,
            },
        )
        scorecard.scores.all().delete()
        CriterionScore.objects.bulk_create(
            CriterionScore(
                scorecard=scorecard,
                criterion=c,
                score=scores[c.pk],
                comment=comments.get(c.pk, "").strip()[:500],
            )
            for c in criteria
        )
    return scorecard
