"""A manager drills into one person, nudges them, and removes an assignment only after
confirming; the rep finds the nudge under the bell."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.flows.conftest import log_in
from tests.training.factories import AssignmentFactory, CourseFactory, LessonFactory
from training.models import Assignment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_nudges_a_rep_and_removes_an_assignment_after_confirming(cast, page):
    due = timezone.localdate() + dt.timedelta(days=7)
    for slug, title in (("discovery", "Discovery conversations"), ("pricing", "Pricing talks")):
        course = CourseFactory(slug=slug, title=title)
        LessonFactory(course=course)
        AssignmentFactory(assignee=cast.rep, course=course, due_date=due)

    log_in(page, "manager@example.com", PASSWORD)
    page.get_by_role("link", name="Team progress").click()
    expect(page.get_by_role("link", name="Export CSV")).to_be_visible()
    page.get_by_role("link", name="Remy Rep").first.click()
    expect(page.get_by_role("heading", name="Remy Rep")).to_be_visible()
    discovery = page.locator("li.card", has_text="Discovery conversations")
    discovery.get_by_label("Note (optional)").fill("Can you finish it this week?")
    discovery.get_by_role("button", name="Nudge Remy Rep").click()
    expect(page.get_by_text("Remy Rep was nudged about “Discovery conversations”.")).to_be_visible()

    page.locator("li.card", has_text="Pricing talks").get_by_role("link", name="Remove").click()
    expect(page.get_by_text("Remove “Pricing talks”")).to_be_visible()
    assert Assignment.objects.filter(course__slug="pricing").exists()  # not yet
    page.get_by_role("button", name="Remove the assignment").click()
    expect(page.get_by_text("Removed “Pricing talks” from Remy Rep.")).to_be_visible()
    assert not Assignment.objects.filter(course__slug="pricing").exists()
    page.get_by_role("button", name="Log out").click()

    log_in(page, "rep@example.com", PASSWORD)
    page.get_by_role("link", name="Notifications, 1 unread").click()
    expect(page.get_by_text("Mia Manager nudged you about Discovery conversations")).to_be_visible()
    expect(page.get_by_text("Can you finish it this week?")).to_be_visible()
