"""Inference and reporting rules of issue #10, each through the real refresh path: factories ->
report_refresh_all -> stored snapshot."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.test import Client
from scipy.stats import t as student_t

from accounts.models import User
from roi.models import ProgramPlanFreeze, ReportSnapshot, RoiSettings
from roi.services import report_refresh_all
from tests.factories import TeamFactory
from tests.roi.builders import TODAY, build_team
from tests.roi.factories import RepFactory, complete_program, program_with_courses
from training.models import Assignment, Completion, ProgramPlanChange
from training.services import program_update

pytestmark = pytest.mark.django_db


def _snapshot(metric: str = "bookings") -> ReportSnapshot:
    return ReportSnapshot.objects.get(metric=metric, subject_kind="program")


def _page(user: User, slug: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(f"/impact/programs/{slug}/?metric=bookings")
    assert response.status_code == 200
    return response.content.decode()


def test_a_real_30_percent_effect_in_240_reps_is_shown_with_grade_c_and_the_design_check(cast):
    # given 240 reps and a real +30% effect, under a plan whose plausible effect (1%) is smaller
    # than the study can reliably detect
    program = program_with_courses(1, plausible_effect_pct=Decimal("1"))
    # (deals created in the month they close: with 40-day cycles the first month of the panel
    # holds only created deals, a zero month that the panel's per-rep data start must drop)
    team = build_team(n_reps=240, seed=5, effect=30.0, program=program, cycle_days=10)
    truth = team.sales.true_simple_att * 1000

    # when the reports are refreshed
    report_refresh_all(force=True, today=TODAY)

    # then the estimate is shown (not "collecting evidence"), graded C, and holds the truth
    snapshot = _snapshot()
    payload = snapshot.payload
    assert (snapshot.status, snapshot.evidence_grade) == ("ok", "C")
    assert snapshot.ci_low <= truth <= snapshot.ci_high
    # and the design check says how likely this design detects the planned 1% and how much a
    # significant estimate of it would exaggerate
    power = payload["power"]
    assert power["is_powered"] is False
    assert power["plausible_effect_pct"] == 1.0
    assert power["mde_pct"] > 1.0
    assert 0.05 < power["power"] < 0.8
    assert power["exaggeration"] > 1.1
    assert 0.0 <= power["type_s"] < 0.05
    # and the gates are the sample gates only, all passed
    assert [g["name"] for g in payload["gates"] if not g["passed"]] == []
    # and the page says it in words
    page = _page(cast.leader, program.slug)
    assert "Grade C: this study is small for the effect its plan expects." in page
    assert "the chance this design detects the planned effect of 1% of the level" in page


def test_a_powered_study_with_a_clean_pre_trend_is_grade_b_with_its_robustness(cast):
    team = build_team(n_reps=60, seed=3)

    report_refresh_all(force=True, today=TODAY)

    payload = _snapshot().payload
    assert (payload["status"], payload["evidence_grade"]) == ("ok", "B")
    assert payload["power"]["is_powered"] is True
    assert payload["power"]["power"] > 0.8
    # the breakdown M: the interval's end nearest zero over the largest pre-training drift
    sensitivity = payload["sensitivity"]
    largest_pre = max(abs(p["att"]) for p in payload["event_study"] if p["e"] < 0)
    assert sensitivity["max_pre_violation"] == pytest.approx(largest_pre)
    assert sensitivity["breakdown_m"] == pytest.approx(payload["estimate"]["ci_low"] / largest_pre)
    assert team.sales.true_simple_att > 0
    page = _page(cast.leader, team.program.slug)
    assert "Robust up to M = " in page
    assert 'data-testid="design-check"' not in page


def test_a_failed_pre_trend_withholds_the_headline_and_the_roi_with_grade_d(cast):
    # given reps sent to training after a slump (Ashenfelter's dip): trends not parallel
    team = build_team(n_reps=60, seed=3, dip_before_training=25.0)

    report_refresh_all(force=True, today=TODAY)

    snapshot = _snapshot()
    payload = snapshot.payload
    assert payload["pre_trend"]["is_clean"] is False
    assert (snapshot.status, snapshot.evidence_grade) == ("collecting_evidence", "D")
    assert payload["blocker"] == "pre-trend failed"
    assert (snapshot.att, payload["estimate"], payload["event_study"]) == (None, None, [])
    assert (snapshot.roi_pct, payload["money"]["benefit"]) == (None, None)
    assert all(g["passed"] for g in payload["gates"])
    page = _page(cast.leader, team.program.slug)
    assert 'data-testid="withheld"' in page
    assert "pre-trend check failed" in page


def test_the_plan_is_frozen_at_the_first_finding_and_a_later_edit_is_shown_not_regraded(cast):
    # given a program whose first report has a finding, graded B against a 20% plan
    team = build_team(n_reps=60, seed=3)
    editor = User.objects.create_user(email="editor@example.com", password="x", role="admin")
    report_refresh_all(force=True, today=TODAY)
    freeze = ProgramPlanFreeze.objects.get(program=team.program)
    assert (freeze.primary_metric, freeze.plausible_effect_pct) == ("bookings", Decimal("20.00"))
    assert _snapshot().evidence_grade == "B"

    # when an editor then shrinks the plausible effect to 0.5% (which would make it grade C)
    program_update(program=team.program, changed_by=editor, plausible_effect_pct=Decimal("0.5"))
    report_refresh_all(force=True, today=TODAY)

    # then the change is recorded with who and when, the report says the plan changed after
    # results, and the grade still follows the frozen plan
    change = ProgramPlanChange.objects.get()
    assert (change.field, change.old_value, change.new_value) == (
        "plausible_effect_pct",
        "20",
        "0.5",
    )
    assert change.changed_by == editor
    snapshot = _snapshot()
    plan = snapshot.payload["plan"]
    assert plan["changed_after_results"] is True
    assert plan["plausible_effect_pct"] == 20.0
    assert [(c["field"], c["old"], c["new"]) for c in plan["changes_after_results"]] == [
        ("plausible_effect_pct", "20", "0.5")
    ]
    assert plan["changes_after_results"][0]["by"] == editor.full_name
    assert snapshot.summary["plan_changed"] is True
    assert snapshot.evidence_grade == "B"
    assert snapshot.payload["power"]["plausible_effect_pct"] == 20.0
    page = _page(cast.leader, team.program.slug)
    assert "Plan changed after results" in page
    assert f"plausible_effect_pct: 20 → 0.5, by {editor.full_name}" in page


def test_an_edit_before_any_finding_is_not_a_change_after_results():
    program = program_with_courses(1)
    program_update(program=program, plausible_effect_pct=Decimal("7"))

    report_refresh_all(force=True, today=TODAY)

    assert not ProgramPlanFreeze.objects.exists()
    assert _snapshot("win_rate").payload["plan"]["changed_after_results"] is False


def test_the_anticipation_window_is_neither_base_nor_placebo():
    # given a program whose plan says reps may change two months before completing it
    program = program_with_courses(1, plausible_effect_pct=Decimal("20"), anticipation_months=2)
    build_team(n_reps=60, seed=3, program=program)

    report_refresh_all(force=True, today=TODAY)

    # then the two months before completion are shown but leave the pre-trend check
    payload = _snapshot().payload
    assert payload["plan"]["anticipation_months"] == 2
    shown = {p["e"] for p in payload["event_study"]}
    assert {-2, -1} <= shown
    assert payload["pre_trend"]["n_pre_periods"] == len([e for e in shown if e < -2])


def test_ratio_metrics_keep_reps_without_a_closed_deal_in_the_month_before_training():
    # given trained reps with no closed deal at all in the month before they trained
    team = build_team(n_reps=60, seed=3)
    for rep, month in zip(team.reps, team.sales.training_month.tolist(), strict=True):
        if month:
            year, mon = divmod(int(month) - 1, 12)
            rep.deals.filter(closed_at__year=year, closed_at__month=mon + 1).delete()

    report_refresh_all(force=True, today=TODAY)

    # then every trained rep of a cohort is in its first post-training cells: the base is the
    # average of the months before training, not the empty month g - 1
    payload = _snapshot("win_rate").payload
    sizes = {}
    for month in team.sales.training_month.tolist():
        if month:
            sizes[int(month)] = sizes.get(int(month), 0) + 1
    first_cells = [c for c in payload["cells"] if c["e"] == 0]
    assert first_cells
    assert sorted(c["treated_reps"] for c in first_cells) == sorted(sizes.values())


def test_seats_count_everyone_assigned_and_commission_is_netted_from_the_margin():
    # given a program assigned to 60 reps of whom 42 completed, and a 10% commission
    program = program_with_courses(1, plausible_effect_pct=Decimal("20"), cost_per_seat=100)
    team = build_team(n_reps=60, seed=3, program=program)
    for rep in team.reps:
        Assignment.objects.create(program=program, assignee=rep, due_date=dt.date(2024, 12, 1))
    RoiSettings.objects.update_or_create(
        pk=1, defaults={"gross_margin_pct": Decimal("70"), "commission_pct": Decimal("10")}
    )

    report_refresh_all(force=True, today=TODAY)

    money = _snapshot().payload["money"]
    seats = next(line for line in money["cost_lines"] if line["name"] == "seats")
    assert seats["quantity"] == 60
    assert Completion.objects.count() == 42
    # the benefit counts the reps inside the estimate, at 70% - 10% = 60% of bookings
    assert money["trained_rep_months"] == 42 * 12
    assert money["commission_pct"] == 10.0
    assert money["break_even_effect"] == pytest.approx(money["cost"] / (42 * 12 * 0.6))


def test_a_team_rollout_resamples_teams():
    # given a program rolled out team by team: each cohort is one team
    team = build_team(n_reps=60, seed=3)
    months = sorted({int(m) for m in team.sales.training_month.tolist()})
    for month in months:
        group = TeamFactory(name=f"Team {month}")
        reps = [
            r.pk for r, m in zip(team.reps, team.sales.training_month, strict=True) if m == month
        ]
        User.objects.filter(pk__in=reps).update(team=group)

    report_refresh_all(force=True, today=TODAY)

    # then the interval resamples the teams (the never-trained reps are one team too), and the
    # dashboard's p-value reads t with that many clusters minus one
    payload = _snapshot().payload
    assert payload["clustered_by"] == "team"
    assert payload["estimate"]["clusters"] == len(months)


def _null_programs(team, n: int, seed: int) -> list:  # type: ignore[no-untyped-def]
    """Programs completed by random reps at random months, independently of their sales."""
    rng = np.random.default_rng(seed)
    months = sorted({int(m) for m in team.sales.training_month.tolist()} - {0})
    programs = []
    for index in range(n):
        program = program_with_courses(
            1, title=f"Null {index}", plausible_effect_pct=Decimal("20"), content_cost=1
        )
        course = program.courses.get()
        for rep in team.reps:
            if rng.random() < 0.7:
                year, month0 = divmod(int(rng.choice(months)), 12)
                Completion.objects.create(
                    user=rep,
                    course=course,
                    completed_at=dt.datetime(year, month0 + 1, 10, 9, tzinfo=dt.UTC),
                )
        programs.append(program)
    return programs


def test_the_dashboard_controls_the_false_discovery_rate_and_the_home_page_follows_it(cast):
    # given one program with a real effect of about +10% (and a high cost) and four with none
    # (almost free)
    real = program_with_courses(
        1, title="Real", plausible_effect_pct=Decimal("20"), content_cost=Decimal("900000")
    )
    team = build_team(n_reps=60, seed=3, program=real, effect=12.0)
    _null_programs(team, 4, seed=11)

    report_refresh_all(force=True, today=TODAY)

    # then every headline finding is tested together, and survival is Benjamini-Hochberg's with
    # the Benjamini-Yekutieli correction, p-values against t with the reps resampled, minus one
    rows = list(ReportSnapshot.objects.filter(is_headline=True, subject_kind="program"))
    found = [s for s in rows if s.is_ok]
    assert {s.payload["fdr"]["tested"] for s in rows} == {len(found)}
    assert {s.payload["estimate"]["clusters"] for s in found} == {60}
    estimates = {s.title: s.payload["estimate"] for s in found}
    p_values = {
        title: 2 * student_t.sf(abs(e["att"]) / e["se"], 59) for title, e in estimates.items()
    }
    ranked = sorted(p_values.values())
    level = 0.05 / (len(ranked) * sum(1 / i for i in range(1, len(ranked) + 1)))
    k = max([i for i, p in enumerate(ranked, start=1) if p <= i * level], default=0)
    expected = {title for title, p in p_values.items() if p <= (ranked[k - 1] if k else -1)}
    assert {s.title for s in found if s.payload["fdr"]["survives"]} == expected
    assert "Real" in expected
    # and a chance finding with a higher ROI than the real one exists, yet is not the best
    lucky = [s for s in found if s.title not in expected and (s.roi_pct or 0) > 0]
    real_snapshot = next(s for s in found if s.title == "Real")
    assert lucky and all(s.roi_pct > real_snapshot.roi_pct for s in lucky)
    client = Client()
    client.force_login(cast.leader)
    body = client.get("/").content.decode()
    assert f"Best return: Real, ROI {real_snapshot.roi_pct:,.0f}%." in body
    # and the dashboard says how many were tested and marks only the survivors
    page = client.get("/impact/").content.decode()
    assert f"{len(expected)} of {len(found)} results with a finding on this page" in page
    assert page.count('data-testid="highlight"') == len(expected)


def test_trained_reps_count_only_reps_inside_the_estimate_while_seats_count_every_completer():
    # given 42 simulated reps who completed the program inside the data, and one more rep who
    # completed it in January 2025, after the data's last covered month (no month after training
    # to compare: outside the estimate)
    program = program_with_courses(1, plausible_effect_pct=Decimal("20"), cost_per_seat=100)
    build_team(n_reps=60, seed=3, program=program)
    late = RepFactory(hire_date=dt.date(2023, 1, 1))
    complete_program(program, late, dt.datetime(2025, 1, 10, 9, tzinfo=dt.UTC))

    report_refresh_all(force=True, today=TODAY)

    # then the late completer took a seat (and its cost), but the benefit counts the 42 reps the
    # estimate rests on, not 43
    payload = _snapshot().payload
    seats = next(line for line in payload["money"]["cost_lines"] if line["name"] == "seats")
    assert seats["quantity"] == 43
    assert payload["sample"]["treated_reps"] == 42
    assert payload["money"]["trained_rep_months"] == 42 * 12
