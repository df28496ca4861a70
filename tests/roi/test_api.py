"""The ROI API: program impact from snapshots, and the money settings."""

from decimal import Decimal

import pytest

from core.models import Organization
from roi.models import RoiSettings
from roi.services import report_refresh_all
from tests.roi.builders import TODAY, build_team
from tests.roi.factories import program_with_courses

pytestmark = pytest.mark.django_db

IMPACT_KEYS = {
    "subject",
    "metric",
    "status",
    "reasons",
    "evidence_grade",
    "gates",
    "estimate",
    "event_study",
    "naive",
    "sample",
    "money",
    "robustness",
    "coverage",
    "notes",
    "data_as_of",
    "computed_at",
}


@pytest.fixture
def reported():  # type: ignore[no-untyped-def]
    team = build_team(n_reps=60, seed=3)
    report_refresh_all(force=True, today=TODAY)
    return team


def test_impact_answers_with_the_issue_fields(reported, client_for):
    response = client_for("leader").get(
        f"/api/v1/roi/programs/{reported.program.slug}/impact?metric=bookings"
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == IMPACT_KEYS
    assert (body["status"], body["evidence_grade"], body["reasons"]) == ("ok", "B", [])
    assert set(body["estimate"]) == {"att", "se", "ci_low", "ci_high", "ci_level", "clusters"}
    assert body["estimate"]["clusters"] == 60
    assert body["estimate"]["ci_low"] < body["estimate"]["att"] < body["estimate"]["ci_high"]
    assert body["estimate"]["ci_level"] == 0.95
    assert set(body["gates"][0]) == {"name", "required", "actual", "passed"}
    assert [g["name"] for g in body["gates"]] == [
        "treated_reps",
        "comparison_reps",
        "pre_months",
        "post_months",
    ]
    assert set(body["event_study"][0]) == {"e", "att", "ci_low", "ci_high"}
    assert set(body["naive"]) == {"before_after", "trained_vs_untrained"}
    assert set(body["sample"]) == {
        "treated_reps",
        "comparison_reps",
        "closed_deals",
        "pre_months",
        "post_months",
        "mde",
        "unconverted_deals",
        "unconverted_won_deals",
        "unconverted_share_pct",
        "unconverted_currencies",
        "covered_months",
    }
    assert body["sample"]["treated_reps"] == 42
    assert (body["sample"]["unconverted_deals"], body["sample"]["unconverted_currencies"]) == (
        0,
        [],
    )
    assert set(body["money"]) == {
        "benefit",
        "cost",
        "roi_pct",
        "roi_ci_low",
        "roi_ci_high",
        "p_roi_positive",
        "break_even_effect",
        "currency",
        "is_withheld",
    }
    assert body["money"]["currency"] == "USD"
    assert body["money"]["is_withheld"] is False
    assert body["robustness"]["is_driven_by_few_deals"] is False
    assert body["robustness"]["is_headline_winsorised"] is False
    assert body["robustness"]["percentile"] == 99.0
    # the simulated CRM's newest time is 15 December 2024: the data covers November last
    assert body["data_as_of"].startswith("2024-12-15T12:00:00")
    assert body["coverage"]["last_month"] == "2024-11"
    assert body["notes"] == [
        "Deal data ends 2024-12; connect or re-import to update.",
        "The estimate uses the months up to 2024-11, the last the data covers.",
    ]


def test_impact_defaults_to_the_program_primary_metric(reported, client_for):
    reported.program.primary_metric = "win_rate"
    reported.program.save()

    body = client_for("admin").get(f"/api/v1/roi/programs/{reported.program.slug}/impact").json()

    assert body["metric"] == "win_rate"


def test_an_unknown_program_is_404_and_an_unknown_metric_400(reported, key_client):
    client = key_client("reports:read")

    missing = client.get("/api/v1/roi/programs/no-such-program/impact")
    bad = client.get(f"/api/v1/roi/programs/{reported.program.slug}/impact?metric=happiness")

    assert missing.status_code == 404
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {
            "field": "metric",
            "message": "Use one of: bookings, win_rate, cycle_days, slip_rate, qualification.",
        }
    ]


def test_a_program_without_a_snapshot_yet_is_collecting_evidence(client_for, cast):
    program = program_with_courses(1)

    body = client_for("leader").get(f"/api/v1/roi/programs/{program.slug}/impact").json()

    assert (body["status"], body["evidence_grade"], body["estimate"]) == (
        "collecting_evidence",
        "D",
        None,
    )
    assert body["reasons"] == ["The first report is being computed."]


