"""Evaluation mode: a program's teams start in waves whose order is drawn at random.

Everyone trains eventually; only the order is random, which turns the staggered comparison into
an experiment (evidence grade A). The draw is stratified by prior bookings so that each wave gets
a similar mix of strong and weaker teams, recorded with its seed (reproducible), and never
redrawn: redrawing after seeing results would undo the experiment.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Team, User
from accounts.roles import Role
from core.models import Organization
from roi.models import EvaluationAssignment, EvaluationRollout
from roi.months import add_months, month_start, shift_months
from roi.panel import CLOSED_COLUMNS, PanelWindow, closed_deals_query
from training.models import Program
from training.services.assignments import assignment_create, team_reps

log = logging.getLogger(__name__)


class RolloutAlreadyDrawn(Exception):
    """The program's rollout exists: it is never redrawn."""


# A wave's reps are asked to finish the program within four weeks of its start.
WAVE_DUE_DAYS = 28


def team_prior_bookings(*, teams: list[Team], before: dt.date, months: int) -> dict[int, Decimal]:
    """Bookings per active rep of each team over the `months` whole months before `before`.
    Two queries: the teams' reps, their closed deals (set-based, home currency)."""
    reps = list(
        User.objects.filter(role=Role.REP, is_active=True, team__in=teams).values_list(
            "pk", "team_id"
        )
    )
    window = PanelWindow.ending(add_months(month_start(before), -1), months=months)
    rows = closed_deals_query(
        window=window,
        home_currency=Organization.current().home_currency,
        first_rates={},
        rep_ids=[pk for pk, _team in reps],
    )
    owner, won_value = CLOSED_COLUMNS.index("owner_id"), CLOSED_COLUMNS.index("won_value")
    by_rep: dict[int, Decimal] = defaultdict(Decimal)
    for row in rows:
        by_rep[row[owner]] += Decimal(str(row[won_value] or 0))
    team_total: dict[int, Decimal] = defaultdict(Decimal)
    team_size: dict[int, int] = defaultdict(int)
    for pk, team_id in reps:
        team_total[team_id] += by_rep.get(pk, Decimal(0))
        team_size[team_id] += 1
    return {
        team_id: (team_total[team_id] / team_size[team_id]).quantize(Decimal("0.01"))
        for team_id in team_size
    }


def evaluation_rollout_create(
    *,
    program: Program,
    first_wave_starts_on: dt.date,
    n_waves: int,
    wave_spacing_months: int,
    created_by: User | None,
    today: dt.date,
    seed: int | None = None,
    prior_months: int = 6,
) -> EvaluationRollout:
    """Draw and record the order in which teams start `program`.

    Teams (those with active reps) are ranked by prior bookings per rep and cut into strata of
    `n_waves` consecutive teams; within a stratum the teams are spread over the waves at random.
    Raises ValidationError for bad input, RolloutAlreadyDrawn when the program has a rollout.
    """
    teams = list(
        Team.objects.filter(members__role=Role.REP, members__is_active=True)
        .distinct()
        .order_by("pk")
    )
    _rollout_validate(
        program=program,
        first_wave_starts_on=first_wave_starts_on,
        n_waves=n_waves,
        wave_spacing_months=wave_spacing_months,
        prior_months=prior_months,
        n_teams=len(teams),
        today=today,
    )
    if EvaluationRollout.objects.filter(program=program).exists():
        raise RolloutAlreadyDrawn
    seed = secrets.randbelow(2**31) if seed is None else seed
    prior = team_prior_bookings(teams=teams, before=first_wave_starts_on, months=prior_months)
    waves = stratified_waves(
        [(team.pk, prior.get(team.pk, Decimal(0))) for team in teams], n_waves=n_waves, seed=seed
    )
    rollout = EvaluationRollout(
        program=program,
        seed=seed,
        first_wave_starts_on=first_wave_starts_on,
        wave_spacing_months=wave_spacing_months,
        n_waves=n_waves,
        prior_months=prior_months,
        created_by=created_by,
    )
    _rollout_record(rollout=rollout, waves=waves, prior=prior)
    evaluation_waves_assign_due(today=today)
    return rollout


