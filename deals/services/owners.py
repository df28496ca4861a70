"""Deals whose CRM owner is not (yet) a Coachline user, and attaching them once it is; and
removing deals (the admin)."""

from django.db import transaction
from django.db.models import QuerySet

from accounts.models import User
from accounts.services import crm_identity_create
from deals.models import Activity, Deal
from deals.selectors import UnmatchedOwner, deal_list_unmatched_owners
from deals.signals import deals_written


def deal_attach_owner(*, source: str, owner_external_id: str, user: User) -> int:
    """Give every ownerless deal (and activity) of this CRM owner to `user`. Idempotent;
    returns how many deals. Apps above deals hear of it in the same transaction
    (deals.signals)."""
    with transaction.atomic():
        Activity.objects.filter(
            owner__isnull=True, source=source, owner_external_id=owner_external_id
        ).update(owner=user)
        attached = Deal.objects.filter(
            owner__isnull=True, source=source, owner_external_id=owner_external_id
        ).update(owner=user)
        if attached:
            deals_written.send(sender=Deal, before=[], after=[], deal_ids=set(), owners={user.pk})
    return attached


def deal_owner_map(*, source: str, owner_external_id: str, user: User) -> int:
    """Record that this CRM owner is `user` (a CRM identity), then attach their deals.

    Raises ValidationError when the person already has another owner id in that CRM, or the
    owner id already belongs to someone else. Returns how many deals were attached.
    """
    with transaction.atomic():
        crm_identity_create(user=user, source=source, owner_id=owner_external_id)
        return deal_attach_owner(source=source, owner_external_id=owner_external_id, user=user)


def deals_attach_known_owners() -> int:
    """Attach the deals of unmatched owners who have since become known (a CRM identity was
    created, e.g. through the users bulk API, or a user with that email now exists)."""
    attached = 0
    with transaction.atomic():
        owners: list[UnmatchedOwner] = deal_list_unmatched_owners()
        for owner in owners:
            if owner.known_user is not None:
                attached += deal_attach_owner(
                    source=owner.source,
                    owner_external_id=owner.owner_external_id,
                    user=owner.known_user,
                )
    return attached


def deals_delete(*, deals: QuerySet[Deal]) -> int:
    """Delete these deals (with their history); apps above deals hear of it, for the owners'
    whole history, in the same transaction (deals.signals). Returns how many deals."""
    with transaction.atomic():
        owned = deals.filter(owner__isnull=False).order_by()
        owners = set(owned.values_list("owner_id", flat=True).distinct())
        deleted = deals.count()
        deals.delete()
        if owners:
            deals_written.send(sender=Deal, before=[], after=[], deal_ids=set(), owners=owners)
    return deleted
