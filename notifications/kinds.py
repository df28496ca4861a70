"""What a notification can be about, the channels it can go out on, and how each kind reads.

The text is written when it is shown (in the viewer's language), from the `params` stored with
the notification; nothing is stored translated.
"""

import contextlib
import datetime as dt
from collections.abc import Callable
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


def _assigned(p: dict[str, str]) -> Text:
    return Text(
        _("New training for you: %(title)s") % {"title": p["title"]},
        _("%(actor)s assigned it to you. Due %(date)s.")
        % {"actor": p["actor"] or _("Your manager"), "date": _date(p.get("due", ""))},
    )


def _due_soon(p: dict[str, str]) -> Text:
    return Text(
        _("Due soon: %(title)s") % {"title": p["title"]},
        _("Finish it by %(date)s.") % {"date": _date(p.get("due", ""))},
    )


def _overdue(p: dict[str, str]) -> Text:
    return Text(
        _("Overdue: %(title)s") % {"title": p["title"]},
        _("It was due %(date)s.") % {"date": _date(p.get("due", ""))},
    )


def _session_booked(p: dict[str, str]) -> Text:
    return Text(
        _("Coaching session booked: %(title)s") % {"title": p["title"]},
        _("With %(person)s on %(when)s.")
        % {"person": p.get("with", ""), "when": _datetime(p.get("start", ""))},
    )


def _session_changed(p: dict[str, str]) -> Text:
    when = {"person": p.get("with", ""), "when": _datetime(p.get("start", ""))}
    if p.get("change") == "cancelled":
        return Text(
            _("Coaching session cancelled: %(title)s") % {"title": p["title"]},
            _("The session with %(person)s on %(when)s will not take place.") % when,
        )
    return Text(
        _("Coaching session moved: %(title)s") % {"title": p["title"]},
        _("Now with %(person)s on %(when)s.") % when,
    )


def _commitment_checked(p: dict[str, str]) -> Text:
    return Text(
        _("Commitment checked: %(title)s") % {"title": p["title"]},
        _("Result: %(result)s.") % {"result": p.get("result", "")},
    )


def _story_published(p: dict[str, str]) -> Text:
    return Text(
        _("New story: %(title)s") % {"title": p["title"]},
        _("A win or loss story was published in %(course)s.") % {"course": p.get("course", "")},
    )


def _retake_requested(p: dict[str, str]) -> Text:
    return Text(
        _("%(actor)s asks for a retake of %(title)s") % {"actor": p["actor"], "title": p["title"]},
        p["note"] or _("They used every attempt at this quiz."),
    )


def _retake_granted(p: dict[str, str]) -> Text:
    note = p["note"]
    return Text(
        _("Retake granted: %(title)s") % {"title": p["title"]},
        (
            _("%(actor)s gave you %(n)s more attempt(s).")
            % {"actor": p["actor"], "n": p.get("n", "1")}
        )
        + (f" {note}" if note else ""),
    )


def _nudge(p: dict[str, str]) -> Text:
    return Text(
        _("%(actor)s nudged you about %(title)s") % {"actor": p["actor"], "title": p["title"]},
        p["note"] or _("A reminder to keep going."),
    )


# One writer per kind; each reads the stored params (title, actor and note always present).
_WRITERS: dict[str, Callable[[dict[str, str]], Text]] = {
    Kind.ASSIGNED: _assigned,
    Kind.DUE_SOON: _due_soon,
    Kind.OVERDUE: _overdue,
    Kind.SESSION_BOOKED: _session_booked,
    Kind.SESSION_CHANGED: _session_changed,
    Kind.COMMITMENT_CHECKED: _commitment_checked,
    Kind.STORY_PUBLISHED: _story_published,
    Kind.RETAKE_REQUESTED: _retake_requested,
    Kind.RETAKE_GRANTED: _retake_granted,
    Kind.NUDGE: _nudge,
}


def notification_text(*, kind: str, params: dict[str, str]) -> Text:
    """Title and body of a notification in the active language."""
    p = {k: str(v) for k, v in params.items()}
    for key in ("title", "actor", "note"):
        p.setdefault(key, "")
    writer = _WRITERS.get(kind)
    return writer(p) if writer else Text(p["title"], p["note"])