def test_collecting_evidence_presents_no_estimate_and_says_what_is_missing(client_for, cast):
    team = build_team(n_reps=30, seed=5, never_trained_share=0.6)
    report_refresh_all(force=True, today=TODAY)

    body = client_for("leader").get(f"/api/v1/roi/programs/{team.program.slug}/impact").json()

    assert body["status"] == "collecting_evidence"
    assert (body["estimate"], body["event_study"], body["money"]["benefit"]) == (None, [], None)
    assert body["reasons"][0] == "12 of 20 trained reps"
    assert body["naive"]["before_after"] is not None


def test_coaching_impact_answers_for_a_known_kind_only(client_for, cast):
    assert client_for("leader").get("/api/v1/roi/coaching/role_play/impact").status_code == 200
    assert client_for("leader").get("/api/v1/roi/coaching/yoga/impact").status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        ("rep", 403),
        ("coach", 403),
        ("manager", 403),
        ("leader", 200),
        ("admin", 200),
        ("key:reports:read", 200),
        ("key:deals:read", 403),
    ],
)
def test_who_may_read_impact(who, status, cast, client_for, key_client):
    program = program_with_courses(1)
    client = key_client(who[4:]) if who and who.startswith("key:") else client_for(who)

    response = client.get(f"/api/v1/roi/programs/{program.slug}/impact")

    assert response.status_code == status


def test_impact_reads_a_constant_number_of_queries(
    reported, key_client, django_assert_max_num_queries
):
    client = key_client("reports:read")
    # Queries: the API key, its last-used stamp, the program, the program's snapshots.
    with django_assert_max_num_queries(4):
        response = client.get(f"/api/v1/roi/programs/{reported.program.slug}/impact")
    assert response.status_code == 200


# --- Settings ----------------------------------------------------------------------------------

GOOD_SETTINGS = {
    "home_currency": "eur",
    "gross_margin_pct": "62.5",
    "rep_hourly_cost": "55",
    "coach_hourly_cost": "80.50",
}


def test_an_admin_reads_and_replaces_the_money_settings(client_for, cast):
    client = client_for("admin")

    before = client.get("/api/v1/roi/settings").json()
    response = client.put(
        "/api/v1/roi/settings", {**GOOD_SETTINGS, "min_treated_reps": 30}, format="json"
    )

    assert before["home_currency"] == "USD"
    assert before["gross_margin_pct"] == "70.00"
    assert response.status_code == 200
    assert response.json() == {
        "home_currency": "EUR",
        "gross_margin_pct": "62.50",
        "rep_hourly_cost": "55.00",
        "coach_hourly_cost": "80.50",
        "min_treated_reps": 30,
        "min_comparison_reps": 20,
        "min_pre_months": 3,
        "post_months_beyond_cycle": 1,
        "default_plausible_effect_pct": "10.00",
        "bootstrap_draws": 999,
        "max_unconverted_share_pct": "2.00",
        "meeting_advance_days": 14,
    }
    saved = RoiSettings.objects.get()
    assert (saved.gross_margin_pct, saved.updated_by) == (Decimal("62.50"), cast.admin)
    assert Organization.current().home_currency == "EUR"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"gross_margin_pct": "-1"}, "gross_margin_pct"),
        ({"gross_margin_pct": "101"}, "gross_margin_pct"),
        ({"rep_hourly_cost": "-0.01"}, "rep_hourly_cost"),
        ({"coach_hourly_cost": "-5"}, "coach_hourly_cost"),
        ({"home_currency": "EURO"}, "home_currency"),
        ({"home_currency": "E1"}, "home_currency"),
        ({"bootstrap_draws": 100}, "bootstrap_draws"),
        ({"min_treated_reps": 0}, "min_treated_reps"),
        ({"gross_margin_pct": None}, "gross_margin_pct"),
    ],
)
def test_bad_settings_are_400_with_the_field_and_nothing_is_written(
    changes, field, client_for, cast
):
    response = client_for("admin").put(
        "/api/v1/roi/settings", {**GOOD_SETTINGS, **changes}, format="json"
    )

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert RoiSettings.current().gross_margin_pct == Decimal("70")
    assert Organization.current().home_currency == "USD"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        ("rep", 403),
        ("manager", 403),
        ("leader", 403),
        ("admin", 200),
        ("key:reports:read", 403),
    ],
)
def test_only_admins_see_and_change_the_settings(who, status, cast, client_for, key_client):
    client = key_client(who[4:]) if who and who.startswith("key:") else client_for(who)

    read = client.get("/api/v1/roi/settings")
    write = client.put("/api/v1/roi/settings", GOOD_SETTINGS, format="json")

    assert (read.status_code, write.status_code) == (status, status)
    if status != 200:
        assert Organization.current().home_currency == "USD"
