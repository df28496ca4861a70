"""Who may see which deals and ingest jobs. Anything outside a principal's view answers 404.

The deals of the people the caller may see (accounts.access.visible_users): rep their own,
coach also coachees', manager also the team's and direct reports'; leaders and admins
(superusers included) all, with the deals whose CRM owner is not mapped yet; API keys all with
`deals:read` (or `deals:write`), nothing otherwise.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from accounts.access import Actor, Principal, principal_of, visible_user_ids
from accounts.models import Scope
from deals.models import Deal, DealChange, IngestJob


def deal_list_visible(*, principal: Actor | Principal) -> QuerySet[Deal]:
    p = principal_of(principal)
    if p.is_key:
        return Deal.objects.all() if p.has_scope(Scope.DEALS_READ) else Deal.objects.none()
    if not p.is_person:
        return Deal.objects.none()
    if p.sees_everyone:
        return Deal.objects.all()
    # A subquery rather than a join: a rep with two coaches must not repeat their deals.
    return Deal.objects.filter(owner__in=visible_user_ids(p))


def deal_get_visible(*, principal: Actor | Principal, deal_id: int | str) -> Deal:
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


def ingest_job_get_visible(*, principal: Actor | Principal, job_id: uuid.UUID | str) -> IngestJob:
    """A job is seen by the key or person who started it, and by admins."""
    p = principal_of(principal)
    jobs = IngestJob.objects.all()
    if p.is_key:
        jobs = jobs.filter(created_by_key=p.key)
    elif not p.is_person:
        raise Http404("No such job")
    elif not p.is_admin:
        jobs = jobs.filter(created_by=p.user_id)
    try:
        return jobs.get(pk=job_id)
    except (IngestJob.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404("No such job") from None
