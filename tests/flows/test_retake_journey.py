"""A rep who used every attempt asks for a retake; their coach grants it from the home page; the
rep passes on the extra attempt. An empty submit costs nothing."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.flows.conftest import log_in
from tests.training.factories import AssignmentFactory, CourseFactory, make_quiz
from training.models import QuizAttempt, RetakeGrant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _answer(page, choice: str) -> None:
    for question in page.locator("#quiz-form fieldset").all():
        question.get_by_label(choice, exact=True).check()
    page.get_by_role("button", name="Submit answers").click()


def test_a_coach_grants_a_retake_the_rep_asked_for(cast, page):
    course = CourseFactory(slug="qualify", title="Qualification that holds up")
    make_quiz(course, slug="check", title="Check your qualification", questions=2, max_attempts=1)
    AssignmentFactory(assignee=cast.rep, course=course)

    log_in(page, "rep@example.com", PASSWORD)
    page.goto("/learn/courses/qualify/check/")
    page.get_by_role("button", name="Submit answers").click()  # nothing chosen
    expect(page.get_by_text("Answer at least one question before submitting.")).to_be_visible()
    expect(page.get_by_text("1 attempt left")).to_be_visible()
    _answer(page, "wrong")
    expect(page.get_by_role("heading", name="Not passed", exact=True)).to_be_visible()
    retake = page.get_by_role("region", name="Ask for a retake")
    expect(retake.get_by_text("Cole Coach")).to_be_visible()
    retake.get_by_label("Message (optional)").fill("I rushed question 2.")
    retake.get_by_role("button", name="Request a retake").click()
    expect(page.get_by_text("Your request for a retake was sent.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    log_in(page, "coach@example.com", PASSWORD)
    page.get_by_role("link", name="Answer them").click()
    expect(page.get_by_text("I rushed question 2.")).to_be_visible()
    page.get_by_role("button", name="Grant a retake to Remy Rep").click()
    expect(page.get_by_text("Remy Rep can take “Check your qualification” again.")).to_be_visible()
    expect(page.get_by_text("No open retake requests.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    log_in(page, "rep@example.com", PASSWORD)
    page.goto("/learn/courses/qualify/check/")
    _answer(page, "right")
    expect(page.get_by_role("heading", name="Course completed")).to_be_visible()
    assert QuizAttempt.objects.filter(user=cast.rep).count() == 2
    assert RetakeGrant.objects.get().granted_by == cast.coach
