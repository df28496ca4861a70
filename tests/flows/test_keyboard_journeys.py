"""Keyboard only, in Chromium (issue 14, accessibility): a rep takes a quiz with Tab, the arrow
keys, Space and Enter; a coach books a session from the find-a-slot page the same way. Each
step checks where the focus is, so a control that the keyboard cannot reach fails the test."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from coaching.models import CoachingSession
from tests.coaching.factories import AvailabilityFactory
from tests.factories import PASSWORD
from tests.flows.conftest import log_in
from tests.training.factories import AssignmentFactory, CourseFactory, make_quiz
from training.models import QuizAttempt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _tab_to(page, target, limit: int = 80) -> None:  # type: ignore[no-untyped-def]
    """Press Tab until `target` has the focus (as a keyboard user would reach it)."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def test_a_rep_takes_a_quiz_by_keyboard_only(cast, page):
    course = CourseFactory(slug="qualify", title="Qualification that holds up")
    make_quiz(
        course, slug="check", title="Check your qualification", questions=2, multiple_last=True
    )
    AssignmentFactory(assignee=cast.rep, course=course)
    page.set_default_timeout(30_000)  # the shared machine runs slow
    log_in(page, cast.rep.email, PASSWORD)
    page.goto("/learn/courses/qualify/check/")
    expect(page.get_by_role("heading", name="Check your qualification")).to_be_visible()
    first, second = page.locator("#quiz-form fieldset").all()

    # question 1 (one answer): Tab into the group lands on its first choice; ArrowDown picks
    # the next one, as radio buttons do
    _tab_to(page, first.get_by_label("wrong", exact=True))
    page.keyboard.press("ArrowDown")
    expect(first.get_by_label("right", exact=True)).to_be_checked()
    expect(first.get_by_label("right", exact=True)).to_be_focused()
    # question 2 (all that apply): Tab from box to box, Space ticks
    page.keyboard.press("Tab")
    expect(second.get_by_label("wrong", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(second.get_by_label("right", exact=True)).to_be_checked()
    expect(second.get_by_label("also right", exact=True)).to_be_checked()
    expect(second.get_by_label("wrong", exact=True)).not_to_be_checked()
    # then the submit button, and Enter
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Submit answers")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Course completed")).to_be_visible()
    attempt = QuizAttempt.objects.get(user=cast.rep)
    assert (attempt.passed, float(attempt.score)) == (True, 100.0)


def test_a_coach_books_a_session_by_keyboard_only(cast, page):
    for day in range(7):
        AvailabilityFactory(
            coach=cast.coach, weekday=day, start_time=dt.time(8), end_time=dt.time(18)
        )
    page.set_default_timeout(30_000)
    log_in(page, cast.coach.email, PASSWORD)
    page.goto("/coaching/find-a-slot/")

    # the rep (a select: typing chooses), then the search button
    rep = page.get_by_label("Rep")
    _tab_to(page, rep)
    page.keyboard.type("Remy")
    expect(rep).to_have_value(str(cast.rep.pk))
    _tab_to(page, page.get_by_role("button", name="Find free times"))
    page.keyboard.press("Enter")
    slot = page.locator(".slots a").first
    expect(slot).to_be_visible()
    _tab_to(page, slot)
    page.keyboard.press("Enter")

    # the booking form, filled in with the rep and the time; the kind by typing, Enter books
    expect(page.get_by_role("heading", name="Book a session")).to_be_visible()
    expect(page.get_by_label("Rep")).to_have_value(str(cast.rep.pk))
    kind = page.get_by_label("Kind")
    _tab_to(page, kind)
    page.keyboard.type("Post")
    expect(kind).to_have_value("post_call_review")
    _tab_to(page, page.get_by_role("button", name="Book and send invites"))
    page.keyboard.press("Enter")

    expect(page.get_by_text("Booked. Remy Rep and you have the calendar invite.")).to_be_visible()
    session = CoachingSession.objects.get()
    assert (session.coach, session.rep, session.kind) == (cast.coach, cast.rep, "post_call_review")
