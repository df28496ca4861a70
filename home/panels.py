"""What the home page shows each role: a few panels, each a title, a line and a link.

Apps contribute panels by adding a function to PANEL_BUILDERS; each returns None when it has
nothing to say to this user. Each builder runs a fixed, small number of queries.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from accounts.models import Role, User


@dataclass(frozen=True)
class Panel:
    title: str
    body: str
    link_url: str = ""
    link_label: str = ""
    figure: str = ""


def _link(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _welcome(user: User) -> Panel | None:
    lines = {
        Role.REP: _("Finish what is assigned to you first; your coach sees your progress."),
        Role.COACH: _("Your coachees' sessions, scores and commitments are under Coaching."),
        Role.MANAGER: _("Assign training to your team and follow who is done or overdue."),
        Role.LEADER: _("Impact shows what training and coaching did to later deals."),
        Role.ADMIN: _("Manage people, programs, costs, CRM connections and API keys."),
    }
    return Panel(
        title=_("Welcome, %(name)s") % {"name": user.full_name}, body=lines[Role(user.role)]
    )


PANEL_BUILDERS: list[Callable[[User], Panel | None]] = [_welcome]


def home_panels(user: User) -> list[Panel]:
    return [p for p in (build(user) for build in PANEL_BUILDERS) if p is not None]
