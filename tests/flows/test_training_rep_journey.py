"""A rep takes an assigned course in the browser: lessons, a failed and a passed quiz, the
certificate and its public verification."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.flows.conftest import log_in
from tests.training.factories import AssignmentFactory, CourseFactory, LessonFactory, make_quiz
from training.models import Completion, QuizAttempt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _answer(page, choice: str) -> None:
    for question in page.locator("#quiz-form fieldset").all():
        question.get_by_label(choice, exact=True).check()
    page.get_by_role("button", name="Submit answers").click()


def test_a_rep_takes_an_assigned_course_to_the_certificate(cast, page):
    course = CourseFactory(slug="qualify", title="Qualification that holds up")
    LessonFactory(
        course=course, slug="why", title="Why deals die", body="Activity is not **progress**."
    )
    LessonFactory(
        course=course, slug="deadline", title="A compelling deadline", body="Test the date."
    )
    make_quiz(
        course, slug="check", title="Check your qualification", questions=2, pass_mark_pct=100
    )
    AssignmentFactory(assignee=cast.rep, course=course)

    log_in(page, "rep@example.com", PASSWORD)
    page.get_by_role("link", name="Learning", exact=True).click()
    expect(page.get_by_role("heading", name="Assigned to you")).to_be_visible()
    page.get_by_role("link", name="Start").click()

    expect(page.get_by_role("heading", name="Why deals die")).to_be_visible()
    page.get_by_role("button", name="Mark done and continue").click()
    expect(page.get_by_role("heading", name="A compelling deadline")).to_be_visible()
    page.get_by_role("button", name="Mark done and continue").click()

    expect(page.get_by_role("heading", name="Check your qualification")).to_be_visible()
    _answer(page, "wrong")
    expect(page.get_by_role("heading", name="Not passed yet")).to_be_visible()
    expect(page.get_by_text("Because of reason 1.")).to_have_count(0)  # answers wait for a pass
    _answer(page, "right")

    expect(page.get_by_role("heading", name="Course completed")).to_be_visible()
    page.locator("label[for=star-4]").click()  # the star itself, as a person clicks it
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_text("You gave it 4 stars")).to_be_visible()  # swapped in by htmx
    page.get_by_role("link", name="View your certificate").click()

    certificate = page.get_by_role("article", name="Certificate of completion")
    expect(certificate.get_by_text("Remy Rep")).to_be_visible()
    expect(certificate.get_by_text("Qualification that holds up")).to_be_visible()
    completion = Completion.objects.get(user=cast.rep)
    expect(certificate).to_contain_text(completion.certificate_code)
    assert QuizAttempt.objects.filter(user=cast.rep).count() == 2

    verify = certificate.get_by_role("link").get_attribute("href")
    page.context.clear_cookies()
    page.goto(verify)
    expect(page.get_by_role("heading", name="Certificate verified")).to_be_visible()
    expect(page.get_by_text("Remy Rep")).to_be_visible()


def test_a_rep_on_a_phone_resumes_where_they_left_off(cast, browser, live_server):
    course = CourseFactory(slug="discovery", title="Discovery conversations")
    LessonFactory(course=course, slug="one", title="What discovery is for")
    LessonFactory(course=course, slug="two", title="Questions that move a conversation")
    AssignmentFactory(assignee=cast.rep, course=course)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        log_in(page, "rep@example.com", PASSWORD)
        page.goto("/learn/courses/discovery/one/")
        page.get_by_role("button", name="Mark done and continue").click()
        page.goto("/learn/")
        page.get_by_role("link", name="Continue").click()

        expect(
            page.get_by_role("heading", name="Questions that move a conversation")
        ).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing wider than the phone
    finally:
        context.close()
