"""{% team_progress_rows rows can_assign %}: the team progress table's rows, written in Python.

A manager's team progress page shows up to a hundred assignments; as a template loop each row
cost some eighty node renders (a dozen translations, two URL reversals, two date formats),
three quarters of the page's time at ten times the demo data (bench/pages.py). This writes the
same markup `training/team_progress.html` did, every value escaped, with the same translated
strings: the phrases once per table, the links from one reverse() each (core.links), each
date formatted once.
"""

import datetime as dt
from collections.abc import Iterable

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from core.display import localtime_or_stored
from core.formats import percent_text
from core.links import link_by_id
from core.templatetags.pct_class import pct_class
from training.selectors import TeamRow

register = template.Library()


class _TableText:
    """What every row shares, worked out once per table."""

    def __init__(self) -> None:
        self.person = link_by_id("training:person_progress")
        self.unassign = link_by_id("training:unassign")
        self.training, self.due = gettext("Training"), gettext("Due")
        self.status, self.progress = gettext("Status"), gettext("Progress")
        self.completed, self.remove = gettext("Completed"), gettext("Remove")
        self.program, self.course = gettext("Program"), gettext("Course")
        self.courses = gettext("%(d)s/%(t)s courses")
        self.remove_label = gettext("Remove %(t)s from %(n)s")
        self._dates: dict[dt.date, str] = {}

    def date(self, day: dt.date | None) -> str:
        if day is None:
            return ""
        if day not in self._dates:
            self._dates[day] = date_format(day, "DATE_FORMAT")
        return self._dates[day]


def _row(row: TeamRow, *, text: _TableText, can_assign: bool) -> SafeString:
    a, s = row.assignment, row.state
    if a.program_id:
        kind = format_html(
            "{}</span> {}", text.program, text.courses % {"d": s.courses_done, "t": s.courses_total}
        )
    else:
        kind = format_html("{}</span>", text.course)
    completed = text.date(localtime_or_stored(s.completed_at).date()) if s.completed_at else ""
    remove = ""
    if can_assign:
        label = text.remove_label % {"t": a.target_title, "n": a.assignee.full_name}
        remove = format_html(
            '<td><a class="small" href="{}" aria-label="{}">{}</a></td>',
            text.unassign(a.pk),
            label,
            text.remove,
        )
    return format_html(
        '<tr>\n    <td><a class="cell-main" href="{}">{}</a><span class="cell-sub">{}</span></td>\n'
        '    <td data-label="{}"><div><span class="cell-main">{}</span><span class="cell-sub">'
        '<span class="badge kind">{}</span></div></td>\n'
        '    <td data-label="{}">{}</td>\n'
        '    <td data-label="{}"><span class="badge {}">{}</span></td>\n'
        '    <td class="progress-cell" data-label="{}"><span class="small">{}</span>'
        '<div class="progress {}" role="progressbar" aria-valuemin="0" aria-valuemax="100"'
        ' aria-valuenow="{}" aria-label="{}"><span></span></div></td>\n'
        '    <td data-label="{}">{}</td>\n    {}\n  </tr>',
        text.person(a.assignee_id),
        a.assignee.full_name,
        (a.assignee.team.name if a.assignee.team else "") or "—",
        text.training,
        a.target_title,
        kind,
        text.due,
        text.date(a.due_date),
        text.status,
        s.badge,
        s.label,
        text.progress,
        percent_text(s.percent),
        pct_class(s.percent),
        s.percent,
        text.progress,
        text.completed,
        completed or "—",
        remove,
    )


@register.simple_tag
def team_progress_rows(rows: Iterable[TeamRow], can_assign: bool) -> SafeString:
    text = _TableText()
    return format_html_join(
        "", "{}", ((_row(row, text=text, can_assign=can_assign),) for row in rows)
    )
