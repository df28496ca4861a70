"""Deals whose CRM owner is not (yet) a Coachline user, and attaching them once it is."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import CrmIdentity, User
from deals.models import Deal
from deals.selectors import UnmatchedOwner, deal_list_unmatched_owners


def deal_attach_owner(*, source: str, owner_external_id: str, user: User) -> int:
    """Give every ownerless deal of this CRM owner to `user`. Idempotent; returns how many."""
    return Deal.objects.filter(
        owner__isnull=True, source=source, owner_external_id=owner_external_id
    ).update(owner=user)


def deal_owner_map(*, source: str, owner_external_id: str, user: User) -> int:
    """Record that this CRM owner is `user` (a CRM identity), then attach their deals.

    Raises ValidationError when the person already has another owner id in that CRM, or the
    owner id already belongs to someone else. Returns how many deals were attached.
    """
    with transaction.atomic():
        held = CrmIdentity.objects.filter(source=source, owner_id=owner_external_id).first()
        if held is not None and held.user_id != user.pk:
            raise ValidationError(
                _("%(source)s owner %(owner)s already belongs to %(name)s.")
                % {"source": source, "owner": owner_external_id, "name": held.user}
            )
        if held is None:
            # accounts has no single-identity service; this is the one place deals creates one.
            try:
                with transaction.atomic():
                    CrmIdentity.objects.create(user=user, source=source, owner_id=owner_external_id)
            except IntegrityError:
                raise ValidationError(
                    _("%(name)s already has another %(source)s owner id.")
                    % {"name": user, "source": source}
                ) from None
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
