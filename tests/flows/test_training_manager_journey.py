"""A manager assigns a course to their team and follows who is done, in progress or overdue."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.flows.conftest import log_in
from tests.training.factories import CompletionFactory, CourseFactory, LessonFactory
from training.models import Assignment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_assigns_a_course_to_the_team_and_sees_progress(cast, page):
    course = CourseFactory(slug="discovery", title="Discovery conversations")
    LessonFactory(course=course)
    CompletionFactory(user=cast.rep_peer, course=course)
    due = timezone.localdate() + dt.timedelta(days=14)

    log_in(page, "manager@example.com", PASSWORD)
    page.get_by_role("link", name="Team progress").click()
    page.get_by_role("link", name="Assign training").first.click()
    page.get_by_label("Program or course").select_option(label="Discovery conversations")
    page.get_by_label("Due date").fill(due.isoformat())
    page.get_by_label("A whole team").select_option(label="Team A")
    page.get_by_role("button", name="Assign").click()

    expect(page.get_by_text("Assigned “Discovery conversations”: 2 new")).to_be_visible()
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(2)
    peer = rows.filter(has_text="Pat Peer")
    expect(peer).to_contain_text("Done")
    expect(peer).to_contain_text("100%")
    expect(rows.filter(has_text="Remy Rep")).to_contain_text("Not started")
    assert set(Assignment.objects.values_list("assignee__email", "due_date")) == {
        ("rep@example.com", due),
        ("peer@example.com", due),
    }

    page.get_by_role("link", name="Done").first.click()
    expect(page.get_by_role("table").locator("tbody tr")).to_have_count(1)
