"""{% session_items sessions show_coach %}: session list items, written in Python.

The week calendar and the coach dashboard list dozens of sessions; through an `{% include %}`
per item, Django's template language spent about half of those pages' time on them. This
writes the same markup as `coaching/_session_item.html` did, every value escaped, the dates in
the viewer's zone and language, with the same translated strings.
"""

from collections.abc import Iterable

from django import template
from django.urls import reverse
from django.utils.formats import date_format, localize, time_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from coaching.models import CoachingSession, SessionStatus
from core.display import localtime_or_stored

register = template.Library()

BADGES = {
    SessionStatus.SCHEDULED: "info",
    SessionStatus.COMPLETED: "ok",
    SessionStatus.NO_SHOW: "warn",
}


def session_item(session: CoachingSession, *, show_coach: bool) -> SafeString:
    # An extreme stored time (year 1 or 9999) cannot move to the viewer's zone; show it as stored
    # instead of answering 500, as the templates' |date filter does (core/display.py).
    start, end = localtime_or_stored(session.start), localtime_or_stored(session.end)
    if show_coach:
        sub = gettext("with coach %(name)s") % {"name": session.coach.full_name}
    else:
        sub = gettext("with %(name)s") % {"name": session.rep.full_name}
    if session.deal_id is not None and session.deal is not None:
        sub += f" · {session.deal.name}"
    scorecard = getattr(session, "scorecard", None)
    if scorecard is not None:
        sub += " · " + gettext("score %(score)s") % {"score": localize(scorecard.overall)}
    return format_html(
        '<li>\n  <span class="session-when"><span class="day">{}</span>'
        '<span class="time">{}–{}</span></span>\n  <span class="session-what">\n'
        '    <a href="{}"{}>{}</a>\n    <span class="badge {}">{}</span>\n'
        '    <span class="cell-sub">{}</span>\n  </span>\n</li>',
        date_format(start, "D j M"),
        time_format(start, "H:i"),
        time_format(end, "H:i"),
        reverse("coaching:session_detail", args=[session.pk]),
        format_html(' class="cancelled-text"') if session.status == SessionStatus.CANCELLED else "",
        session.get_kind_display(),
        BADGES.get(SessionStatus(session.status), "bad"),
        session.get_status_display(),
        sub,
    )


@register.simple_tag
def session_items(
    sessions: Iterable[CoachingSession], show_coach: bool = False, owner_id: int | None = None
) -> SafeString:
    """List items for `sessions`; with `owner_id`, the coach is named on the sessions where the
    owner is not the coach (the calendar of someone who is coach in some, rep in others)."""
    return format_html_join(
        "\n",
        "{}",
        (
            (
                session_item(
                    session,
                    show_coach=show_coach
                    or (owner_id is not None and session.coach_id != owner_id),
                ),
            )
            for session in sessions
        ),
    )
