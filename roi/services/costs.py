"""Every cost that enters a program's ROI, edited in one place (the admin's Costs page).

The costs live where they belong: content, seat and learner hours on the training program (its
own service records them), delivery and coaching hours in roi's ProgramCosting; the hourly rates
that price people's time in RoiSettings (roi_settings_update). This writes one program's
costs in one transaction, each row saved so the audit log records the change.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from roi.models import ProgramCosting
from training.models import Program
from training.services import program_update


@dataclass(frozen=True)
class ProgramCosts:
    content_cost: Decimal
    cost_per_seat: Decimal
    expected_learner_hours: Decimal
    delivery_cost: Decimal
    coaching_hours_per_seat: Decimal


def program_costs_update(*, actor: User, program: Program, costs: ProgramCosts) -> None:
    """All or nothing; the values were checked by the form (zero or more, within the columns'
    digits). The caller checked `actor` is an admin."""
    with transaction.atomic():
        program_update(
            program=program,
            changed_by=actor,
            content_cost=costs.content_cost,
            cost_per_seat=costs.cost_per_seat,
            expected_learner_hours=costs.expected_learner_hours,
        )
        costing = ProgramCosting.objects.filter(program=program).first() or ProgramCosting(
            program=program
        )
        costing.delivery_cost = costs.delivery_cost
        costing.coaching_hours_per_seat = costs.coaching_hours_per_seat
        costing.full_clean(exclude=["program"])
        costing.save()
