"""A leader and a manager read the efficiency vs effectiveness page: tool spend beside the
outcomes, each with how sure it is, down to one team's reps; on a laptop and on a 390 px phone."""

import os
import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.flows.conftest import ARTIFACTS, log_in
from tests.roi.test_efficiency import build_org, graded_snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _shot(page, name: str) -> None:
    if os.environ.get("COACHLINE_SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"efficiency-{name}.png"), full_page=True)


def test_a_leader_compares_tool_spend_with_outcomes_and_opens_a_team(cast, page):
    build_org()
    graded_snapshot()

    log_in(page, "leader@example.com", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Efficiency").click()

    expect(
        page.get_by_role("heading", name="Efficiency and effectiveness", level=1)
    ).to_be_visible()
    groups = page.get_by_test_id("groups")
    expect(groups.locator("tbody tr")).to_have_count(3)  # two teams and everyone
    team_a = groups.locator("tbody tr").filter(has_text="Team A")
    expect(team_a).to_contain_text("$500")
    expect(team_a).to_contain_text("exact, from records")
    expect(groups).to_contain_text("95% interval")
    expect(page.get_by_test_id("words")).to_contain_text("Descriptive:")
    estimates = page.get_by_test_id("estimates")
    expect(estimates).to_contain_text("Discovery playbook")
    expect(estimates).to_contain_text("Grade B")
    expect(page.get_by_test_id("stages")).to_contain_text("Discovery")
    expect(page.get_by_role("link", name="Download this table as CSV").first).to_have_attribute(
        "href", "/impact/efficiency/groups.csv?period=12m"
    )
    _shot(page, "leader-laptop")

    page.get_by_label("Period", exact=True).select_option("6m")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/impact/efficiency/\?period=6m$"))
    groups.get_by_role("link", name="Team A").click()

    heading = page.get_by_role("heading", name="Efficiency and effectiveness: Team A")
    expect(heading).to_be_visible()
    expect(groups.locator("tbody tr")).to_have_count(6)  # five reps and everyone
    expect(groups.get_by_role("link", name="Remy Rep")).to_be_visible()

    page.set_viewport_size(PHONE)
    expect(heading).to_be_visible()
    expect(groups.get_by_role("link", name="Remy Rep")).to_be_visible()
    _shot(page, "leader-team-phone")


def test_a_manager_sees_only_their_team_on_a_phone(cast, page):
    build_org()

    page.set_viewport_size(PHONE)
    log_in(page, "manager@example.com", PASSWORD)
    page.goto("/impact/efficiency/")

    groups = page.get_by_test_id("groups")
    expect(groups.get_by_role("link", name="Team A")).to_be_visible()
    expect(groups).not_to_contain_text("Team B")
    expect(page.get_by_role("heading", name="Slips explained (descriptive)")).to_be_visible()
    _shot(page, "manager-phone")
    page.set_viewport_size({"width": 1280, "height": 860})
    expect(groups.get_by_role("link", name="Team A")).to_be_visible()
    _shot(page, "manager-laptop")
