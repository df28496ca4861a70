"""The demo carries a tool stack and two years of meetings that tell a true story."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Min

from accounts.models import User
from accounts.roles import Role
from deals.meetings import meetings_annotate_advanced
from deals.models import Activity
from tools.selectors import tool_spend_by_person_month
from training.models import Completion

pytestmark = pytest.mark.django_db


def test_demo_stack_costs_564_per_sdr_rep_month_and_trained_meetings_advance_more():
    call_command("seed_demo", stdout=None)
    month = dt.date.today().replace(day=1) - dt.timedelta(days=40)
    month = month.replace(day=1)
    spend = tool_spend_by_person_month(start=month, end=month)
    sdr = User.objects.filter(role=Role.REP, team__name="Commercial").first()
    enterprise = User.objects.filter(role=Role.REP, team__name="Enterprise East").first()
    assert sdr is not None and enterprise is not None
    assert spend.total(sdr.pk, month) == Decimal("564.00")
    assert spend.total(enterprise.pk, month) < Decimal("564.00")

    first = dict(
        Completion.objects.filter(course__slug="inside-sales-playbook")
        .values("user_id")
        .annotate(first=Min("completed_at"))
        .values_list("user_id", "first")
    )
    meetings = meetings_annotate_advanced(
        Activity.objects.filter(owner_id__in=list(first))
    ).values_list("owner_id", "occurred_at", "is_advanced")
    before = [adv for owner, at, adv in meetings if at < first[owner]]
    after = [adv for owner, at, adv in meetings if at >= first[owner]]
    assert before and after
    assert sum(after) / len(after) > sum(before) / len(before)
