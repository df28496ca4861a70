"""Impact pages: who sees what, what they show, constant queries, CSV of every table."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.roles import Role
from core.models import Organization
from deals.models import DealStatus
from roi.models import EvaluationRollout, ReportSnapshot, RoiSettings
from roi.services import report_refresh_all
from tests.factories import TeamFactory
from tests.roi.builders import TODAY, build_team
from tests.roi.factories import DealFactory, RepFactory, at, complete_program, program_with_courses

pytestmark = pytest.mark.django_db


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def reported(cast):  # type: ignore[no-untyped-def]
    program = program_with_courses(
        1, plausible_effect_pct=Decimal("20"), content_cost=Decimal("20000")
    )
    team = build_team(n_reps=60, seed=3, program=program)
    report_refresh_all(force=True, today=TODAY)
    return team


# --- Who sees what -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("rep", 302),
        ("coach", 302),
        ("manager", 200),
        ("leader", 200),
        ("admin", 200),
    ],
)
def test_the_dashboard_is_for_managers_leaders_and_admins(who, status, cast):
    response = _client(cast[who]).get("/impact/")

    assert response.status_code == status
    if who == "rep":
        assert response["Location"] == f"/impact/reps/{cast.rep.pk}/"
    if who == "coach":
        assert response["Location"] == "/impact/reps/"


def test_anonymous_visitors_are_sent_to_log_in(cast):
    response = Client().get("/impact/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/impact/")


@pytest.mark.parametrize(
    ("who", "status"),
    [("rep", 404), ("coach", 404), ("manager", 200), ("leader", 200), ("admin", 200)],
)
def test_program_pages_and_their_csv_follow_the_dashboard(who, status, reported, cast):
    client = _client(cast[who])
    slug = reported.program.slug

    page = client.get(f"/impact/programs/{slug}/")
    export = client.get(f"/impact/programs/{slug}/bookings/gates.csv")

    assert (page.status_code, export.status_code) == (status, status)


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("rep", {"rep"}),
        ("rep_peer", {"rep_peer"}),
        ("coach", {"rep", "rep_peer"}),
        ("manager", {"rep", "rep_peer"}),
        ("other_manager", {"other_rep"}),
        ("leader", {"rep", "rep_peer", "other_rep"}),
        ("admin", {"rep", "rep_peer", "other_rep"}),
    ],
)
def test_a_rep_view_is_seen_by_the_rep_and_the_people_who_may_see_them(who, sees, cast):
    client = _client(cast[who])

    visible = {
        name
        for name in ("rep", "rep_peer", "other_rep")
        if client.get(f"/impact/reps/{cast[name].pk}/").status_code == 200
    }
    exports = {
        name
        for name in ("rep", "rep_peer", "other_rep")
        if client.get(f"/impact/reps/{cast[name].pk}/rep_months.csv").status_code == 200
    }

    assert visible == sees
    assert exports == sees


def test_the_reps_list_shows_whom_the_viewer_may_see(cast):
    body = _client(cast.coach).get("/impact/reps/").content.decode()

    assert "Remy Rep" in body and "Pat Peer" in body
    assert "Otto Rep" not in body


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("rep", 404),
        ("coach", 404),
        ("manager", 200),
        ("other_manager", 404),
        ("leader", 200),
        ("admin", 200),
    ],
)
def test_a_team_view_is_for_its_manager_leaders_and_admins(who, status, cast):
    team_a = cast.manager.managed_teams.get()

    assert _client(cast[who]).get(f"/impact/teams/{team_a.pk}/").status_code == status
    assert (
        _client(cast[who]).get(f"/impact/teams/{team_a.pk}/team_months.csv").status_code == status
    )


@pytest.mark.parametrize(("who", "status"), [("manager", 404), ("leader", 404), ("admin", 200)])
def test_settings_are_for_admins(who, status, cast):
    assert _client(cast[who]).get("/impact/settings/").status_code == status


def test_a_refused_settings_change_writes_nothing(cast):
    response = _client(cast.leader).post(
        "/impact/settings/",
        {
            "home_currency": "EUR",
            "gross_margin_pct": "10",
            "rep_hourly_cost": "1",
            "coach_hourly_cost": "1",
            "min_treated_reps": 1,
            "min_comparison_reps": 1,
            "min_pre_months": 1,
            "post_months_beyond_cycle": 0,
            "default_plausible_effect_pct": "5",
            "bootstrap_draws": 999,
        },
    )

    assert response.status_code == 404
    assert RoiSettings.current().gross_margin_pct == Decimal("70")


def test_an_admin_saves_settings_and_a_negative_cost_is_refused(cast):
    client = _client(cast.admin)
    form = {
        "home_currency": "gbp",
        "gross_margin_pct": "55",
        "rep_hourly_cost": "45",
        "coach_hourly_cost": "75",
        "min_treated_reps": 25,
        "min_comparison_reps": 20,
        "min_pre_months": 3,
        "post_months_beyond_cycle": 1,
        "default_plausible_effect_pct": "10",
        "bootstrap_draws": 999,
        "max_unconverted_share_pct": "2",
    }

    refused = client.post("/impact/settings/", {**form, "rep_hourly_cost": "-1"})
    saved = client.post("/impact/settings/", form)

    assert refused.status_code == 200
    assert "Enter zero or more." in refused.content.decode()
    assert saved.status_code == 302
    settings = RoiSettings.current()
    assert (settings.min_treated_reps, settings.rep_hourly_cost) == (25, Decimal("45.00"))


# --- What the pages show -----------------------------------------------------------------------


def test_the_dashboard_lists_programs_with_effect_roi_grade_and_freshness(reported, cast):
    body = _client(cast.leader).get("/impact/").content.decode()

    snapshot = ReportSnapshot.objects.get(subject_key=reported.program.slug, is_headline=True)
    assert reported.program.title in body
    assert "Evidence sufficient" in body
    assert "Grade B" in body
    assert f"+${round(snapshot.att):,}" in body
    assert "Computed " in body and "data as of" in body


def test_the_dashboard_says_what_a_program_still_needs(cast):
    build_team(n_reps=30, seed=5, never_trained_share=0.6)
    waiting = program_with_courses(1, title="Brand new program")
    report_refresh_all(force=True, today=TODAY)
    waiting_again = program_with_courses(1, title="Added after the refresh")

    body = _client(cast.leader).get("/impact/").content.decode()

    assert "Collecting evidence" in body
    assert "12 of 20 trained reps" in body
    assert waiting.title in body
    assert waiting_again.title in body
    assert "The first report is being computed." in body


def test_the_program_page_shows_the_estimate_beside_the_naive_figures(reported, cast):
    body = _client(cast.leader).get(f"/impact/programs/{reported.program.slug}/").content.decode()

    snapshot = ReportSnapshot.objects.get(subject_key=reported.program.slug, metric="bookings")
    naive = snapshot.payload["naive"]["before_after"]
    assert "What a naive tool would say" in body
    assert f"+${round(snapshot.att):,}" in body
    assert f"+${round(naive):,}" in body
    assert 'data-chart="event-study"' in body
    assert 'data-chart="roi"' in body
    assert body.count("Show as a table") == 2
    assert "From reaction to results" in body


def test_a_metric_tab_shows_that_metric(reported, cast):
    body = (
        _client(cast.leader)
        .get(f"/impact/programs/{reported.program.slug}/?metric=cycle_days")
        .content.decode()
    )

    assert '<a href="?metric=cycle_days" aria-current="page">Cycle days</a>' in body
    assert "Money is always computed from the effect on bookings." in body


def test_csv_exports_hold_the_table_rows_unformatted(reported, cast):
    client = _client(cast.leader)
    slug = reported.program.slug

    response = client.get(f"/impact/programs/{slug}/bookings/event_study.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))

    snapshot = ReportSnapshot.objects.get(subject_key=slug, metric="bookings")
    first = snapshot.payload["event_study"][0]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{slug}-bookings-event_study.csv"'
    )
    assert rows[0] == ["Months since training", "Effect", "95% interval from", "to"]
    assert rows[1][0] == str(first["e"])
    assert float(rows[1][1]) == pytest.approx(first["att"], rel=1e-5)
    assert len(rows) == len(snapshot.payload["event_study"]) + 1


@pytest.mark.parametrize(
    "table",
    [
        "estimate",
        "event_study",
        "roi_distribution",
        "money",
        "gates",
        "sample",
        "kirkpatrick",
        "cells",
        "rollout",
    ],
)
def test_every_report_table_exports(table, reported, cast):
    response = _client(cast.leader).get(
        f"/impact/programs/{reported.program.slug}/bookings/{table}.csv"
    )

    assert response.status_code == 200
    assert len(response.content.decode().splitlines()) >= 1


def test_an_unknown_table_or_metric_in_an_export_is_404(reported, cast):
    client = _client(cast.leader)
    slug = reported.program.slug

    assert client.get(f"/impact/programs/{slug}/bookings/nonsense.csv").status_code == 404
    assert client.get(f"/impact/programs/{slug}/happiness/gates.csv").status_code == 404
    assert client.get("/impact/programs/no-such/bookings/gates.csv").status_code == 404


def test_the_rep_view_shows_their_months_and_trainings(cast):
    program = program_with_courses(1, title="Discovery sprint")
    cast.rep.hire_date = dt.date(2024, 1, 1)
    cast.rep.save()
    DealFactory(
        owner=cast.rep,
        status=DealStatus.WON,
        amount=Decimal("1234"),
        created_at=timezone.now() - dt.timedelta(days=90),
        closed_at=timezone.now() - dt.timedelta(days=40),
        source_updated_at=timezone.now(),  # the CRM is in use: the data reaches today
    )
    complete_program(program, cast.rep, timezone.now() - dt.timedelta(days=60))

    body = _client(cast.rep).get(f"/impact/reps/{cast.rep.pk}/").content.decode()

    assert "Your deals and training" in body
    assert "Discovery sprint" in body
    assert "$1,234" in body
    assert 'data-chart="bookings"' in body


def test_the_program_page_of_an_evaluation_program_offers_admins_the_draw(cast):
    program = program_with_courses(1, is_evaluation=True)

    admin_body = _client(cast.admin).get(f"/impact/programs/{program.slug}/").content.decode()
    leader_body = _client(cast.leader).get(f"/impact/programs/{program.slug}/").content.decode()

    assert "Draw and record the rollout" in admin_body
    assert "Draw and record the rollout" not in leader_body


def test_an_admin_draws_a_rollout_from_the_program_page(cast):
    program = program_with_courses(1, is_evaluation=True)
    start = (timezone.now() + dt.timedelta(days=10)).date()
    form = {
        "first_wave_starts_on": start.isoformat(),
        "n_waves": 2,
        "wave_spacing_months": 3,
        "prior_months": 6,
        "seed": 5,
    }

    refused = _client(cast.leader).post(f"/impact/programs/{program.slug}/rollout/", form)
    drawn = _client(cast.admin).post(f"/impact/programs/{program.slug}/rollout/", form)
    again = _client(cast.admin).post(f"/impact/programs/{program.slug}/rollout/", form)

    assert refused.status_code == 404
    assert (drawn.status_code, again.status_code) == (302, 302)
    rollout = EvaluationRollout.objects.get()
    assert (rollout.seed, rollout.assignments.count()) == (5, 2)
    body = _client(cast.leader).get(f"/impact/programs/{program.slug}/").content.decode()
    assert "Recorded assignment" in body


# --- Constant queries --------------------------------------------------------------------------


def _more_programs(n: int) -> None:
    for _ in range(n):
        program = program_with_courses(1)
        rep = RepFactory()
        complete_program(program, rep, at(2024, 6, 1))


def test_the_dashboard_reads_snapshots_in_constant_queries(cast, django_assert_max_num_queries):
    _more_programs(6)
    report_refresh_all(force=True, today=TODAY)
    client = _client(cast.leader)

    # Queries: session, user, headline snapshots, programs, refresh state, organisation, teams.
    with django_assert_max_num_queries(7):
        assert client.get("/impact/").status_code == 200


def test_the_program_page_reads_snapshots_in_constant_queries(
    reported, cast, django_assert_max_num_queries
):
    _more_programs(4)
    report_refresh_all(force=True, today=TODAY)
    client = _client(cast.leader)

    # Queries: session, user, the program, its snapshots.
    with django_assert_max_num_queries(4):
        assert client.get(f"/impact/programs/{reported.program.slug}/").status_code == 200


def test_team_and_rep_views_take_constant_queries(cast, django_assert_max_num_queries):
    team = TeamFactory(name="Big team", manager=cast.manager)
    program = program_with_courses(2)
    for i in range(12):
        rep = RepFactory(team=team)
        for month in range(1, 4):
            DealFactory(
                owner=rep,
                status=DealStatus.WON,
                created_at=at(2024, 1, 2),
                closed_at=at(2024, month, 9),
            )
        if i % 2:
            complete_program(program, rep, at(2024, 2, 1))
    Organization.current()
    report_refresh_all(force=True, today=dt.date(2024, 5, 20))
    client = _client(cast.leader)

    # Queries: session, user, team, reps, organisation, the latest refresh's data coverage (not a
    # pass over every deal), panel (8 from the deals: no summary built), program sizes,
    # completions.
    with django_assert_max_num_queries(16):
        assert client.get(f"/impact/teams/{team.pk}/").status_code == 200
    # Queries: session, user, rep, organisation, stored data coverage, panel (8 from the deals:
    # no summary built), program sizes, completions, coaching firsts, program snapshots.
    with django_assert_max_num_queries(17):
        assert client.get(f"/impact/reps/{rep.pk}/").status_code == 200


def test_a_program_without_snapshots_says_the_report_is_coming(cast):
    program = program_with_courses(1, title="Fresh program")

    body = _client(cast.leader).get(f"/impact/programs/{program.slug}/").content.decode()

    assert "The first report is being computed." in body
    assert "Not computed yet." in body


def test_managers_see_the_dashboard_but_only_their_teams(cast):
    TeamFactory(name="Someone else's team")

    body = _client(cast.manager).get("/impact/").content.decode()

    assert "Team A" in body
    assert "Someone else" not in body
    assert cast.manager.role == Role.MANAGER


@pytest.mark.parametrize(
    ("who", "shown"),
    [("rep", False), ("coach", False), ("manager", True), ("leader", True), ("admin", True)],
)
def test_the_home_page_shows_impact_to_those_who_read_reports(who, shown, reported, cast):
    body = _client(cast[who]).get("/").content.decode()

    snapshot = ReportSnapshot.objects.get(subject_key=reported.program.slug, is_headline=True)
    assert ("Programs with a measured effect" in body) is shown
    if shown:
        assert f"Best return: {snapshot.title}, ROI {snapshot.roi_pct:,.0f}%." in body


def test_the_home_pages_best_return_is_grouped_in_german(reported, cast):
    # "ROI 1,489 %" in a German sentence reads as one and a half per cent
    cast.manager.language = "de"
    cast.manager.save(update_fields=["language"])
    snapshot = ReportSnapshot.objects.get(subject_key=reported.program.slug, is_headline=True)
    ReportSnapshot.objects.filter(pk=snapshot.pk).update(roi_pct=1489.4)

    body = _client(cast.manager).get("/").content.decode()

    assert f"Beste Rendite: {snapshot.title}, ROI 1.489 %." in body


@pytest.mark.parametrize(
    ("who", "status"),
    [("rep", 404), ("coach", 404), ("manager", 200), ("leader", 200), ("admin", 200)],
)
def test_coaching_reports_follow_the_dashboard(who, status, cast):
    client = _client(cast[who])

    page = client.get("/impact/coaching/role_play/")
    export = client.get("/impact/coaching/role_play/bookings/gates.csv")

    assert (page.status_code, export.status_code) == (status, status)
    assert _client(cast.leader).get("/impact/coaching/yoga/").status_code == 404


@pytest.mark.parametrize(("who", "status"), [("rep", 404), ("leader", 200)])
def test_the_dashboard_export_follows_the_dashboard(who, status, cast):
    response = _client(cast[who]).get("/impact/dashboard/programs.csv")

    assert response.status_code == status
    if status == 200:
        assert response.content.decode().splitlines()[0] == (
            "Subject,Metric,Status,Effect per rep-month,95% interval from,to,ROI (%),Evidence grade"
        )
