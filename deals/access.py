"""Who may see which deals and ingest jobs. Anything outside a principal's view answers 404.

rep: own deals; coach: also coachees'; manager: also the team's and direct reports';
leader and admin: all, including deals whose CRM owner is not mapped yet;
API key: all with `deals:read` (or `deals:write`), nothing otherwise.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from accounts.access import Principal, visible_users_q
from accounts.models import ApiKey, Scope, User
from deals.models import Deal, DealChange, IngestJob


def deal_list_visible(*, principal: Principal) -> QuerySet[Deal]:
    if isinstance(principal, ApiKey):
        return Deal.objects.all() if principal.has_scope(Scope.DEALS_READ) else Deal.objects.none()
    if not principal.is_authenticated or not principal.is_active:
        return Deal.objects.none()
    if principal.sees_everyone or principal.is_superuser:
        return Deal.objects.all()
    # A subquery rather than a join: a rep with two coaches must not repeat their deals.
    people = User.objects.filter(visible_users_q(principal)).values("pk")
    return Deal.objects.filter(owner__in=people)


def deal_get_visible(*, principal: Principal, deal_id: int | str) -> Deal:
    """The deal with its owner and history (oldest change first), or 404."""
    try:
        return (
            deal_list_visible(principal=principal)
            .select_related("owner", "owner__team")
            .prefetch_related(
                Prefetch("changes", queryset=DealChange.objects.order_by("changed_at", "pk"))
            )
            .get(pk=int(deal_id))
        )
    except (Deal.DoesNotExist, ValueError, TypeError):
        raise Http404("No such deal") from None


def ingest_job_get_visible(*, principal: Principal, job_id: uuid.UUID | str) -> IngestJob:
    """A job is seen by the key or person who started it, and by admins."""
    jobs = IngestJob.objects.all()
    if isinstance(principal, ApiKey):
        jobs = jobs.filter(created_by_key=principal)
    elif not principal.is_authenticated:
        raise Http404("No such job")
    elif not principal.is_admin_role:
        jobs = jobs.filter(created_by=principal)
    try:
        return jobs.get(pk=job_id)
    except (IngestJob.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404("No such job") from None
