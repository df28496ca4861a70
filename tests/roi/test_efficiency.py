"""The efficiency vs effectiveness page and GET /api/v1/roi/efficiency: spend beside outcomes,
each number with how sure it is, visibility through accounts.access, CSV, empty state, and a
constant number of queries at two sizes."""

import csv
import datetime as dt
import io
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from deals.models import DealField, DealStatus
from deals.stages import stage_advances
from roi.efficiency.stats import MIN_REPS, Figure, median_figure, ratio_figure
from roi.models import ReportSnapshot
from roi.months import add_months, month_start
from tests.deals.factories import ActivityFactory
from tests.factories import TeamFactory, UserFactory
from tests.roi.factories import DealChangeFactory, DealFactory
from tools.models import Tool, ToolPricing, ToolSeat

pytestmark = pytest.mark.django_db

PAGE = "/impact/efficiency/"
API = "/api/v1/roi/efficiency"


def _months_ago(n: int, day: int = 10) -> dt.datetime:
    first = add_months(month_start(timezone.now().date()), -n)
    return dt.datetime(first.year, first.month, day, 12, tzinfo=dt.UTC)


def _rep_history(rep, *, wins: int, losses: int, months_back: int = 2) -> None:
    """Closed deals two months back (inside every period), each with a stage move."""
    for i in range(wins + losses):
        created = _months_ago(months_back + 2)
        closed = _months_ago(months_back + i % 2, day=5 + i % 20)
        deal = DealFactory(
            owner=rep,
            status=DealStatus.WON if i < wins else DealStatus.LOST,
            created_at=created,
            closed_at=closed,
            expected_close_date=closed.date(),
            stage="Proposal",
            source_updated_at=timezone.now(),
        )
        DealChangeFactory(
            deal=deal,
            field=DealField.STAGE,
            old_value="Discovery",
            new_value="Proposal",
            changed_at=created + dt.timedelta(days=10),
        )
        # a meeting three days before closing: it advanced the deal when the deal was won
        ActivityFactory(deal=deal, owner=rep, occurred_at=closed - dt.timedelta(days=3))


def build_org(reps_per_team: int = 3):
    """Team A (the cast's) holds a $500 per-seat tool; Team B none."""
    tool = Tool.objects.create(
        name="Dialer",
        category="dialer",
        pricing=ToolPricing.PER_SEAT,
        monthly_cost=Decimal("500.00"),
        currency="USD",
        starts_on=_months_ago(30).date(),
    )
    for name in ("Team A", "Team B"):
        team = TeamFactory(name=name)
        for i in range(reps_per_team):
            UserFactory(role=Role.REP, team=team, full_name=f"{name} rep {i}")
        for rep in User.objects.filter(team=team, role=Role.REP):
            _rep_history(rep, wins=2, losses=1 if name == "Team A" else 2)
        if name == "Team A":
            ToolSeat.objects.create(tool=tool, team=team, starts_on=_months_ago(30).date())
    return tool


def _names(rows):
    return [r.label for r in rows]


def test_leader_sees_every_team_with_spend_beside_outcomes(cast, client):
    build_org()
    client.force_login(cast.leader)

    response = client.get(PAGE)

    assert response.status_code == 200
    report = response.context["report"]
    assert _names(report.groups) == ["Team A", "Team B"]
    team_a, team_b = report.groups
    assert (team_a.reps, team_b.reps) == (5, 4)  # the cast's two reps joined Team A
    assert team_a.tool_spend == pytest.approx(500.0)
    assert team_b.tool_spend == pytest.approx(0.0)
    assert report.total.tool_spend == pytest.approx(500.0 * 5 / 9)
    assert team_a.outcomes["win_rate"].value == pytest.approx(200 / 3)
    assert team_b.outcomes["win_rate"].value == pytest.approx(50.0)
    assert team_a.outcomes["meeting_advance_rate"].value == pytest.approx(200 / 3)
    assert team_a.outcomes["meetings_per_rep_month"].value == pytest.approx(
        3 * 5 / team_a.rep_months
    )
    assert report.stages[0].stage == "Discovery"
    assert report.stages[0].days.value == 10
    win = report.total.outcomes["win_rate"]
    assert win.n == 9 and win.low is not None and win.low < win.value < win.high
    body = response.content.decode()
    assert "95% interval" in body and "exact, from records" in body
    assert "Descriptive:" in body and "Causal:" in body


