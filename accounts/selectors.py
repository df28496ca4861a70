from django.db.models import Prefetch, QuerySet

from accounts.access import Principal, visible_users
from accounts.models import CoachAssignment, User


def user_list(*, principal: Principal) -> QuerySet[User]:
    """Visible users with everything the list shows, in three queries (users, crm ids, coaches)."""
    return (
        visible_users(principal)
        .select_related("team", "manager")
        .prefetch_related(
            "crm_identities",
            Prefetch("coach_links", queryset=CoachAssignment.objects.select_related("coach")),
        )
        .order_by("full_name", "pk")
    )
