"""A rep searches from the header and finds the "Economic buyer" lesson by its words; a manager
finds a person and a deal of their team; on a laptop and on a 390 px phone (no sideways scroll)."""

import os

import pytest
from playwright.sync_api import expect

from tests.deals.factories import DealFactory
from tests.factories import PASSWORD
from tests.flows.conftest import ARTIFACTS, log_in
from tests.training.factories import CourseFactory, LessonFactory, StoryLessonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if os.environ.get("COACHLINE_SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"search-{name}.png"), full_page=True)


def _content(cast):  # type: ignore[no-untyped-def]
    course = CourseFactory(title="Qualification that holds up", slug="qualification")
    LessonFactory(
        course=course,
        slug="economic-buyer",
        title="Reaching the economic buyer",
        body="The economic buyer is the person who can say **yes** when everyone else says no.",
    )
    StoryLessonFactory(
        course=course,
        title="Story: the quarter-end that wasn't",
        story_what_happened="Nobody had met the economic buyer before the proposal went out.",
    )
    DealFactory(owner=cast.rep, name="Acme renewal", account_name="Acme")


def _no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_rep_finds_the_economic_buyer_lesson_from_the_header(cast, page):
    _content(cast)
    log_in(page, "rep@example.com", PASSWORD)

    page.get_by_role("search").get_by_label("Search").fill("economic buyer")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Search", level=1)).to_be_visible()
    lessons = page.get_by_role("region", name="Lessons")
    expect(lessons.get_by_role("link", name="Reaching the economic buyer")).to_be_visible()
    expect(lessons.locator("mark").first).to_have_text("economic", ignore_case=True)
    expect(page.get_by_role("region", name="Win and loss stories")).to_contain_text("quarter-end")
    _shot(page, "rep-laptop")

    lessons.get_by_role("link", name="Reaching the economic buyer").click()
    expect(page.get_by_role("heading", name="Reaching the economic buyer")).to_be_visible()

    page.set_viewport_size(PHONE)
    page.goto("/search/?q=" + "x" * 201)
    expect(page.get_by_role("alert")).to_contain_text("too long")
    page.get_by_role("link", name="Search").first.click()
    page.locator("#site-search-q").fill("buyer")
    page.locator("#site-search-q").press("Enter")
    expect(page.get_by_role("region", name="Lessons")).to_be_visible()
    _no_sideways_scroll(page)
    _shot(page, "rep-phone")


def test_a_manager_finds_a_person_and_a_deal_of_their_team(cast, page):
    _content(cast)
    log_in(page, "manager@example.com", PASSWORD)

    page.goto("/search/?q=acme")
    expect(
        page.get_by_role("region", name="Deals").get_by_role("link", name="Acme renewal")
    ).to_be_visible()
    page.goto("/search/?q=remy")
    people = page.get_by_role("region", name="People")
    expect(people.get_by_role("link", name="Remy Rep")).to_be_visible()
    _shot(page, "manager-laptop")
    people.get_by_role("link", name="Remy Rep").click()
    expect(page.get_by_role("heading", name="Remy Rep")).to_be_visible()

    page.set_viewport_size(PHONE)
    page.goto("/search/?q=zebra")
    expect(page.get_by_text("Nothing matches")).to_be_visible()
    _no_sideways_scroll(page)
    _shot(page, "manager-phone")
