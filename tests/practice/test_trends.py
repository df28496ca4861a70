"""Practice review scores feed coaching's per-criterion trends next to call scorecards (issue 18):
the same monthly means per criterion, counted for whoever may see the rep's recordings."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from coaching.selectors import criterion_trend
from coaching.services.scorecards import scorecard_record
from practice.models import PracticeAttempt
from practice.services import review_submit
from roi.months import month_number
from roi.selectors import kirkpatrick_behaviour, refresh_watermark
from roi.tables import kirkpatrick_table
from tests.coaching.factories import SessionFactory
from tests.practice.factories import AttemptFactory, make_scenario

pytestmark = pytest.mark.django_db

JAN = dt.datetime(2025, 1, 10, 10, tzinfo=dt.UTC)
FEB = dt.datetime(2025, 2, 12, 10, tzinfo=dt.UTC)


def _reviewed(cast, scenario, *, at: dt.datetime, scores: tuple[int, int]) -> PracticeAttempt:
    attempt = AttemptFactory(scenario=scenario, rep=cast.rep, submitted_at=at)
    first, second = scenario.rubric.criteria.order_by("position")
    review_submit(
        reviewer=cast.coach, attempt=attempt, scores={first.pk: scores[0], second.pk: scores[1]}
    )
    return attempt


def _scorecard(cast, scenario, *, at: dt.datetime, scores: tuple[int, int]) -> None:
    session = SessionFactory(
        coach=cast.coach, rep=cast.rep, status="completed", start=at, end=at + dt.timedelta(hours=1)
    )
    first, second = scenario.rubric.criteria.order_by("position")
    scorecard_record(
        session=session,
        scored_by=cast.coach,
        rubric=scenario.rubric,
        scores={first.pk: scores[0], second.pk: scores[1]},
    )


def test_reviews_and_scorecards_make_one_monthly_mean_per_criterion(cast):
    scenario = make_scenario()
    _scorecard(cast, scenario, at=JAN, scores=(2, 1))
    _reviewed(cast, scenario, at=JAN + dt.timedelta(days=3), scores=(4, 2))
    _reviewed(cast, scenario, at=FEB, scores=(5, 5))

    trend = criterion_trend(viewer=cast.coach, rubric=scenario.rubric, rep_id=cast.rep.pk)

    assert trend.months == ["2025-01", "2025-02"]
    assert [(s.criterion.name, s.points) for s in trend.series] == [
        ("Discovery", {"2025-01": Decimal("3.00"), "2025-02": Decimal("5.00")}),
        ("Next step", {"2025-01": Decimal("1.50"), "2025-02": Decimal("5.00")}),
    ]
    assert trend.scorecards == 3


def test_a_leader_counts_call_scorecards_but_not_practice_reviews(cast):
    # Leaders do not see recordings (accounts.access.practice_reps_q), nor the reviews' scores.
    scenario = make_scenario()
    _scorecard(cast, scenario, at=JAN, scores=(2, 1))
    _reviewed(cast, scenario, at=JAN, scores=(4, 5))

    trend = criterion_trend(viewer=cast.leader, rubric=scenario.rubric, rep_id=cast.rep.pk)

    assert [s.points for s in trend.series] == [
        {"2025-01": Decimal("2.00")},
        {"2025-01": Decimal("1.00")},
    ]
    assert trend.scorecards == 1


@pytest.mark.parametrize("view", ["trends", "rep_history"])
def test_the_trend_pages_show_a_rep_with_only_practice_reviews(cast, view):
    scenario = make_scenario()
    scenario.rubric.name = "Discovery call"
    scenario.rubric.save()
    _reviewed(cast, scenario, at=JAN, scores=(4, 2))
    client = Client()
    client.force_login(cast.coach)
    url = {
        "trends": f"/coaching/trends/?rep={cast.rep.pk}&rubric={scenario.rubric_id}",
        "rep_history": f"/coaching/people/{cast.rep.pk}/",
    }[view]

    page = client.get(url).content.decode()

    assert "Discovery call: mean score per month" in page
    assert "No scorecards yet." not in page
    assert '<th scope="col" class="num">2025-01</th>' in page


# -- The program's behaviour level in ROI (roi.selectors.kirkpatrick_behaviour) --------------


def test_reviews_count_in_the_behaviour_level_before_and_after_training(cast):
    # Trained in March 2025: January and February are before, March onwards after.
    scenario = make_scenario()
    first_treated = {cast.rep.pk: month_number(dt.date(2025, 3, 1))}
    _scorecard(cast, scenario, at=FEB, scores=(1, 1))  # 0 and 0 of 100
    _reviewed(
        cast, scenario, at=JAN, scores=(3, 2)
    )  # 50 and 25: overall (50 + 3 x 25) / 4 = 31.25, stored as 31.3
    _reviewed(cast, scenario, at=dt.datetime(2025, 4, 2, tzinfo=dt.UTC), scores=(5, 4))

    behaviour = kirkpatrick_behaviour(first_treated=first_treated)

    assert (behaviour["scorecards_before"], behaviour["scorecards_after"]) == (1, 0)
    assert behaviour["practice"] == {
        "reviews_before": 1,
        "mean_before": pytest.approx(31.3),
        "reviews_after": 1,
        "mean_after": pytest.approx(81.3),  # (100 + 3 x 75) / 4 = 81.25, stored as 81.3
    }
    # Per criterion, scorecards and reviews together, scaled to 0-100.
    assert behaviour["criteria"] == [
        {
            "name": "Discovery",
            "n_before": 2,
            "mean_before": 25.0,
            "n_after": 1,
            "mean_after": 100.0,
        },
        {"name": "Next step", "n_before": 2, "mean_before": 12.5, "n_after": 1, "mean_after": 75.0},
    ]
    rows = {
        row["measure"]: row["value"]
        for row in kirkpatrick_table({"kirkpatrick": {"behaviour": behaviour}}).rows
    }
    assert rows["Practice review average, 6 months before training"] == pytest.approx(31.3)
    assert rows["Practice review average, 6 months after training"] == pytest.approx(81.3)
    assert rows["Discovery: before → after"] == "25 → 100"


def test_a_new_review_moves_the_refresh_watermark(cast):
    scenario = make_scenario()
    attempt = AttemptFactory(scenario=scenario, rep=cast.rep, submitted_at=JAN)
    before = refresh_watermark(today=dt.date(2025, 6, 1)).digest
    first, second = scenario.rubric.criteria.order_by("position")

    review_submit(reviewer=cast.coach, attempt=attempt, scores={first.pk: 3, second.pk: 3})

    assert refresh_watermark(today=dt.date(2025, 6, 1)).digest != before
