"""Evaluation mode: teams start in a randomised order, stratified by prior bookings."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Team
from accounts.roles import Role
from deals.models import DealStatus
from roi.models import EvaluationAssignment, EvaluationRollout
from roi.services import RolloutAlreadyDrawn, evaluation_rollout_create
from roi.services.evaluation import stratified_waves, team_prior_bookings
from tests.factories import TeamFactory, UserFactory
from tests.roi.factories import DealFactory, RepFactory, at, program_with_courses
from training.models import Assignment

pytestmark = pytest.mark.django_db

TODAY = dt.date(2024, 7, 1)


def _teams_with_bookings(amounts: list[int]) -> list[Team]:
    """One team per amount: two reps, one of whom booked `amount` in May 2024."""
    teams = []
    for i, amount in enumerate(amounts):
        team = TeamFactory(name=f"Team {i:02d}")
        booker = RepFactory(team=team)
        RepFactory(team=team)
        DealFactory(
            owner=booker,
            status=DealStatus.WON,
            amount=Decimal(amount),
            created_at=at(2024, 4, 1),
            closed_at=at(2024, 5, 10),
        )
        teams.append(team)
    return teams


def test_prior_bookings_are_per_rep_over_the_months_before_the_first_wave():
    teams = _teams_with_bookings([1000, 3000])
    # a deal closed in the wave's own month does not count
    DealFactory(
        owner=teams[0].members.first(),
        status=DealStatus.WON,
        amount=Decimal("999"),
        closed_at=at(2024, 7, 2),
    )

    prior = team_prior_bookings(teams=teams, before=TODAY, months=6)

    assert prior == {teams[0].pk: Decimal("500.00"), teams[1].pk: Decimal("1500.00")}


def test_strata_are_ranked_by_prior_bookings_and_each_takes_distinct_waves():
    teams = [(pk, Decimal(100 * pk)) for pk in range(1, 8)]

    draw = stratified_waves(teams, n_waves=3, seed=11)

    by_stratum: dict[int, list[tuple[int, int]]] = {}
    for team, stratum, wave in draw:
        by_stratum.setdefault(stratum, []).append((team, wave))
    # ranked highest first: {7, 6, 5}, {4, 3, 2}, {1}
    assert {s: sorted(t for t, _w in rows) for s, rows in by_stratum.items()} == {
        1: [5, 6, 7],
        2: [2, 3, 4],
        3: [1],
    }
    assert sorted(w for _t, w in by_stratum[1]) == [1, 2, 3]
    assert sorted(w for _t, w in by_stratum[2]) == [1, 2, 3]
    # reproducible from the recorded seed; another seed orders differently
    assert stratified_waves(teams, n_waves=3, seed=11) == draw
    assert any(stratified_waves(teams, n_waves=3, seed=s) != draw for s in range(12, 20))


def test_a_rollout_is_drawn_recorded_and_the_first_wave_assigned():
    # given an evaluation program and four teams with different prior bookings
    admin = UserFactory(role=Role.ADMIN)
    program = program_with_courses(1, is_evaluation=True)
    teams = _teams_with_bookings([4000, 3000, 2000, 1000])

    # when an admin draws two waves starting today
    rollout = evaluation_rollout_create(
        program=program,
        first_wave_starts_on=TODAY,
        n_waves=2,
        wave_spacing_months=3,
        created_by=admin,
        today=TODAY,
        seed=42,
    )

    # then each stratum (two teams of similar bookings) has one team in each wave
    rows = list(EvaluationAssignment.objects.filter(rollout=rollout).order_by("team__name"))
    assert [(a.team_id, a.stratum) for a in rows] == [
        (teams[0].pk, 1),
        (teams[1].pk, 1),
        (teams[2].pk, 2),
        (teams[3].pk, 2),
    ]
    assert sorted(a.wave for a in rows[:2]) == [1, 2]
    assert sorted(a.wave for a in rows[2:]) == [1, 2]
    assert {a.wave: a.starts_on for a in rows} == {1: TODAY, 2: dt.date(2024, 10, 1)}
    assert rows[0].prior_bookings_per_rep == Decimal("2000.00")
    assert (rollout.seed, rollout.created_by) == (42, admin)
    # and the reps of the first wave's teams are assigned the program, due in four weeks
    first_wave = {a.team_id for a in rows if a.wave == 1}
    assigned = Assignment.objects.filter(program=program)
    assert {a.assignee.team_id for a in assigned} == first_wave
    assert assigned.count() == 4
    assert {a.due_date for a in assigned} == {TODAY + dt.timedelta(days=28)}


def test_the_same_seed_draws_the_same_rollout():
    teams = _teams_with_bookings([5, 4, 3, 2, 1, 6])
    waves = []
    for _attempt in range(2):
        program = program_with_courses(1, is_evaluation=True)
        rollout = evaluation_rollout_create(
            program=program,
            first_wave_starts_on=TODAY + dt.timedelta(days=30),
            n_waves=3,
            wave_spacing_months=2,
            created_by=None,
            today=TODAY,
            seed=7,
        )
        waves.append(sorted(rollout.assignments.values_list("team_id", "wave")))
    assert waves[0] == waves[1]
    assert len(waves[0]) == len(teams)


def test_a_rollout_is_never_redrawn():
    program = program_with_courses(1, is_evaluation=True)
    _teams_with_bookings([1, 2])
    kwargs = {
        "program": program,
        "first_wave_starts_on": TODAY,
        "n_waves": 2,
        "wave_spacing_months": 1,
        "created_by": None,
        "today": TODAY,
    }
    evaluation_rollout_create(**kwargs, seed=1)
    first = list(EvaluationAssignment.objects.values_list("team_id", "wave"))

    with pytest.raises(RolloutAlreadyDrawn):
        evaluation_rollout_create(**kwargs, seed=2)

    assert EvaluationRollout.objects.count() == 1
    assert list(EvaluationAssignment.objects.values_list("team_id", "wave")) == first


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"is_evaluation": False}, "program"),
        ({"first_wave_starts_on": TODAY - dt.timedelta(days=1)}, "first_wave_starts_on"),
        ({"n_waves": 1}, "n_waves"),
        ({"n_waves": 3}, "n_waves"),  # only two teams
        ({"wave_spacing_months": 0}, "wave_spacing_months"),
    ],
)
def test_bad_rollouts_are_refused_and_write_nothing(changes, field):
    program = program_with_courses(1, is_evaluation=changes.pop("is_evaluation", True))
    _teams_with_bookings([1, 2])
    kwargs = {
        "program": program,
        "first_wave_starts_on": TODAY,
        "n_waves": 2,
        "wave_spacing_months": 1,
        "created_by": None,
        "today": TODAY,
        **changes,
    }

    with pytest.raises(ValidationError) as refused:
        evaluation_rollout_create(**kwargs)

    assert field in refused.value.message_dict
    assert EvaluationRollout.objects.count() == 0
    assert Assignment.objects.count() == 0
