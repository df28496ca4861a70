"""Coaching pages, split by concern. Thin: parse, fetch through coaching.access, call a selector or
a service, render. Every page shows times in the viewer's zone (the middleware activates it)."""

from coaching.views.booking import availability, book, booking_rep_fields, find_slot
from coaching.views.calendar import calendar, dashboard, rep_history, trends
from coaching.views.feeds import calendar_feed_settings, feed, session_ics
from coaching.views.sessions import (
    action_item_create,
    action_item_toggle,
    commitment_create,
    post_mortem_save,
    scorecard_save,
    session_cancel_view,
    session_complete_view,
    session_detail,
    session_reschedule_view,
    story_lesson_create,
)

__all__ = [
    "action_item_create",
    "action_item_toggle",
    "availability",
    "book",
    "booking_rep_fields",
    "calendar",
    "calendar_feed_settings",
    "commitment_create",
    "dashboard",
    "feed",
    "find_slot",
    "post_mortem_save",
    "rep_history",
    "scorecard_save",
    "session_cancel_view",
    "session_complete_view",
    "session_detail",
    "session_ics",
    "session_reschedule_view",
    "story_lesson_create",
    "trends",
]
