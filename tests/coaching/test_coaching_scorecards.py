"""Scoring sessions on rubrics, and the per-criterion trend."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from coaching.models import CriterionScore, Scorecard
from coaching.selectors import criterion_trend
from coaching.services.scorecards import scorecard_record
from tests.coaching.factories import CriterionFactory, RubricFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _done(cast, start=None):  # type: ignore[no-untyped-def]
    start = start or dt.datetime(2025, 1, 10, 10, tzinfo=dt.UTC)
    return SessionFactory(
        coach=cast.coach,
        rep=cast.rep,
        status="completed",
        start=start,
        end=start + dt.timedelta(hours=1),
    )


def test_a_scorecard_records_every_criterion_and_a_weighted_overall(cast, rubric):
    rubric_obj, (pain, buyer, next_step) = rubric
    session = _done(cast)

    scorecard = scorecard_record(
        session=session,
        scored_by=cast.coach,
        rubric=rubric_obj,
        scores={pain.pk: 5, buyer.pk: 3, next_step.pk: 5},
        comments={buyer.pk: "Ask who signs"},
        notes="Strong opening",
    )

    # (1.0 * 1 + 0.5 * 1 + 0.5 * 2) / 4 = 62.5
    assert scorecard.overall == Decimal("62.5")
    assert dict(scorecard.scores.values_list("criterion_id", "score")) == {
        pain.pk: 5,
        buyer.pk: 3,
        next_step.pk: 5,
    }
    assert scorecard.scores.get(criterion=buyer).comment == "Ask who signs"


def test_scoring_again_replaces_the_scores(cast, rubric):
    rubric_obj, (pain, buyer, next_step) = rubric
    session = _done(cast)
    scorecard_record(
        session=session,
        scored_by=cast.coach,
        rubric=rubric_obj,
        scores={pain.pk: 1, buyer.pk: 1, next_step.pk: 0},
    )

    scorecard_record(
        session=session,
        scored_by=cast.coach,
        rubric=rubric_obj,
        scores={pain.pk: 5, buyer.pk: 5, next_step.pk: 10},
    )

    assert Scorecard.objects.get().overall == Decimal("100.0")
    assert CriterionScore.objects.count() == 3


@pytest.mark.parametrize(
    ("scores", "errors"),
    [
        (
            {"pain": 6, "buyer": 0, "next_step": 11},
            {
                "pain": "Identify pain is scored from 1 to 5; 6 is outside the scale.",
                "buyer": "Economic buyer is scored from 1 to 5; 0 is outside the scale.",
                "next_step": "Next step agreed is scored from 0 to 10; 11 is outside the scale.",
            },
        ),
        ({"pain": 3, "buyer": 3}, {"next_step": "Score Next step agreed."}),
    ],
)
def test_scores_outside_the_scale_or_missing_are_refused_and_nothing_is_written(
    cast, rubric, scores, errors
):
    rubric_obj, (pain, buyer, next_step) = rubric
    ids = {"pain": pain.pk, "buyer": buyer.pk, "next_step": next_step.pk}

    with pytest.raises(ValidationError) as caught:
        scorecard_record(
            session=_done(cast),
            scored_by=cast.coach,
            rubric=rubric_obj,
            scores={ids[name]: value for name, value in scores.items()},
        )

    assert caught.value.message_dict == {f"scores.{ids[k]}": [v] for k, v in errors.items()}
    assert Scorecard.objects.count() == 0


def test_a_criterion_of_another_rubric_is_refused(cast, rubric):
    rubric_obj, (pain, buyer, next_step) = rubric
    stranger = CriterionFactory(rubric=RubricFactory(name="Other"))

    with pytest.raises(ValidationError) as caught:
        scorecard_record(
            session=_done(cast),
            scored_by=cast.coach,
            rubric=rubric_obj,
            scores={pain.pk: 1, buyer.pk: 1, next_step.pk: 1, stranger.pk: 3},
        )

    assert caught.value.message_dict == {
        f"scores.{stranger.pk}": ["Not a criterion of this rubric."]
    }


def test_only_completed_sessions_are_scored(cast, rubric):
    rubric_obj, criteria = rubric
    session = SessionFactory(coach=cast.coach, rep=cast.rep)

    with pytest.raises(ValidationError) as caught:
        scorecard_record(
            session=session,
            scored_by=cast.coach,
            rubric=rubric_obj,
            scores={c.pk: 1 for c in criteria},
        )

    assert caught.value.message_dict == {"session": ["Complete the session before scoring it."]}


def test_the_trend_is_the_mean_score_per_criterion_per_month(cast, rubric):
    rubric_obj, (pain, buyer, next_step) = rubric
    jan, feb = (
        dt.datetime(2025, 1, 8, 10, tzinfo=dt.UTC),
        dt.datetime(2025, 2, 5, 10, tzinfo=dt.UTC),
    )
    for start, (p, b, n) in (
        (jan, (2, 1, 2)),
        (jan + dt.timedelta(days=7), (3, 2, 4)),
        (feb, (4, 4, 8)),
    ):
        scorecard_record(
            session=_done(cast, start),
            scored_by=cast.coach,
            rubric=rubric_obj,
            scores={pain.pk: p, buyer.pk: b, next_step.pk: n},
        )
    other = SessionFactory(
        coach=cast.other_coach,
        rep=cast.other_rep,
        status="completed",
        start=jan,
        end=jan + dt.timedelta(hours=1),
    )
    scorecard_record(
        session=other,
        scored_by=cast.other_coach,
        rubric=rubric_obj,
        scores={pain.pk: 5, buyer.pk: 5, next_step.pk: 10},
    )

    # The other rep's session is not the coach's to see.
    trend = criterion_trend(viewer=cast.coach, rubric=rubric_obj)

    assert trend.months == ["2025-01", "2025-02"]
    assert [(s.criterion.name, s.points) for s in trend.series] == [
        ("Identify pain", {"2025-01": Decimal("2.50"), "2025-02": Decimal("4.00")}),
        ("Economic buyer", {"2025-01": Decimal("1.50"), "2025-02": Decimal("4.00")}),
        ("Next step agreed", {"2025-01": Decimal("3.00"), "2025-02": Decimal("8.00")}),
    ]
    assert trend.scorecards == 3
    assert trend.chart_data()["datasets"][0] == {"label": "Identify pain", "data": [2.5, 4.0]}
