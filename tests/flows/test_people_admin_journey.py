"""An admin's daily work without /admin/: people, API keys, costs (real Chromium)."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import ApiKey, User
from accounts.roles import Role
from tests.factories import PASSWORD
from tests.flows.conftest import log_in
from tests.roi.factories import ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_finds_a_rep_makes_them_a_coach_and_deactivates_them(cast, page):
    log_in(page, "admin@example.com", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    page.get_by_label("Name or email").fill("remy")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Remy Rep").click()

    page.get_by_label("Role").select_option("coach")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    page.get_by_role("button", name="Deactivate").click()

    expect(page.get_by_role("status")).to_contain_text("is deactivated")
    rep = User.objects.get(email="rep@example.com")
    assert (rep.role, rep.is_active) == (Role.COACH, False)


def test_an_admin_invites_someone(cast, page):
    log_in(page, "admin@example.com", PASSWORD)
    page.goto("/accounts/people/")
    page.get_by_role("link", name="Invite someone").click()
    page.get_by_label("Email").fill("nia@example.com")
    page.get_by_label("Full name").fill("Nia New")
    page.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_role("status")).to_contain_text("Invitation sent to nia@example.com")
    expect(page.get_by_text("Invited, not signed in yet")).to_be_visible()


def test_an_admin_creates_and_revokes_an_api_key(cast, page):
    log_in(page, "admin@example.com", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("HR sync")
    page.get_by_label("Read users").check()
    page.get_by_role("button", name="Create key").click()

    new_key = page.get_by_test_id("new-key")
    expect(new_key).to_have_text(re.compile(r"\S{20,}"))  # shown once, after the create
    shown = new_key.inner_text()
    key = ApiKey.objects.get(name="HR sync")
    assert key.is_valid(shown) and shown.startswith(key.prefix)
    page.get_by_role("button", name="Revoke HR sync").click()
    expect(page.get_by_role("status")).to_contain_text("Key HR sync is revoked")
    expect(page.get_by_test_id("new-key")).to_have_count(0)
    assert ApiKey.objects.get(name="HR sync").revoked


def test_an_admin_enters_a_programs_costs(cast, page):
    ProgramFactory(title="Discovery mastery")
    log_in(page, "admin@example.com", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Costs").click()
    section = page.get_by_role("region", name="Discovery mastery")
    section.get_by_label("Delivery").fill("4200")
    section.get_by_label("Coaching hours per rep").fill("2")
    section.get_by_role("button", name=re.compile("Save costs of Discovery mastery")).click()

    expect(page.get_by_role("status")).to_contain_text("Costs of Discovery mastery saved")
    expect(
        page.get_by_role("region", name="Discovery mastery").get_by_label("Delivery")
    ).to_have_value("4200.00")
