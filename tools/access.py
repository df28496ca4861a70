"""Who may see and change the tool stack: admins (its spend reaches leaders through reports)."""

from django.http import Http404

from accounts.access import Actor, Principal, is_admin, require
from tools.models import Tool


def tools_admin_check(viewer: Actor | Principal) -> None:
    """Anyone but an active admin gets 404, the same as for a page that does not exist."""
    require(is_admin(viewer), message="No such page")


def tool_get_for_admin(viewer: Actor | Principal, *, tool_id: int) -> Tool:
    tools_admin_check(viewer)
    try:
        return Tool.objects.prefetch_related("seats__user", "seats__team").get(pk=tool_id)
    except Tool.DoesNotExist:
        raise Http404("No such tool") from None
