"""The efficiency page's trend chart (data for static/js/roi.js, the months table as its
alternative, German words), the queries of the page, one team, the API and the CSV pinned at two
sizes with every input grown, and the three #16 API answers checked against the OpenAPI schema."""

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from jsonschema import Draft202012Validator

from accounts.models import User
from accounts.roles import Role
from coaching.models import SessionStatus
from roi.efficiency.cache import efficiency_reports_warm
from roi.models import ReportSnapshot
from roi.tasks import refresh_all_reports
from tests.coaching.factories import SessionFactory
from tests.deals.factories import activity_row, deal_row
from tests.factories import CrmIdentityFactory, TeamFactory, UserFactory, make_api_key
from tests.roi.factories import complete_program, program_with_courses
from tests.roi.test_efficiency import _months_ago, _rep_history, build_org, graded_snapshot
from tools.models import Tool, ToolPricing, ToolSeat

pytestmark = pytest.mark.django_db

PAGE = "/impact/efficiency/"
API = "/api/v1/roi/efficiency"


def _trend(response) -> dict[str, Any]:
    body = response.content.decode()
    start = body.index('<script id="efficiency-trend" type="application/json">')
    text = body[start:].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(text)


def test_trend_chart_draws_the_months_table_oldest_first(cast, client):
    build_org()
    client.force_login(cast.leader)

    response = client.get(PAGE)

    report = response.context["report"]
    trend = _trend(response)
    months = list(reversed(report.months))
    assert trend["labels"] == [m.label for m in months] and len(months) >= 2
    assert trend["labels"] == sorted(trend["labels"])
    assert trend["tool_spend"] == [m.tool_spend for m in months]
    assert trend["enablement_spend"] == [m.enablement_spend for m in months]
    for key in ("win_rate", "meeting_advance_rate", "slip_rate"):
        assert trend[key] == [m.outcomes[key].value for m in months]
    assert trend["text"]["spend"] == "Spend per rep-month (USD)"
    body = response.content.decode()
    # the chart is an image with a name, the same numbers are in the table under it
    assert 'data-chart="efficiency-trend"' in body and 'role="img"' in body
    assert "the same data is in the table below" in body
    assert 'data-testid="months"' in body
    assert "js/roi.js" in body and "chartjs/chart-" in body
    assert "<script>" not in body  # no inline script: the CSP allows none


def test_trend_chart_is_not_drawn_without_data(cast, client):
    client.force_login(cast.leader)

    body = client.get(PAGE).content.decode()

    assert "efficiency-trend" not in body and "js/roi.js" not in body


def test_trend_chart_speaks_german(cast, client):
    build_org()
    cast.leader.language = "de"
    cast.leader.save(update_fields=["language"])
    client.force_login(cast.leader)

    response = client.get(PAGE)

    trend = _trend(response)
    assert trend["text"]["spend"] == "Ausgaben pro Mitarbeitermonat (USD)"
    assert trend["text"]["win_rate"] == "Abschlussquote (%)"
    body = response.content.decode()
    assert "Verlaufsdiagramm der Ausgaben und Ergebnisse nach Monat" in body


