"""Booking from the week calendar in Chromium: a coach clicks a free half hour on a rep's week
and books it by keyboard, the form filled in with that day, time and rep; the same link works
with JavaScript off. The links are checked by axe-core in the accessibility journey."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coaching.models import CoachingSession
from core.formats import WEEKDAY_DAY_MONTH_LONG, day_text
from tests.coaching.factories import SessionFactory
from tests.factories import PASSWORD
from tests.flows.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _next_monday() -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=7 - today.weekday())


def test_a_coach_books_a_free_slot_from_a_reps_week_by_keyboard(cast, page):
    monday = _next_monday()
    tuesday = monday + dt.timedelta(days=1)
    busy = dt.datetime.combine(tuesday, dt.time(9), tzinfo=dt.UTC)
    SessionFactory(coach=cast.coach, rep=cast.rep, start=busy, end=busy + dt.timedelta(hours=1))
    page.set_default_timeout(30_000)  # the shared machine runs slow
    log_in(page, "coach@example.com", PASSWORD)
    page.goto(f"/coaching/calendar/?week={monday.isoformat()}&user={cast.rep.pk}")
    day = day_text(tuesday, WEEKDAY_DAY_MONTH_LONG)  # "Mon, December 7"
    # the rep's busy hour offers nothing; the free half hour after it is a link
    expect(page.get_by_role("link", name=f"Book {day} at 09:00")).to_have_count(0)
    slot = page.get_by_role("link", name=f"Book {day} at 10:00")

    # a pointer finds the cell (its time shows on hover) ...
    slot.hover()
    expect(slot).to_have_text("10:00")
    # ... and the keyboard reaches it by Tab from the link before it and books with Enter
    page.get_by_role("link", name=f"Book {day} at 11:00").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(slot).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Book a session")).to_be_visible()
    expect(page.get_by_label("Rep")).to_have_value(str(cast.rep.pk))
    expect(page.get_by_label("Starts")).to_have_value(f"{tuesday.isoformat()}T10:00")
    expect(page.get_by_label("Length")).to_have_value("60")
    page.get_by_label("Kind").select_option(label="Post-call review")
    page.get_by_role("button", name="Book and send invites").click()

    expect(page.get_by_text("Booked. Remy Rep and you have the calendar invite.")).to_be_visible()
    booked = CoachingSession.objects.exclude(start=busy).get()
    assert (booked.coach, booked.rep) == (cast.coach, cast.rep)
    assert booked.start == busy + dt.timedelta(hours=1)
    assert booked.end == busy + dt.timedelta(hours=2)
    # back on the week, the booked hour is a session, no longer a free slot
    page.goto(f"/coaching/calendar/?week={monday.isoformat()}&user={cast.rep.pk}")
    expect(page.get_by_role("link", name=f"Book {day} at 10:00")).to_have_count(0)
    expect(page.get_by_role("link", name=f"Book {day} at 11:00")).to_have_count(1)


def test_a_free_slot_is_a_plain_link_without_javascript(browser, live_server, cast):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 860}, java_script_enabled=False
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    monday = _next_monday()
    log_in(page, "coach@example.com", PASSWORD)

    page.goto(f"/coaching/calendar/?week={monday.isoformat()}")
    page.get_by_role(
        "link", name=f"Book {day_text(monday, WEEKDAY_DAY_MONTH_LONG)} at 14:30"
    ).click()

    expect(page.get_by_role("heading", name="Book a session")).to_be_visible()
    expect(page.get_by_label("Starts")).to_have_value(f"{monday.isoformat()}T14:30")
    expect(page.get_by_label("Length")).to_have_value("60")
    context.close()