def test_manager_sees_only_their_team_and_not_another(cast, client):
    build_org()
    client.force_login(cast.manager)

    report = client.get(PAGE).context["report"]
    other = TeamFactory(name="Team B")

    assert _names(report.groups) == ["Team A"]
    assert client.get(PAGE, {"team": other.pk}).status_code == 404
    assert client.get(PAGE, {"team": "x"}).status_code == 404


def test_one_team_lists_its_reps(cast, client):
    build_org()
    client.force_login(cast.leader)
    team = TeamFactory(name="Team A")

    response = client.get(PAGE, {"team": team.pk, "period": "6m"})

    report = response.context["report"]
    assert report.period == "6m"
    assert len(report.groups) == 5 and all(r.rep_id for r in report.groups)
    assert f"/impact/reps/{report.groups[0].rep_id}/" in response.content.decode()


@pytest.mark.parametrize("who", ["rep", "coach"])
def test_reps_and_coaches_do_not_get_the_page(cast, client, who):
    client.force_login(cast[who])
    assert client.get(PAGE).status_code == 404
    assert client.get("/impact/efficiency/groups.csv").status_code == 404


def test_bad_period_is_a_clear_400(cast, client, client_for):
    client.force_login(cast.leader)

    page = client.get(PAGE, {"period": "7y"})
    api = client_for("leader").get(API, {"period": "7y"})
    bad_team = client_for("leader").get(API, {"team": "12x"})

    assert page.status_code == 400 and "Use one of" in page.content.decode()
    assert api.status_code == 400 and "period" in api.json()["errors"][0]["field"]
    assert bad_team.status_code == 400


def test_api_answers_leaders_with_intervals_and_refuses_managers(cast, client_for):
    build_org()

    answer = client_for("leader").get(API, {"period": "12m"})
    manager = client_for("manager").get(API)

    assert answer.status_code == 200
    data = answer.json()
    assert [g["label"] for g in data["groups"]] == ["Team A", "Team B"]
    win = data["total"]["outcomes"]["win_rate"]
    assert set(win) == {"value", "ci_low", "ci_high", "n"} and win["n"] == 9
    assert data["groups"][0]["tool_spend_per_rep_month"] == pytest.approx(500.0)
    assert data["stages"][0]["days"]["value"] == 10
    assert manager.status_code == 403
    assert client_for("leader").get(API, {"team": 999999}).status_code == 404
    one_team = client_for("leader").get(API, {"team": TeamFactory(name="Team B").pk}).json()
    assert one_team["team_id"] and len(one_team["groups"]) == 4
    assert all(g["rep_id"] for g in one_team["groups"])


def test_csv_exports_the_tables_the_page_shows(cast, client):
    build_org()
    client.force_login(cast.leader)

    response = client.get("/impact/efficiency/groups.csv", {"period": "12m"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))

    assert response["Content-Type"].startswith("text/csv")
    assert rows[0][:4] == ["Team", "Reps", "Rep-months", "Tool spend per rep-month"]
    assert [r[0] for r in rows[1:]] == ["Team A", "Team B", "Everyone in view"]
    assert float(rows[1][3]) == pytest.approx(500.0)
    assert client.get("/impact/efficiency/nope.csv").status_code == 404
    assert client.get("/impact/efficiency/groups.csv", {"period": "1d"}).status_code == 400


def test_empty_state_before_any_data(cast, client, client_for):
    client.force_login(cast.leader)

    response = client.get(PAGE)

    assert response.status_code == 200
    assert response.context["report"].is_empty
    assert "Nothing to compare yet" in response.content.decode()
    assert client_for("leader").get(API).json()["total"]["rep_months"] == 0


def _queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(PAGE, params).status_code == 200
    return len(captured)


def test_queries_do_not_grow_with_reps_or_teams(cast, client):
    client.force_login(cast.leader)
    build_org(reps_per_team=1)
    client.get(PAGE)  # first visit: the ROI settings row is created
    small = _queries(client)
    team_small = _queries(client, team=TeamFactory(name="Team A").pk)
    for i in range(6):
        team = TeamFactory(name=f"Team X{i}")
        for _j in range(3):
            _rep_history(UserFactory(role=Role.REP, team=team), wins=1, losses=1)

    assert _queries(client) == small
    assert _queries(client, team=TeamFactory(name="Team A").pk) == team_small
    # session, user, teams, reps, latest refresh (none yet: computed now, roi.efficiency.cache),
    # organisation, ROI settings, panel (9 from the deals: no summary built; and 2 for the data
    # coverage before the first refresh), tool spend (6), estimates, enablement (3), stage
    # advances, slip figure
    assert small == 31