def _rollout_validate(
    *,
    program: Program,
    first_wave_starts_on: dt.date,
    n_waves: int,
    wave_spacing_months: int,
    prior_months: int,
    n_teams: int,
    today: dt.date,
) -> None:
    errors: dict[str, list[str]] = {}
    if not program.is_evaluation:
        errors["program"] = [_("Turn on evaluation mode for this program first.")]
    if first_wave_starts_on < today:
        errors["first_wave_starts_on"] = [_("Choose today or a later date.")]
    if not 2 <= n_waves <= 12:
        errors["n_waves"] = [_("Choose from 2 to 12 waves.")]
    if not 1 <= wave_spacing_months <= 12:
        errors["wave_spacing_months"] = [_("Choose from 1 to 12 months.")]
    if not 1 <= prior_months <= 24:
        errors["prior_months"] = [_("Choose from 1 to 24 months.")]
    if not errors and n_teams < n_waves:
        errors["n_waves"] = [
            _("There are %(teams)s teams with reps: choose at most that many waves.")
            % {"teams": n_teams}
        ]
    if errors:
        raise ValidationError(errors)


def _rollout_record(
    *,
    rollout: EvaluationRollout,
    waves: list[tuple[int, int, int]],
    prior: dict[int, Decimal],
) -> None:
    """Save the rollout and its team assignments, or RolloutAlreadyDrawn when another won."""
    try:
        with transaction.atomic():
            rollout.save(force_insert=True)
            EvaluationAssignment.objects.bulk_create(
                EvaluationAssignment(
                    rollout=rollout,
                    team_id=team_id,
                    stratum=stratum,
                    prior_bookings_per_rep=prior.get(team_id, Decimal(0)),
                    wave=wave,
                    starts_on=shift_months(
                        rollout.first_wave_starts_on, (wave - 1) * rollout.wave_spacing_months
                    ),
                )
                for team_id, stratum, wave in waves
            )
    except IntegrityError:
        # Another admin drew the same program's rollout a moment earlier.
        raise RolloutAlreadyDrawn from None


def stratified_waves(
    teams: list[tuple[int, Decimal]], *, n_waves: int, seed: int
) -> list[tuple[int, int, int]]:
    """(team id, stratum, wave) for each team. Teams are ranked by prior bookings (highest first,
    ties by id), cut into strata of `n_waves`; each stratum's teams take distinct waves in random
    order. The same teams, bookings and seed always give the same draw."""
    rng = random.Random(seed)
    ranked = sorted(teams, key=lambda t: (-t[1], t[0]))
    out = []
    for stratum, start in enumerate(range(0, len(ranked), n_waves), start=1):
        members = ranked[start : start + n_waves]
        waves = rng.sample(range(1, n_waves + 1), len(members))
        out += [
            (team_id, stratum, wave) for (team_id, _prior), wave in zip(members, waves, strict=True)
        ]
    return out


def evaluation_waves_assign_due(*, today: dt.date) -> int:
    """Assign the program to the reps of every team whose wave has started (and is not past its
    due date). Idempotent: training's assignment_create keeps one assignment per person and
    program. Runs when a rollout is drawn and nightly. Returns the assignments created."""
    due = (
        EvaluationAssignment.objects.filter(
            starts_on__lte=today, starts_on__gte=today - dt.timedelta(days=WAVE_DUE_DAYS)
        )
        .select_related("rollout__program", "rollout__created_by", "team")
        .order_by("pk")
    )
    created = 0
    for assignment in due:
        try:
            result = assignment_create(
                target=assignment.rollout.program,
                assignees=team_reps(team=assignment.team),
                due_date=assignment.starts_on + dt.timedelta(days=WAVE_DUE_DAYS),
                assigned_by=assignment.rollout.created_by,
                team=assignment.team,
                today=today,
            )
        except ValidationError as exc:
            # An unpublished program or a team without reps: the wave waits for the next run.
            log.info("evaluation wave not assigned (%s): %s", assignment, exc.messages)
            continue
        created += result.created
    return created
