"""From deals and completions in the database to report snapshots."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command

from accounts.models import User
from deals.models import Deal, DealStatus
from deals.slips import deal_due_dates
from roi import tasks
from roi.models import (
    EvaluationAssignment,
    EvaluationRollout,
    RefreshState,
    ReportSnapshot,
    RoiSettings,
)
from roi.months import calendar_month
from roi.services import report_refresh_all
from tests.factories import TeamFactory
from tests.roi.builders import TODAY, build_team
from tests.roi.factories import (
    CoachingSessionFactory,
    DealChangeFactory,
    DealFactory,
    RepFactory,
    at,
    complete_program,
    program_with_courses,
)
from training.models import Assignment

pytestmark = pytest.mark.django_db


def _snapshot(metric: str = "bookings", key: str | None = None) -> ReportSnapshot:
    qs = ReportSnapshot.objects.filter(metric=metric, subject_kind="program")
    return qs.get(subject_key=key) if key else qs.get()


def test_a_planted_effect_is_recovered_while_the_naive_figures_overstate_it():
    # given 60 simulated reps, the better ones trained first, with a known effect on bookings
    team = build_team(n_reps=60, seed=3)
    truth = team.sales.true_simple_att * 1000  # the simulator counts in thousands

    # when the reports are refreshed
    outcome = report_refresh_all(force=True, today=TODAY)

    # then five metrics of one program are stored, bookings is a finding holding the truth
    assert (outcome.refreshed, outcome.snapshots) == (True, 5)
    snapshot = _snapshot()
    payload = snapshot.payload
    assert (snapshot.status, snapshot.evidence_grade) == ("ok", "B")
    assert snapshot.ci_low <= truth <= snapshot.ci_high
    assert payload["estimate"]["att"] == snapshot.att
    # and both naive figures overstate it: trained-vs-untrained (the better reps train first)
    # more than three times, after-vs-before (the market grows) more than twice. (After-vs-before
    # was three times while the months before the data's first closes counted as zero sales.)
    assert payload["naive"]["before_after"] > 2 * truth
    assert payload["naive"]["trained_vs_untrained"] > 3 * truth
    # and the event study has months before training (the pre-trend check) and after
    times = [point["e"] for point in payload["event_study"]]
    assert min(times) < 0 < max(times)
    assert payload["sample"]["treated_reps"] == 42
    assert payload["sample"]["never_treated_reps"] == 18


def test_money_comes_from_the_bookings_draws_and_the_program_costs():
    # given a program with costs and a 70% margin
    program = program_with_courses(
        1,
        plausible_effect_pct=Decimal("20"),
        content_cost=Decimal("20000"),
        cost_per_seat=Decimal("100"),
        expected_learner_hours=Decimal("5"),
    )
    build_team(n_reps=60, seed=3, program=program)
    RoiSettings.objects.update_or_create(
        pk=1, defaults={"gross_margin_pct": Decimal("70"), "rep_hourly_cost": Decimal("50")}
    )

    report_refresh_all(force=True, today=TODAY)

    snapshot = _snapshot()
    money = snapshot.payload["money"]
    # cost: 20,000 + 42 seats x 100 + 42 x 5 h x 50 = 34,700
    assert money["cost"] == pytest.approx(34_700)
    assert money["trained_rep_months"] == 42 * 12
    # the benefit follows the event study over each rep's first year (the effect ramps up), not
    # the post-training average
    by_e = {p["e"]: p["att"] for p in snapshot.payload["event_study"]}
    first_year = [by_e[e] for e in range(12)]
    assert money["benefit"] == pytest.approx(sum(first_year) / 12 * 42 * 12 * 0.7)
    assert money["benefit"] < snapshot.att * 42 * 12 * 0.7
    assert money["roi_pct"] == pytest.approx((money["benefit"] - 34_700) / 34_700 * 100)
    assert money["roi_ci_low"] < money["roi_pct"] < money["roi_ci_high"]
    assert money["break_even_effect"] == pytest.approx(34_700 / (42 * 12 * 0.7))
    assert snapshot.roi_pct == money["roi_pct"]
    # every other metric of the program reports the same money
    assert _snapshot("win_rate").payload["money"] == money


def test_a_program_everyone_completed_in_the_same_month_has_no_comparison_and_says_so():
    # given reps who all completed the program in the same month, with deals before and after
    program = program_with_courses(1)
    for _ in range(3):
        rep = RepFactory(hire_date=dt.date(2023, 1, 1))
        complete_program(program, rep, at(2024, 6, 10))
        for month in range(1, 13):
            DealFactory(
                owner=rep,
                status=DealStatus.WON,
                created_at=at(2023, 12, 1),
                closed_at=at(2024, month, 15),
            )

    # when the reports are refreshed
    report_refresh_all(force=True, today=TODAY)

    # then it is collecting evidence, for that reason, with no number presented
    snapshot = _snapshot()
    assert (snapshot.status, snapshot.evidence_grade, snapshot.att) == (
        "collecting_evidence",
        "D",
        None,
    )
    assert snapshot.payload["blocker"] == "no comparison units"
    assert snapshot.payload["estimate"] is None
    assert snapshot.payload["event_study"] == []
    gates = {g["name"]: g for g in snapshot.payload["gates"]}
    assert (gates["comparison_reps"]["actual"], gates["comparison_reps"]["passed"]) == (0, False)
    assert snapshot.summary["blocker"] == "no comparison units"


def test_a_program_nobody_completed_is_collecting_evidence():
    # (deals closed in June and July: the data covers June)
    program_with_courses(1)
    rep = RepFactory()
    DealFactory(owner=rep, status=DealStatus.WON, closed_at=at(2024, 6, 3))
    DealFactory(owner=rep, status=DealStatus.WON, closed_at=at(2024, 7, 3))

    report_refresh_all(force=True, today=TODAY)

    snapshot = _snapshot()
    assert snapshot.status == "collecting_evidence"
    assert snapshot.payload["blocker"] == "no treated units"
    assert snapshot.payload["naive"] == {"before_after": None, "trained_vs_untrained": None}


def test_a_small_program_says_how_many_trained_reps_are_missing():
    # given 12 trained reps of 30
    build_team(n_reps=30, seed=5, never_trained_share=0.6)

    report_refresh_all(force=True, today=TODAY)

    snapshot = _snapshot()
    gates = {g["name"]: g for g in snapshot.payload["gates"]}
    assert snapshot.status == "collecting_evidence"
    assert (gates["treated_reps"]["actual"], gates["treated_reps"]["required"]) == (12, 20)
    assert snapshot.summary["failed_gates"][0]["name"] == "treated_reps"
    assert snapshot.att is None


def test_the_headline_is_the_program_primary_metric():
    program = program_with_courses(1, primary_metric="win_rate")
    RepFactory()

    report_refresh_all(force=True, today=TODAY)

    headlines = ReportSnapshot.objects.filter(is_headline=True, subject_key=program.slug)
    assert list(headlines.values_list("metric", flat=True)) == ["win_rate"]


def test_coaching_kinds_are_reported_from_each_rep_first_completed_session():
    rep = RepFactory()
    CoachingSessionFactory(rep=rep, kind="role_play", start=at(2024, 3, 5, 10))
    CoachingSessionFactory(rep=rep, kind="role_play", start=at(2024, 4, 5, 10))
    CoachingSessionFactory(
        rep=rep,
        kind="live_call",
        status="cancelled",
        cancelled_at=at(2024, 5, 1),
        start=at(2024, 5, 5),
    )

    report_refresh_all(force=True, today=TODAY)

    coaching = ReportSnapshot.objects.filter(subject_kind="coaching")
    assert sorted(set(coaching.values_list("subject_key", flat=True))) == ["role_play"]
    headline = coaching.get(is_headline=True)
    assert (headline.metric, headline.title) == ("bookings", "Role-play")
    # two one-hour sessions, priced at a coach's and a rep's hour each (90 + 60)
    assert headline.payload["money"]["cost"] == pytest.approx(300.0)


def test_a_refresh_without_new_inputs_is_skipped_and_a_new_deal_triggers_one():
    team = build_team(n_reps=20, seed=2)
    report_refresh_all(force=False, today=TODAY)
    first = RefreshState.objects.get().refreshed_at

    # when nothing changed
    again = report_refresh_all(force=False, today=TODAY)

    # then nothing is recomputed
    assert again.refreshed is False
    assert RefreshState.objects.get().refreshed_at == first

    # when a deal arrives (a burst would move the watermark once per poll)
    DealFactory(owner=team.reps[0], status=DealStatus.WON, closed_at=at(2024, 11, 20))
    DealFactory(owner=team.reps[1], status=DealStatus.WON, closed_at=at(2024, 11, 21))

    # then the next poll recomputes once
    assert report_refresh_all(force=False, today=TODAY).refreshed is True
    assert report_refresh_all(force=False, today=TODAY).refreshed is False


def test_snapshots_of_a_deleted_program_are_removed():
    program = program_with_courses(1)
    report_refresh_all(force=True, today=TODAY)
    assert ReportSnapshot.objects.filter(subject_key=program.slug).count() == 5

    program.delete()
    report_refresh_all(force=True, today=TODAY)

    assert ReportSnapshot.objects.count() == 0


def test_the_same_inputs_give_the_same_snapshots():
    build_team(n_reps=30, seed=4, never_trained_share=0.3)
    report_refresh_all(force=True, today=TODAY)
    first = _snapshot().payload

    report_refresh_all(force=True, today=TODAY)

    second = _snapshot().payload
    first.pop("computed_at"), second.pop("computed_at")
    assert first == second


def test_the_command_refreshes_and_reports_when_nothing_changed():
    program_with_courses(1)
    out = StringIO()

    call_command("roi_refresh", stdout=out)
    call_command("roi_refresh", "--if-changed", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Refreshed 5 report snapshots in ")
    assert lines[1] == "Reports are up to date: nothing changed since the last refresh."


def test_the_tasks_skip_while_another_refresh_holds_the_lock():
    program_with_courses(1)
    cache.set(tasks.LOCK_KEY, "1")
    try:
        assert tasks.refresh_all_reports.delay().get() == 0
        assert tasks.refresh_reports_if_changed.delay().get() == 0
    finally:
        cache.delete(tasks.LOCK_KEY)

    assert tasks.refresh_reports_if_changed.delay().get() == 5
    assert tasks.refresh_reports_if_changed.delay().get() == 0
    assert tasks.refresh_all_reports.delay().get() == 5
    assert cache.get(tasks.LOCK_KEY) is None


def test_a_program_assigned_to_some_reps_is_compared_within_them():
    # given a program assigned to one team: 30 simulated reps, 18 of whom completed it
    team = build_team(n_reps=30, seed=4, never_trained_share=0.4)
    outsiders = [RepFactory(hire_date=dt.date(2023, 1, 1)) for _ in range(5)]
    for rep in team.reps:
        Assignment.objects.create(program=team.program, assignee=rep, due_date=dt.date(2024, 12, 1))

    # when the reports are refreshed
    report_refresh_all(force=True, today=TODAY)

    # then the five reps it was never assigned to are not comparisons
    sample = _snapshot().payload["sample"]
    assert sample["treated_reps"] == 18
    assert sample["never_treated_reps"] == 12
    assert len(outsiders) == 5


def test_a_randomised_rollout_reports_the_effect_of_assignment_and_earns_grade_a():
    # given an evaluation program whose teams started in recorded waves, one team per
    # simulated training month, every rep completing in their wave's month
    program = program_with_courses(1, plausible_effect_pct=Decimal("20"), is_evaluation=True)
    team = build_team(n_reps=60, seed=3, program=program)
    rollout = EvaluationRollout.objects.create(
        program=program,
        seed=1,
        first_wave_starts_on=dt.date(2023, 7, 1),
        wave_spacing_months=3,
        n_waves=5,
    )
    months = sorted({int(m) for m in team.sales.training_month.tolist()} - {0})
    never = TeamFactory(name="Wave 5")
    for wave, month in enumerate([*months, 0], start=1):
        group = never if month == 0 else TeamFactory(name=f"Wave {wave}")
        reps = [r for r, m in zip(team.reps, team.sales.training_month, strict=True) if m == month]
        User.objects.filter(pk__in=[r.pk for r in reps]).update(team=group)
        starts = dt.date(*calendar_month(month), 1) if month else dt.date(2025, 6, 1)
        EvaluationAssignment.objects.create(
            rollout=rollout,
            team=group,
            stratum=1,
            prior_bookings_per_rep=Decimal(0),
            wave=wave,
            starts_on=starts,
        )

    # when the reports are refreshed
    report_refresh_all(force=True, today=TODAY)

    # then the assignment's effect is reported beside the completion's, and the grade is A
    snapshot = _snapshot()
    assignment = snapshot.payload["assignment"]
    assert snapshot.evidence_grade == "A"
    assert assignment["att"] == pytest.approx(snapshot.att)
    assert assignment["assigned_reps"] == 42
    # the headline is the randomised intention-to-treat effect, inference resamples teams, and
    # compliance and the completion effect are reported beside it
    assert snapshot.payload["headline_design"] == "randomised_itt"
    assert snapshot.payload["clustered_by"] == "team"
    assert snapshot.payload["compliance"] == {
        "assigned_reps": 42,
        "completed_reps": 42,
        "share": 1.0,
    }
    assert snapshot.payload["completion_effect"]["trained_reps"] == 42
    assert [t["wave"] for t in snapshot.payload["rollout"]["teams"]] == [1, 2, 3, 4, 5]


def test_evaluation_mode_keeps_each_rep_in_the_wave_of_the_team_they_were_assigned_with():
    # given a randomised rollout of two waves; the first wave's reps were assigned as a team
    program = program_with_courses(1, plausible_effect_pct=Decimal("20"), is_evaluation=True)
    team = build_team(n_reps=60, seed=3, program=program)
    rollout = EvaluationRollout.objects.create(
        program=program,
        seed=1,
        first_wave_starts_on=dt.date(2023, 7, 1),
        wave_spacing_months=3,
        n_waves=2,
    )
    first, later = TeamFactory(name="First"), TeamFactory(name="Later")
    reps = team.reps
    User.objects.filter(pk__in=[r.pk for r in reps[:30]]).update(team=first)
    User.objects.filter(pk__in=[r.pk for r in reps[30:]]).update(team=later)
    for group, wave, starts in ((first, 1, dt.date(2023, 7, 1)), (later, 2, dt.date(2025, 6, 1))):
        EvaluationAssignment.objects.create(
            rollout=rollout,
            team=group,
            stratum=1,
            prior_bookings_per_rep=0,
            wave=wave,
            starts_on=starts,
        )
    for rep in reps[:30]:
        Assignment.objects.create(
            program=program, assignee=rep, team=first, due_date=dt.date(2023, 8, 1)
        )
    # when five of the first wave's reps later move to the other team
    User.objects.filter(pk__in=[r.pk for r in reps[:5]]).update(team=later)

    report_refresh_all(force=True, today=TODAY)

    # then they still count in the first wave: 30 assigned, compliance over those 30
    payload = _snapshot().payload
    completed = sum(1 for m in team.sales.training_month[:30].tolist() if m)
    assert payload["compliance"] == {
        "assigned_reps": 30,
        "completed_reps": completed,
        "share": completed / 30,
    }
    assert payload["headline_design"] == "randomised_itt"


def test_the_slip_rate_counts_a_day_pushed_and_pulled_back_to_once_as_deals_slips_does():
    # given a simulated team, and a trained rep who in March 2023 (before training) had a deal
    # whose close date of 10 March was pushed, pulled back to 10 March and then lost late (one
    # due date, missed), and a deal lost on its date (met); and in November 2024, after training,
    # a deal lost on its date
    team = build_team(n_reps=60, seed=3)
    sales = team.sales
    march, november = 2, sales.months.size - 2
    index = next(
        i
        for i in range(sales.rep_ids.size)
        if sales.training_month[i] and sales.active[i, march] and sales.active[i, november]
    )
    rep = team.reps[index]

    def lost(expected: dt.date, closed: dt.datetime) -> Deal:
        return DealFactory(
            owner=rep,
            source="sim",
            status=DealStatus.LOST,
            created_at=at(2023, 2, 1),
            expected_close_date=expected,
            closed_at=closed,
        )

    late = lost(dt.date(2023, 3, 10), at(2023, 3, 20))
    DealChangeFactory(
        deal=late, old_value="2023-03-10", new_value="2023-04-01", changed_at=at(2023, 3, 1)
    )
    DealChangeFactory(
        deal=late, old_value="2023-04-01", new_value="2023-03-10", changed_at=at(2023, 3, 5)
    )
    lost(dt.date(2023, 3, 15), at(2023, 3, 12))
    lost(dt.date(2024, 11, 10), at(2024, 11, 9))

    # when the reports are refreshed
    report_refresh_all(force=True, today=TODAY)

    # then the slip rate before training is deals.slips' answer: 2 dates came due in March, 1
    # missed (50%, not the 2 missed of 3 of a push and a current date counted apart)
    due = [
        d
        for deal in Deal.objects.filter(owner=rep, expected_close_date__isnull=False)
        for d in deal_due_dates(
            status=deal.status,
            expected_close_date=deal.expected_close_date,
            closed_at=deal.closed_at,
            close_date_changes=deal.changes.values_list("old_value", "new_value"),
            today=TODAY,
        )
    ]
    before = [d for d in due if d.day < dt.date(2023, 4, 1)]
    assert (len(before), sum(d.missed for d in before)) == (2, 1)
    sample = _snapshot("slip_rate").payload["sample"]
    assert sample["treated_reps"] == 1
    assert sample["baseline"] == pytest.approx(50.0)
