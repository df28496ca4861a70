"""A manager assigns a course to their team and follows who is done, in progress or overdue."""

import datetime as dt

import pytest
from django.utils import timezone

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

    assert page.get_by_text("Assigned “Discovery conversations”: 2 new").is_visible()
    table = page.get_by_role("table")
    rows = {
        row.locator("td").first.inner_text().split("\n")[0]: row.inner_text()
        for row in table.locator("tbody tr").all()
    }
    assert set(rows) == {"Pat Peer", "Remy Rep"}
    assert "Done" in rows["Pat Peer"] and "100%" in rows["Pat Peer"]
    assert "Not started" in rows["Remy Rep"]
    assert set(Assignment.objects.values_list("assignee__email", "due_date")) == {
        ("rep@example.com", due),
        ("peer@example.com", due),
    }

    page.get_by_role("link", name="Done").first.click()
    assert page.get_by_role("table").locator("tbody tr").count() == 1
