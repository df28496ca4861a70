from typing import Any

from django.http import HttpRequest

# Navigation entries: (url name, label msgid, roles that see it). Apps add theirs here as they
# land; a missing URL name is skipped so the menu never breaks a page.
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

NAV: list[tuple[str, Any, tuple[str, ...]]] = [
    ("home", _("Home"), ("rep", "coach", "manager", "leader", "admin")),
    ("training:my_learning", _("Learning"), ("rep", "coach", "manager", "leader", "admin")),
    ("training:team_progress", _("Team progress"), ("manager", "admin", "leader")),
    ("coaching:dashboard", _("Coaching"), ("rep", "coach", "manager", "leader", "admin")),
    ("deals:list", _("Deals"), ("rep", "coach", "manager", "leader", "admin")),
    ("roi:dashboard", _("Impact"), ("leader", "admin", "manager")),
    ("accounts:people", _("People"), ("coach", "manager", "leader", "admin")),
    ("integrations:index", _("Integrations"), ("admin",)),
    ("roi:costs", _("Costs"), ("admin",)),
    ("tools:list", _("Tools"), ("admin",)),
    ("accounts:api_keys", _("API keys"), ("admin",)),
    ("accounts:audit_log", _("Audit log"), ("admin",)),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for name, label, roles in NAV:
        if user.role not in roles and not user.is_superuser:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "active": False})
    # The longest menu URL that prefixes the path is the current section (/learn/team/ is "Team
    # progress", not also "Learning"); "/" only matches itself.
    matches = [
        i
        for i in items
        if request.path == i["url"] or (i["url"] != "/" and request.path.startswith(i["url"]))
    ]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return {"nav_items": items}