def graded_snapshot() -> None:
    """A program's bookings report with a grade-B finding: +600 (200 to 1,000) per trained
    rep-month, for 24,000 over 120 trained rep-months."""
    ReportSnapshot.objects.create(
        subject_kind="program",
        subject_key="discovery",
        title="Discovery playbook",
        metric="bookings",
        is_headline=True,
        status="ok",
        evidence_grade="B",
        att=600.0,
        ci_low=200.0,
        ci_high=1000.0,
        payload={
            "money": {
                "cost": 24000.0,
                "trained_rep_months": 120.0,
                "cost_lines": [{"name": "seats", "quantity": 10, "unit_cost": 100}],
            }
        },
        computed_at=timezone.now(),
        inputs_hash="x",
    )


def test_graded_estimate_shows_effect_per_dollar(cast, client):
    build_org()
    graded_snapshot()
    client.force_login(cast.leader)

    report = client.get(PAGE).context["report"]

    (row,) = report.estimates
    assert row.cost_per_trained_rep_month == pytest.approx(200.0)
    assert row.bookings_per_currency_unit == Figure(3.0, 1.0, 5.0)


# Intervals


def test_ratio_interval_over_reps():
    equal = ratio_figure(np.array([2.0, 2.0, 2.0]), np.array([4.0, 4.0, 4.0]), scale=100)
    spread = ratio_figure(np.array([0.0, 2.0, 4.0, 1.0]), np.array([4.0, 4.0, 4.0, 4.0]))
    few = ratio_figure(np.array([1.0] * (MIN_REPS - 1)), np.array([2.0] * (MIN_REPS - 1)))

    assert equal == Figure(50.0, 50.0, 50.0, 3)
    assert spread.value == pytest.approx(7 / 16)
    assert spread.low < spread.value < spread.high
    assert few.value == 0.5 and few.low is None and few.n == MIN_REPS - 1
    assert ratio_figure(np.zeros(3), np.zeros(3)) == Figure(None, n=0)


def test_percent_interval_stays_within_0_and_100():
    figure = ratio_figure(
        np.array([1.0, 0.0, 1.0]), np.array([1.0, 1.0, 1.0]), scale=100, bounds=(0, 100)
    )
    assert figure.low >= 0 and figure.high <= 100


def test_median_interval_from_order_statistics():
    assert median_figure(list(range(1, 21))) == Figure(10.5, 6.0, 15.0, 20)
    assert median_figure([4, 1, 9]) == Figure(4.0, n=3)
    assert median_figure([]) == Figure(None)


# Stage-advance time


def test_stage_advances_from_creation_or_the_previous_move_leaving_out_losses():
    team = TeamFactory(name="Counted")
    rep = UserFactory(role=Role.REP, team=team)
    created = dt.datetime(2025, 1, 1, 9, tzinfo=dt.UTC)
    deal = DealFactory(owner=rep, created_at=created)
    DealChangeFactory(
        deal=deal,
        field=DealField.STAGE,
        old_value="Discovery",
        new_value="Demo",
        changed_at=created + dt.timedelta(days=7),
    )
    DealChangeFactory(
        deal=deal,
        field=DealField.STAGE,
        old_value="Demo",
        new_value="Proposal",
        changed_at=created + dt.timedelta(days=19),
    )
    lost = DealFactory(owner=rep, created_at=created)
    when = created + dt.timedelta(days=30)
    DealChangeFactory(
        deal=lost,
        field=DealField.STAGE,
        old_value="Discovery",
        new_value="Closed lost",
        changed_at=when,
    )
    DealChangeFactory(
        deal=lost, field=DealField.STATUS, old_value="open", new_value="lost", changed_at=when
    )
    other = DealFactory(owner=UserFactory(role=Role.REP, team=team), created_at=created)
    DealChangeFactory(
        deal=other,
        field=DealField.STAGE,
        old_value="Discovery",
        new_value="Demo",
        changed_at=created + dt.timedelta(days=3),
    )

    window = {"start_at": created, "end_at": created + dt.timedelta(days=365)}
    advances = stage_advances(owner_ids=[rep.pk], **window)
    by_team = stage_advances(owner_ids=[rep.pk, other.owner_id], by="team", **window)

    assert sorted((a.group_id, a.stage, a.days, a.count) for a in advances) == [
        (rep.pk, "Demo", 12, 1),
        (rep.pk, "Discovery", 7, 1),
    ]
    assert sorted((a.group_id, a.stage, a.days, a.count) for a in by_team) == [
        (team.pk, "Demo", 12, 1),
        (team.pk, "Discovery", 3, 1),
        (team.pk, "Discovery", 7, 1),
    ]
