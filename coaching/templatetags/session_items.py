"""{% session_items sessions show_coach %}, {% week_items blocks owner_id %} and
{% free_cell_items cells rep_id %}: session list items and the week's bookable half hours,
written in Python.

The week calendar and the coach dashboard list dozens of sessions; through an `{% include %}`
per item, or a template loop with a dozen lookups per item, Django's template language spent
most of those pages' time on them. This writes the same markup the template did
(`coaching/_session_item.html`), every value escaped, the dates in the viewer's zone and
language, with the same translated strings. The week calendar writes each session once: its
list item carries the session's place on the week grid as classes, and the stylesheet lays the
same items out as a grid on wide screens and as a list of days on phones (decision 0019).
Labels come from core.display.choice_label (get_FOO_display() translates every choice on each
call) and the session links from one reverse() per list (core.links).
"""

import datetime as dt
from collections.abc import Iterable
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from coaching.calendar_grid import Block, FreeCell
from coaching.models import CoachingSession, SessionKind, SessionStatus
from core.display import choice_label, localtime_or_stored
from core.formats import WEEKDAY_DAY_MONTH_LONG, day_text
from core.links import link_by_id

register = template.Library()

_CANCELLED = mark_safe(' class="cancelled-text"')  # a constant, no input

BADGES = {
    SessionStatus.SCHEDULED: "info",
    SessionStatus.COMPLETED: "ok",
    SessionStatus.NO_SHOW: "warn",
}


class _ItemText:
    """What every item of one list shares, worked out once per list: the translated phrases,
    the link pattern, and each day's label (a week holds many sessions on few days)."""

    def __init__(self) -> None:
        self.url = link_by_id("coaching:session_detail")
        self.with_coach = gettext("with coach %(name)s")
        self.with_rep = gettext("with %(name)s")
        self.score = gettext("score %(score)s")
        self._days: dict[dt.date, str] = {}

    def day(self, moment: dt.datetime) -> str:
        key = moment.date()
        if key not in self._days:
            self._days[key] = day_text(moment)
        return self._days[key]


def session_item(
    session: CoachingSession,
    *,
    show_coach: bool,
    text: _ItemText | None = None,
    li_class: str = "",
) -> SafeString:
    text = text or _ItemText()
    # An extreme stored time (year 1 or 9999) cannot move to the viewer's zone; show it as stored
    # instead of answering 500, as the templates' |date filter does (core/display.py).
    start, end = localtime_or_stored(session.start), localtime_or_stored(session.end)
    if show_coach:
        sub = text.with_coach % {"name": session.coach.full_name}
    else:
        sub = text.with_rep % {"name": session.rep.full_name}
    if session.deal_id is not None and session.deal is not None:
        sub += f" · {session.deal.name}"
    scorecard = getattr(session, "scorecard", None)
    if scorecard is not None:
        sub += " · " + text.score % {"score": localize(scorecard.overall)}
    return format_html(
        '<li{}>\n  <span class="session-when"><span class="day">{}</span>'
        '<span class="time">{}–{}</span></span>\n  <span class="session-what">\n'
        '    <a href="{}"{}>{}</a>\n    <span class="badge {}">{}</span>\n'
        '    <span class="cell-sub">{}</span>\n  </span>\n</li>',
        format_html(' class="{}"', li_class) if li_class else "",
        text.day(start),
        # "H:i" in every language: hours and minutes, two digits each.
        f"{start:%H:%M}",
        f"{end:%H:%M}",
        text.url(session.pk),
        _CANCELLED if session.status == SessionStatus.CANCELLED else "",
        choice_label(SessionKind, session.kind),
        BADGES.get(SessionStatus(session.status), "bad"),
        choice_label(SessionStatus, session.status),
        sub,
    )


@register.simple_tag
def session_items(
    sessions: Iterable[CoachingSession], show_coach: bool = False, owner_id: int | None = None
) -> SafeString:
    """List items for `sessions`; with `owner_id`, the coach is named on the sessions where the
    owner is not the coach (the calendar of someone who is coach in some, rep in others)."""
    text = _ItemText()
    return format_html_join(
        "\n",
        "{}",
        (
            (
                session_item(
                    session,
                    show_coach=show_coach
                    or (owner_id is not None and session.coach_id != owner_id),
                    text=text,
                ),
            )
            for session in sessions
        ),
    )


@register.simple_tag
def week_items(blocks: Iterable[Block[CoachingSession]], owner_id: int) -> SafeString:
    """One day's list items on the week calendar, each placed on the grid by its classes (status,
    column, first row, rows spanned). The coach is named where the owner is not the coach."""
    text = _ItemText()
    return format_html_join(
        "\n",
        "{}",
        (
            (
                session_item(
                    block.session,
                    show_coach=block.session.coach_id != owner_id,
                    text=text,
                    li_class=(
                        f"block {block.session.status} c-{block.column} r-{block.row} "
                        f"rs-{block.span}"
                    ),
                ),
            )
            for block in blocks
        ),
    )


@register.simple_tag
def free_cell_items(cells: Iterable[FreeCell], rep_id: int | None = None) -> SafeString:
    """One day's free half hours on the week calendar, each a link to the booking form with its
    start, the free time up to an hour and (on a rep's week) the rep filled in: a plain link, so
    it books by keyboard and without JavaScript. Placed on the grid by its classes, under the
    sessions."""
    # Written with plain strings, not format_html per link: a week holds up to 140 of them, and
    # format_html and urlencode per link doubled the page's time. Every value is escaped or
    # safe by construction: the path from reverse(), the start percent-encoded, whole numbers,
    # "HH:MM", the translated label and day name escaped.
    book = reverse("coaching:book")
    rep = "" if rep_id is None else f"&amp;rep={int(rep_id)}"
    label = str(escape(gettext("Book %(day)s at %(time)s")))
    days: dict[dt.date, str] = {}
    items = []
    for cell in cells:
        day = days.get(cell.start.date()) or days.setdefault(
            cell.start.date(), str(escape(day_text(cell.start, WEEKDAY_DAY_MONTH_LONG)))
        )
        time = f"{cell.start:%H:%M}"
        items.append(
            f'<li class="free c-{cell.column} r-{cell.row} rs-2">'
            f'<a href="{book}?start={quote(cell.start.isoformat(), safe="")}'
            f'&amp;duration={int(cell.minutes)}{rep}" '
            f'aria-label="{label % {"day": day, "time": time}}"><span>{time}</span></a></li>'
        )
    return mark_safe("\n".join(items))  # every part escaped above
