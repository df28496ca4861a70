"""What a notification can be about, the channels it can go out on, and how each kind reads.

The text is written when it is shown (in the viewer's language), from the `params` stored with
the notification; nothing is stored translated.
"""

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Kind(models.TextChoices):
    ASSIGNED = "assigned", gettext_lazy("Training assigned to you")
    DUE_SOON = "due_soon", gettext_lazy("Training due soon")
    OVERDUE = "overdue", gettext_lazy("Training overdue")
    SESSION_BOOKED = "session_booked", gettext_lazy("Coaching session booked")
    SESSION_CHANGED = "session_changed", gettext_lazy("Coaching session moved or cancelled")
    COMMITMENT_CHECKED = "commitment_checked", gettext_lazy("Commitment checked")
    STORY_PUBLISHED = "story_published", gettext_lazy("New win or loss story")
    RETAKE_REQUESTED = "retake_requested", gettext_lazy("Retake requested")
    RETAKE_GRANTED = "retake_granted", gettext_lazy("Retake granted")
    NUDGE = "nudge", gettext_lazy("Nudge from your manager or coach")


class Channel(models.TextChoices):
    IN_APP = "in_app", gettext_lazy("In Coachline")
    EMAIL = "email", gettext_lazy("Email")
    SLACK = "slack", gettext_lazy("Slack")
    TEAMS = "teams", gettext_lazy("Teams")


# Without a stored choice: in the app and by email, except stories (in the app only). Slack and
# Teams are opt-in: a person turns them on where they want them.
def channel_default(*, kind: str, channel: str) -> bool:
    if channel == Channel.IN_APP:
        return True
    if channel == Channel.EMAIL:
        return kind != Kind.STORY_PUBLISHED
    return False


@dataclass(frozen=True)
class Text:
    title: str
    body: str


def _date(value: str) -> str:
    try:
        return formats.date_format(dt.date.fromisoformat(value), "DATE_FORMAT")
    except ValueError:
        return value


def _datetime(value: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    with contextlib.suppress(OverflowError, ValueError):  # naive, or at the calendar's edge
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "DATETIME_FORMAT")


def notification_text(*, kind: str, params: dict[str, str]) -> Text:
    """Title and body of a notification in the active language."""
    p = {k: str(v) for k, v in params.items()}
    title = p.get("title", "")
    actor = p.get("actor", "")
    note = p.get("note", "")
    if kind == Kind.ASSIGNED:
        return Text(
            _("New training for you: %(title)s") % {"title": title},
            _("%(actor)s assigned it to you. Due %(date)s.")
            % {"actor": actor or _("Your manager"), "date": _date(p.get("due", ""))},
        )
    if kind == Kind.DUE_SOON:
        return Text(
            _("Due soon: %(title)s") % {"title": title},
            _("Finish it by %(date)s.") % {"date": _date(p.get("due", ""))},
        )
    if kind == Kind.OVERDUE:
        return Text(
            _("Overdue: %(title)s") % {"title": title},
            _("It was due %(date)s.") % {"date": _date(p.get("due", ""))},
        )
    if kind == Kind.SESSION_BOOKED:
        return Text(
            _("Coaching session booked: %(title)s") % {"title": title},
            _("With %(person)s on %(when)s.")
            % {"person": p.get("with", ""), "when": _datetime(p.get("start", ""))},
        )
    if kind == Kind.SESSION_CHANGED:
        if p.get("change") == "cancelled":
            return Text(
                _("Coaching session cancelled: %(title)s") % {"title": title},
                _("The session with %(person)s on %(when)s will not take place.")
                % {"person": p.get("with", ""), "when": _datetime(p.get("start", ""))},
            )
        return Text(
            _("Coaching session moved: %(title)s") % {"title": title},
            _("Now with %(person)s on %(when)s.")
            % {"person": p.get("with", ""), "when": _datetime(p.get("start", ""))},
        )
    if kind == Kind.COMMITMENT_CHECKED:
        return Text(
            _("Commitment checked: %(title)s") % {"title": title},
            _("Result: %(result)s.") % {"result": p.get("result", "")},
        )
    if kind == Kind.STORY_PUBLISHED:
        return Text(
            _("New story: %(title)s") % {"title": title},
            _("A win or loss story was published in %(course)s.") % {"course": p.get("course", "")},
        )
    if kind == Kind.RETAKE_REQUESTED:
        return Text(
            _("%(actor)s asks for a retake of %(title)s") % {"actor": actor, "title": title},
            note or _("They used every attempt at this quiz."),
        )
    if kind == Kind.RETAKE_GRANTED:
        return Text(
            _("Retake granted: %(title)s") % {"title": title},
            (
                _("%(actor)s gave you %(n)s more attempt(s).")
                % {"actor": actor, "n": p.get("n", "1")}
            )
            + (f" {note}" if note else ""),
        )
    if kind == Kind.NUDGE:
        return Text(
            _("%(actor)s nudged you about %(title)s") % {"actor": actor, "title": title},
            note or _("A reminder to keep going."),
        )
    return Text(title, note)
