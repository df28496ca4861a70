"""What the home page shows each role: a few panels, each a title, a line and a link.

Apps contribute panels by adding a function to PANEL_BUILDERS; each returns None when it has
nothing to say to this user. Each builder runs a fixed, small number of queries.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from accounts.access import may_assign, may_grant_retakes
from accounts.models import User
from accounts.roles import Role
from coaching.selectors import next_session_for as coaching_next_session_for
from coaching.selectors import overdue_followups_count as coaching_overdue_followups_count
from core.display import localtime_or_stored
from deals.selectors import deal_pipeline_counts
from roi.access import may_read_reports
from roi.selectors import impact_summary
from training.selectors import home_summary as training_home_summary
from training.selectors import retake_requests_open as training_retake_requests_open


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


def _learning(user: User) -> Panel | None:
    """A rep's most urgent assignment with a resume link; a manager's overdue count."""
    summary = training_home_summary(user=user)
    if may_assign(user):
        if not summary.overdue_count:
            return None
        return Panel(
            title=_("Overdue training"),
            figure=str(summary.overdue_count),
            body=_("Assignments past their due date in your team."),
            link_url=_link("training:team_progress") + "?status=overdue",
            link_label=_("See who"),
        )
    row = summary.next_assignment
    if row is None:
        return None
    a = row.assignment
    due = date_format(a.due_date)
    body = (
        _("Overdue since %(date)s · %(percent)d%% done")
        if row.state.status == "overdue"
        else _("Due %(date)s · %(percent)d%% done")
    ) % {"date": due, "percent": row.state.percent}
    link = _link("training:my_learning")
    if row.state.resume_lesson_slug:
        link = reverse(
            "training:lesson_detail",
            args=[row.state.resume_course_slug, row.state.resume_lesson_slug],
        )
    return Panel(
        title=_("Next up: %(title)s") % {"title": a.target_title},
        body=body,
        link_url=link,
        link_label=_("Start") if row.state.status == "not_started" else _("Continue"),
    )


def _retakes(user: User) -> Panel | None:
    """Coaches, managers, admins: open retake requests from their people (one query)."""
    if not may_grant_retakes(user):
        return None
    pending = training_retake_requests_open(viewer=user)
    if not pending:
        return None
    return Panel(
        title=_("Retake requests"),
        figure=str(len(pending)),
        body=_("People who used every attempt at a quiz and ask for another."),
        link_url=_link("training:retakes"),
        link_label=_("Answer them"),
    )


def _coaching(user: User) -> Panel | None:
    """A rep's next coaching session (one query); a coach's overdue follow-ups (one query)."""
    now = timezone.now()
    if user.role in (Role.COACH, Role.MANAGER):
        overdue = coaching_overdue_followups_count(coach=user, now=now)
        if not overdue:
            return None
        return Panel(
            title=_("Coaching follow-ups"),
            figure=str(overdue),
            body=_("Past sessions to complete and action items past their due date."),
            link_url=_link("coaching:dashboard"),
            link_label=_("Open coaching"),
        )
    if user.role != Role.REP:
        return None
    session = coaching_next_session_for(user=user, now=now)
    if session is None:
        return None
    start = localtime_or_stored(session.start)
    return Panel(
        title=_("Next coaching session"),
        body=_("%(kind)s with %(coach)s, %(day)s at %(time)s")
        % {
            "kind": session.get_kind_display(),
            "coach": session.coach.full_name,
            "day": date_format(start, "DATE_FORMAT"),
            "time": date_format(start, "H:i"),
        },
        link_url=reverse("coaching:session_detail", args=[session.pk]),
        link_label=_("See the agenda"),
    )


def _pipeline(user: User) -> Panel | None:
    """Reps, coaches and managers: open deals they see and how many need attention (1 query)."""
    if user.role not in (Role.REP, Role.COACH, Role.MANAGER):
        return None
    counts = deal_pipeline_counts(principal=user, today=timezone.localdate())
    if not counts.open:
        return None
    titles = {
        Role.REP: _("Your pipeline"),
        Role.COACH: _("Your coachees' pipeline"),
        Role.MANAGER: _("Your team's pipeline"),
    }
    return Panel(
        title=titles[Role(user.role)],
        figure=str(counts.open),
        body=_(
            "Open deals: %(slipped)s slipped, %(lacking)s without a compelling deadline or "
            "economic-buyer access."
        )
        % {"slipped": counts.slipped, "lacking": counts.lacking},
        link_url=_link("deals:hygiene"),
        link_label=_("Pipeline hygiene"),
    )


def _impact(user: User) -> Panel | None:
    """Managers, leaders, admins: programs with a finding and the best ROI (one query)."""
    if not may_read_reports(user):
        return None
    summary = impact_summary()
    if not summary.findings and not summary.collecting:
        return None
    body = _("%(collecting)s still collecting evidence.") % {"collecting": summary.collecting}
    if summary.best is not None and summary.best.roi_pct is not None:
        body = _("Best return: %(title)s, ROI %(roi)s%%. %(rest)s") % {
            "title": summary.best.title,
            # grouped in the reader's language: "1,489" / "1.489" (English grouping in German
            # read as one and a half per cent)
            "roi": number_format(round(summary.best.roi_pct), 0, force_grouping=True),
            "rest": body,
        }
    return Panel(
        title=_("Programs with a measured effect"),
        figure=str(summary.findings),
        body=body,
        link_url=_link("roi:dashboard"),
        link_label=_("Open Impact"),
    )


PANEL_BUILDERS: list[Callable[[User], Panel | None]] = [
    _welcome,
    _learning,
    _retakes,
    _coaching,
    _pipeline,
    _impact,
]


def home_panels(user: User) -> list[Panel]:
    return [p for p in (build(user) for build in PANEL_BUILDERS) if p is not None]
