"""Deals whose CRM owner is not (yet) a Coachline user, and attaching them once it is."""

from django.db import transaction

from accounts.models import User
from accounts.services import crm_identity_create
from deals.models import Activity, Deal
from deals.selectors import UnmatchedOwner, deal_list_unmatched_owners


def deal_attach_owner(*, source: str, owner_external_id: str, user: User) -> int:
    """Give every ownerless deal (and activity) of this CRM owner to `user`. Idempotent;
    returns how many deals."""
    Activity.objects.filter(
        owner__isnull=True, source=source, owner_external_id=owner_external_id
    ).update(owner=user)
    return Deal.objects.filter(
        owner__isnull=True, source=source, owner_external_id=owner_external_id
    ).update(owner=user)


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
