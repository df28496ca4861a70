"""Real CRM data through the refresh: data that stops early, starts with a stray legacy deal,
has deals without an exchange rate, or one huge deal (issue #10 items 1-3 and 8)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from deals.models import Deal, DealStatus
from roi.models import ReportSnapshot, RoiSettings
from roi.services import report_refresh_all
from tests.roi.builders import TODAY, build_team
from tests.roi.factories import DealFactory, RepFactory, at, complete_program, program_with_courses

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def _snapshot(metric: str = "bookings") -> ReportSnapshot:
    return ReportSnapshot.objects.get(subject_kind="program", metric=metric)


def _page(user, slug: str) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client.get(f"/impact/programs/{slug}/").content.decode()


def test_history_that_ended_17_months_ago_is_estimated_on_its_months_and_says_so(client_for, cast):
    # given 30 months of history (January 2023 to June 2025) with a true positive effect, from
    # an export whose newest CRM time is 15 June 2025, refreshed 17 months after its last month
    team = build_team(n_reps=60, seed=3, n_months=30)
    truth = team.sales.true_simple_att * 1000
    today = dt.date(2026, 11, 20)

    # when the reports are refreshed
    report_refresh_all(force=True, today=today)

    # then the panel ends with May 2025, the last month the data covers, not with October 2026
    snapshot = _snapshot()
    payload = snapshot.payload
    assert payload["window"] == {"first": "2022-06-01", "last": "2025-05-01"}
    assert payload["coverage"]["is_stale"] is True
    assert payload["coverage"]["last_month"] == "2025-05"
    # and the estimate is positive and its interval holds the truth (months after the data ended
    # counted as zero sales used to flip its sign)
    assert snapshot.status == "ok"
    assert snapshot.att > 0
    assert snapshot.ci_low <= truth <= snapshot.ci_high
    # and the snapshot and the API are as of the newest CRM time, and say what to do
    assert snapshot.data_as_of == dt.datetime(2025, 6, 15, 12, tzinfo=UTC)
    body = client_for("leader").get(f"/api/v1/roi/programs/{team.program.slug}/impact").json()
    assert body["data_as_of"].startswith("2025-06-15T12:00:00")
    assert body["coverage"]["is_stale"] is True
    assert body["notes"][:2] == [
        "Deal data ends 2025-06; connect or re-import to update.",
        "The estimate uses the months up to 2025-05, the last the data covers.",
    ]
    # and the report page shows it beside the estimate
    assert "Deal data ends 2025-06; connect or re-import to update." in _page(
        cast.leader, team.program.slug
    )


def test_fresh_data_has_no_freshness_note():
    build_team(n_reps=30, seed=5)
    Deal.objects.update(source_updated_at=dt.datetime(2025, 1, 19, 8, tzinfo=UTC))

    report_refresh_all(force=True, today=TODAY)

    payload = _snapshot().payload
    assert payload["window"]["last"] == "2024-12-01"
    assert payload["coverage"]["is_stale"] is False
    assert payload["coverage"]["data_as_of"] == "2025-01-19T08:00:00+00:00"


def test_a_crm_connection_that_synced_today_covers_the_last_complete_month():
    # given deals whose newest CRM time is mid-December, and a connection synced today
    from integrations.models import CrmConnection

    build_team(n_reps=30, seed=5)
    Deal.objects.update(source="hubspot")
    CrmConnection.objects.create(
        source="hubspot", last_success_at=dt.datetime(2025, 1, 20, 6, tzinfo=UTC)
    )

    report_refresh_all(force=True, today=TODAY)

    # then December is covered: the sync saw everything up to this morning
    payload = _snapshot().payload
    assert payload["window"]["last"] == "2024-12-01"
    assert payload["coverage"]["is_stale"] is False


def test_one_legacy_deal_from_2019_does_not_move_the_start_of_anyone_s_data():
    # given reps hired in 2018 whose CRM history starts in January 2023 (first closes; the first
    # deals were created in December 2022)
    team = build_team(n_reps=60, seed=3, hire_date=dt.date(2018, 1, 1))
    report_refresh_all(force=True, today=TODAY)
    before = _snapshot().payload

    # when one legacy deal from 2019 is imported into the same source
    DealFactory(
        owner=team.reps[0],
        source="sim",
        status=DealStatus.WON,
        amount=Decimal("5000"),
        created_at=at(2019, 3, 4),
        closed_at=at(2019, 4, 2),
    )
    report_refresh_all(force=True, today=TODAY)
    after = _snapshot().payload

    # then the data still starts in January 2023, its first close (no years of zero sales
    # before it), and the report is the same as without the legacy deal
    assert before["coverage"]["sources"][0]["first_month"] == "2023-01"
    assert after["coverage"]["sources"][0]["first_month"] == "2023-01"
    assert after["sample"] == before["sample"]
    assert after["estimate"] == before["estimate"]
    assert after["sample"]["pre_months"] == before["sample"]["pre_months"]


def test_won_deals_without_an_exchange_rate_are_counted_and_withhold_money_above_the_threshold(
    client_for,
):
    # given one won deal in five of 2024 in a currency without any rate
    team = build_team(n_reps=60, seed=3)
    # (January to November: the data's newest CRM time, 15 December, covers November last)
    in_2024 = Deal.objects.filter(closed_at__year=2024, closed_at__month__lt=12).order_by("pk")
    unknown = [pk for i, pk in enumerate(in_2024.values_list("pk", flat=True)) if i % 5 == 0]
    Deal.objects.filter(pk__in=unknown).update(currency="XYZ")
    won = Deal.objects.filter(closed_at__lt=at(2024, 12, 1), status=DealStatus.WON).count()

    # when the reports are refreshed
    report_refresh_all(force=True, today=TODAY)

    # then the report counts and names them
    payload = _snapshot().payload
    sample = payload["sample"]
    assert sample["unconverted_won_deals"] == len(unknown)
    assert sample["won_deals"] == won
    assert sample["unconverted_share_pct"] == round(100 * len(unknown) / won, 2)
    assert sample["unconverted_currencies"] == [{"currency": "XYZ", "deals": len(unknown)}]
    # and, above 2% of won deals, withholds benefit and ROI but keeps the cost and break-even
    money = payload["money"]
    assert payload["money_gate"]["is_withheld"] is True
    assert (money["benefit"], money["roi_pct"], money["p_roi_positive"]) == (None, None, None)
    assert money["cost"] == pytest.approx(0.0) and money["break_even_effect"] is not None
    # and the bookings estimate, which counts each such deal at its month's average converted
    # win (a month whose wins all lack a rate is missing, not 0), is still a positive finding
    snapshot = _snapshot()
    assert snapshot.status == "ok" and snapshot.ci_low > 0
    assert snapshot.roi_pct is None
    # and the API carries the count and says why money is withheld
    body = client_for("leader").get(f"/api/v1/roi/programs/{team.program.slug}/impact").json()
    assert body["sample"]["unconverted_won_deals"] == len(unknown)
    assert body["money"]["is_withheld"] is True
    assert any(note.startswith("Benefit and ROI are withheld") for note in body["notes"])


def test_below_the_threshold_money_is_shown_with_the_count():
    # given the same deals, and an organisation that accepts up to 25%
    build_team(n_reps=60, seed=3)
    # (January to November: the data's newest CRM time, 15 December, covers November last)
    in_2024 = Deal.objects.filter(closed_at__year=2024, closed_at__month__lt=12).order_by("pk")
    unknown = [pk for i, pk in enumerate(in_2024.values_list("pk", flat=True)) if i % 5 == 0]
    Deal.objects.filter(pk__in=unknown).update(currency="XYZ")
    RoiSettings.objects.update_or_create(pk=1, defaults={"max_unconverted_share_pct": 25})

    report_refresh_all(force=True, today=TODAY)

    payload = _snapshot().payload
    assert payload["money_gate"]["is_withheld"] is False
    assert payload["money"]["benefit"] is not None
    assert payload["sample"]["unconverted_won_deals"] == len(unknown)


def test_a_panel_without_a_covered_month_is_collecting_evidence_for_that_reason(client_for):
    # given deals only from this month (a CRM connected this week)
    program = program_with_courses(1)
    for _ in range(3):
        rep = RepFactory()
        DealFactory(
            owner=rep,
            status=DealStatus.WON,
            created_at=at(2025, 1, 6),
            closed_at=at(2025, 1, 9),
            source_updated_at=at(2025, 1, 19),
        )
        complete_program(program, rep, at(2025, 1, 8))

    report_refresh_all(force=True, today=TODAY)

    snapshot = _snapshot()
    assert (snapshot.status, snapshot.payload["blocker"]) == (
        "collecting_evidence",
        "no covered months",
    )
    assert snapshot.payload["sample"]["covered_months"] == 0
    body = client_for("leader").get(f"/api/v1/roi/programs/{program.slug}/impact").json()
    assert body["reasons"][0] == (
        "No whole month is covered by deal data yet: connect the CRM or import deals."
    )


def test_one_huge_deal_is_flagged_and_the_headline_uses_the_winsorised_estimate(cast):
    # given a team with a planted effect, and one won deal 50 times the median after training
    # (a program that plans for a large effect, so that the noisier estimate is still shown)
    program = program_with_courses(1, plausible_effect_pct=Decimal("60"))
    team = build_team(n_reps=60, seed=3, program=program)
    truth = team.sales.true_simple_att * 1000
    report_refresh_all(force=True, today=TODAY)
    clean_snapshot = _snapshot()
    clean = clean_snapshot.payload["robustness"]
    trained = next(i for i, month in enumerate(team.sales.training_month.tolist()) if month)
    median = float(Deal.objects.order_by("amount")[Deal.objects.count() // 2].amount)
    DealFactory(
        owner=team.reps[trained],
        source="sim",
        status=DealStatus.WON,
        amount=Decimal(f"{50 * median:.2f}"),
        created_at=at(2024, 10, 1),
        closed_at=at(2024, 11, 20),
    )

    report_refresh_all(force=True, today=TODAY)

    # then without it the winsorised estimate is close to the headline; with it, it is flagged
    assert clean["is_driven_by_few_deals"] is False
    robustness = _snapshot().payload["robustness"]
    assert robustness["is_driven_by_few_deals"] is True
    assert robustness["percentile"] == 99.0
    assert abs(robustness["winsorised_att"] - clean["att"]) < abs(robustness["att"] - clean["att"])
    assert ReportSnapshot.objects.get(subject_kind="program", is_headline=True).summary[
        "driven_by_few_deals"
    ]
    # and the headline is the winsorised estimate with its own full interval, which holds the
    # truth, where the raw estimate is pulled far from it by the one deal
    snapshot = _snapshot()
    assert clean["is_headline_winsorised"] is False
    assert clean_snapshot.att == pytest.approx(clean["att"])
    assert robustness["is_headline_winsorised"] is True
    assert snapshot.att == pytest.approx(robustness["winsorised_att"])
    assert snapshot.payload["estimate"]["att"] == pytest.approx(robustness["winsorised_att"])
    assert abs(robustness["att"] - truth) > 2 * abs(snapshot.att - truth)
    assert snapshot.ci_low <= truth <= snapshot.ci_high
    width, clean_width = (s.ci_high - s.ci_low for s in (snapshot, clean_snapshot))
    assert width < 1.5 * clean_width
    page = _page(cast.leader, team.program.slug)
    assert "Driven by a few deals" in page
    assert "The headline, its interval and the money use the capped figure." in page


def test_a_crm_clock_ahead_of_ours_does_not_make_the_data_newer_than_today(client_for):
    # given a team whose newest deal carries a CRM time in June 2025, five months after today
    team = build_team(n_reps=60, seed=3)
    newest = Deal.objects.order_by("-closed_at").first()
    assert newest is not None
    Deal.objects.filter(pk=newest.pk).update(source_updated_at=at(2025, 6, 1))

    # when the reports are refreshed on 20 January 2025
    report_refresh_all(force=True, today=TODAY)

    # then the data is as of the end of today at the latest, and the panel ends with December
    # 2024, the month before today's (never a month still under way, nor one ahead)
    snapshot = _snapshot()
    end_of_today = dt.datetime(2025, 1, 21, tzinfo=UTC)
    assert snapshot.data_as_of == end_of_today
    assert snapshot.payload["window"]["last"] == "2024-12-01"
    body = client_for("leader").get(f"/api/v1/roi/programs/{team.program.slug}/impact").json()
    assert dt.datetime.fromisoformat(body["data_as_of"]) == end_of_today
