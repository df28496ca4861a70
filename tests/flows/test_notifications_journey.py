"""A manager assigns a course; the rep is told at once: the bell in the header counts it, the
centre lists it and opens the course, and the fake Slack workspace got the direct message."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from notifications.kinds import Channel, Kind
from notifications.services import preferences_set
from tests.factories import PASSWORD
from tests.flows.conftest import log_in
from tests.training.factories import CourseFactory, LessonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_assignment_reaches_the_rep_in_the_app_and_in_slack(cast, page, fake_slack):
    course = CourseFactory(slug="discovery", title="Discovery conversations")
    LessonFactory(course=course, title="What discovery is for")
    fake_slack.members["rep@example.com"] = "U0REMY"
    preferences_set(
        user=cast.rep,
        enabled={(Kind.ASSIGNED, Channel.IN_APP), (Kind.ASSIGNED, Channel.SLACK)},
    )
    due = timezone.localdate() + dt.timedelta(days=14)

    log_in(page, "manager@example.com", PASSWORD)
    page.goto("/learn/team/assign/")
    page.get_by_label("Program or course").select_option(label="Discovery conversations")
    page.get_by_label("Due date").fill(due.isoformat())
    page.get_by_label("Remy Rep").check()
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_text("Assigned “Discovery conversations”: 1 new")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    assert [m["channel"] for m in fake_slack.messages] == ["U0REMY"]
    assert "New training for you: Discovery conversations" in fake_slack.messages[0]["text"]

    log_in(page, "rep@example.com", PASSWORD)
    bell = page.get_by_role("link", name="Notifications, 1 unread")
    expect(bell).to_be_visible()
    bell.click()
    page.get_by_role("button", name="New training for you: Discovery conversations").click()
    expect(page.get_by_role("heading", name="Discovery conversations")).to_be_visible()
    expect(page.get_by_role("link", name="Notifications, 0 unread")).to_be_visible()