def _count(client, url: str, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def _grow(program) -> None:
    """Six more teams of three reps, each rep with deals, meetings, a completed program, a
    completed coaching hour and a seat of their own; a flat tool without seats."""
    coach = UserFactory(role=Role.COACH)
    tool = Tool.objects.create(
        name="Data",
        category="data",
        pricing=ToolPricing.PER_SEAT,
        monthly_cost=Decimal("120.00"),
        currency="USD",
        starts_on=_months_ago(30).date(),
    )
    Tool.objects.create(
        name="Conferencing",
        category="conferencing",
        pricing=ToolPricing.FLAT,
        monthly_cost=Decimal("900.00"),
        currency="USD",
        starts_on=_months_ago(30).date(),
    )
    for i in range(6):
        team = TeamFactory(name=f"Team X{i}")
        for _j in range(3):
            rep = UserFactory(role=Role.REP, team=team)
            _rep_history(rep, wins=1, losses=1)
            complete_program(program, rep, _months_ago(3))
            start = _months_ago(2, day=3 + i)  # one coach: a day per team, an hour per rep
            SessionFactory(
                coach=coach,
                rep=rep,
                status=SessionStatus.COMPLETED,
                start=start + dt.timedelta(hours=_j),
                end=start + dt.timedelta(hours=_j, minutes=45),
            )
            ToolSeat.objects.create(tool=tool, user=rep, starts_on=_months_ago(30).date())


def test_page_team_api_and_csv_queries_stay_put_when_every_input_grows(cast, client):
    leader_key = make_api_key("reports:read", "users:read")[1]  # users:read: to see teams
    client.force_login(cast.leader)
    build_org(reps_per_team=1)  # no impact refresh yet: every view computes the report
    program = program_with_courses(2, slug="discovery")
    team_a = TeamFactory(name="Team A").pk
    reps_before = client.get(PAGE).context["report"].total.reps  # creates the ROI settings
    urls = {
        "page": (PAGE, {}),
        "team": (PAGE, {"team": team_a}),
        "csv": ("/impact/efficiency/months.csv", {}),
    }
    small = {name: _count(client, url, **params) for name, (url, params) in urls.items()}
    _api_count(leader_key)  # first use of the key records when it was last used
    api_small = _api_count(leader_key)

    _grow(program)
    report = client.get(PAGE).context["report"]
    assert report.total.reps == reps_before + 18
    assert report.total.enablement_spend > 0  # the grown inputs are read

    large = {name: _count(client, url, **params) for name, (url, params) in urls.items()}
    assert large == small
    assert _api_count(leader_key) == api_small
    # session, user, teams, reps, latest refresh (none), organisation, ROI settings, panel (8,
    # 1 for the rep x month summary's state, and 2 for the data coverage before the first
    # refresh), tool spend (6), estimates, enablement (3), stage advances, slip figure; the CSV
    # builds the same report
    assert small == {"page": 31, "team": 31, "csv": 31}
    assert api_small == 30  # the key instead of the session and user


def _api_count(raw_key: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        answer = Client().get(API, HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert answer.status_code == 200, answer.content
    return len(captured)


# --- The answers match the published schema ----------------------------------------------------


def _validator(client, path: str, method: str, status: str) -> Draft202012Validator:
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"][path][method]
    response = operation["responses"][status]["content"]["application/json"]["schema"]
    # The component references ("#/components/schemas/…") resolve against this document.
    return Draft202012Validator({**response, "components": schema["components"]})


def _errors(validator: Draft202012Validator, body: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


def test_efficiency_api_answer_matches_its_schema(cast, client, client_for):
    build_org()
    graded_snapshot()
    validator = _validator(client, API, "get", "200")

    whole = client_for("leader").get(API, {"period": "12m"}).json()
    one_team = client_for("leader").get(API, {"team": TeamFactory(name="Team A").pk}).json()
    empty_period = client_for("leader").get(API, {"period": "3m"}).json()

    assert whole["estimates"] and whole["months"]
    assert _errors(validator, whole) == []
    assert _errors(validator, one_team) == []
    assert _errors(validator, empty_period) == []


def test_activities_bulk_answer_matches_its_schema(cast, client, key_client):
    CrmIdentityFactory(user=cast.rep, source="salesforce", owner_id="005REP")
    writer = key_client("deals:write")
    writer.post("/api/v1/deals/bulk", [deal_row(1)], format="json")
    validator = _validator(client, "/api/v1/activities/bulk", "post", "200")
    bad = {**activity_row(3), "kind": "Telegram"}

    answer = writer.post(
        "/api/v1/activities/bulk", [activity_row(1), activity_row(2), bad], format="json"
    )

    assert answer.status_code == 200
    body = answer.json()
    assert body["created"] == 2 and len(body["errors"]) == 1
    assert _errors(validator, body) == []


def test_tools_bulk_answer_matches_its_schema(cast, client, key_client):
    writer = key_client("tools:write")
    validator = _validator(client, "/api/v1/tools/bulk", "post", "200")
    good = {
        "name": "Outreach",
        "category": "engagement",
        "pricing": "per_seat",
        "monthly_cost": "130.00",
        "currency": "USD",
        "starts_on": "2025-01-01",
        "ends_on": None,
        "seats": [{"email": cast.rep.email, "starts_on": "2025-01-01"}],
    }
    bad = {**good, "name": "Broken", "monthly_cost": "-5"}

    answer = writer.post("/api/v1/tools/bulk", [good, bad], format="json")

    assert answer.status_code == 200
    body = answer.json()
    assert len(body["errors"]) == 1
    assert _errors(validator, body) == []


# --- Read as of the latest refresh (roi.efficiency.cache) ----------------------------------------


@pytest.fixture
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def _refresh() -> None:
    """Stands for an impact refresh: a report written now (what the cache keys on)."""
    graded_snapshot()
    ReportSnapshot.objects.update(computed_at=timezone.now())


def test_after_a_refresh_the_page_reads_the_stored_report_in_four_queries(
    cast, client, empty_cache
):
    build_org(reps_per_team=1)
    _refresh()
    client.force_login(cast.leader)
    first = client.get(PAGE)
    assert first.context["report"].as_of is not None
    assert "Figures as of the latest impact refresh" in first.content.decode()
    small = _count(client, PAGE)

    for i in range(6):
        team = TeamFactory(name=f"Team X{i}")
        for _j in range(3):
            _rep_history(UserFactory(role=Role.REP, team=team), wins=1, losses=1)
    client.get(PAGE)  # new reps in view: a new report, computed once
    large = _count(client, PAGE)

    # session, user, teams, reps, the latest refresh, the tools
    assert small == large == 6
    key = make_api_key("reports:read", "users:read")[1]
    _api_count(key)  # computes and stores the key's view (the same people as the leader's)
    assert _api_count(key) == 5  # the key instead of the session and user


def test_new_deals_wait_for_the_refresh_tools_and_team_moves_do_not(cast, client, empty_cache):
    build_org(reps_per_team=1)
    _refresh()
    client.force_login(cast.leader)
    before = client.get(PAGE).context["report"]
    rep = User.objects.filter(team__name="Team B", role=Role.REP).first()

    _rep_history(rep, wins=3, losses=0)
    same = client.get(PAGE).context["report"]
    ReportSnapshot.objects.update(computed_at=timezone.now() + dt.timedelta(seconds=1))
    refreshed = client.get(PAGE).context["report"]

    assert same.total.outcomes["win_rate"] == before.total.outcomes["win_rate"]
    assert refreshed.total.outcomes["win_rate"].value > before.total.outcomes["win_rate"].value
    tool = Tool.objects.get(name="Dialer")
    tool.monthly_cost = Decimal("1000.00")
    tool.save()
    team_a = client.get(PAGE).context["report"].groups[0]
    assert team_a.label == "Team A" and team_a.tool_spend == pytest.approx(1000.0)
    rep.team = TeamFactory(name="Team A")
    rep.save(update_fields=["team"])
    moved = client.get(PAGE).context["report"]
    assert [g.reps for g in moved.groups] == [
        g.reps + (1 if g.label == "Team A" else -1) for g in refreshed.groups
    ]


def test_a_manager_and_a_leader_do_not_share_a_report(cast, client, empty_cache):
    build_org(reps_per_team=1)
    _refresh()
    client.force_login(cast.leader)
    assert [g.label for g in client.get(PAGE).context["report"].groups] == ["Team A", "Team B"]

    client.force_login(cast.manager)

    assert [g.label for g in client.get(PAGE).context["report"].groups] == ["Team A"]


def test_the_refresh_task_stores_what_leaders_open_first(cast, client, empty_cache):
    build_org(reps_per_team=1)
    _refresh()

    stored = efficiency_reports_warm()

    assert stored == 4 + 2  # every period for everyone, each team for the default period
    client.force_login(cast.leader)
    assert _count(client, PAGE) == 6
    assert _count(client, PAGE, team=TeamFactory(name="Team B").pk) == 6
    assert _count(client, PAGE, period="3m") == 6


def test_the_nightly_refresh_leaves_the_leaders_page_stored(cast, client, empty_cache):
    build_org(reps_per_team=1)
    program = program_with_courses(1, slug="discovery")
    complete_program(program, User.objects.filter(role=Role.REP).first(), _months_ago(3))

    assert refresh_all_reports() > 0  # a report per program and metric, collecting evidence

    client.force_login(cast.leader)
    assert client.get(PAGE).context["report"].as_of is not None
    assert _count(client, PAGE) == 6
