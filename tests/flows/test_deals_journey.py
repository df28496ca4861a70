"""Deals journeys in real Chromium: a manager opens pipeline hygiene, a rep sees only their deals,
an admin imports a CSV.

With COACHLINE_SCREENSHOTS=1 each step is also saved to test-artifacts/ at laptop and phone width.
"""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.deals.factories import DealChangeFactory, DealFactory
from tests.factories import PASSWORD
from tests.flows.conftest import ARTIFACTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def snap(page, name):
    if os.environ.get("COACHLINE_SCREENSHOTS") != "1":
        return
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"deals-{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / f"deals-{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})


@pytest.fixture
def pipeline(cast):
    today = timezone.localdate()
    slipped = DealFactory(
        owner=cast.rep,
        name="Acme Logistics – platform renewal with a long name that has to wrap nicely",
        account_name="Acme Logistics",
        amount=48000,
        stage="Negotiation",
        expected_close_date=today + dt.timedelta(days=20),
        has_compelling_deadline=False,
    )
    DealChangeFactory(deal=slipped, field="stage", new_value="Discovery")
    DealChangeFactory(
        deal=slipped,
        field="expected_close_date",
        old_value=(today - dt.timedelta(days=5)).isoformat(),
        new_value=(today + dt.timedelta(days=20)).isoformat(),
        changed_at=timezone.now() - dt.timedelta(days=6),
    )
    DealFactory(owner=cast.rep_peer, name="Globex pilot", expected_close_date=today)
    DealFactory(owner=cast.other_rep, name="Initech expansion", has_economic_buyer=False)
    DealFactory(
        owner=cast.rep,
        name="Umbrella won",
        status="won",
        stage="Closed Won",
        closed_at=timezone.now(),
    )
    return slipped


def test_a_manager_opens_pipeline_hygiene_and_a_slipped_deal(cast, page, pipeline):
    log_in(page, "manager@example.com", PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Deals").click()
    page.get_by_role("navigation", name="Deals").get_by_role(
        "link", name="Pipeline hygiene"
    ).click()

    expect(page.get_by_role("heading", name="Pipeline hygiene", level=1)).to_be_visible()
    slipped = page.locator("#slipped")
    expect(slipped.get_by_role("link", name=pipeline.name)).to_be_visible()
    expect(slipped.get_by_text("Pushed")).to_be_visible()
    expect(page.get_by_text("Descriptive", exact=True)).to_be_visible()
    expect(page.get_by_text("Initech expansion")).to_have_count(0)  # another team's deal
    snap(page, "hygiene")

    slipped.get_by_role("link", name=pipeline.name).click()
    expect(page.get_by_role("heading", name=pipeline.name)).to_be_visible()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.locator(".timeline").get_by_text("pushed")).to_be_visible()
    snap(page, "detail")


def test_a_rep_sees_only_their_own_deals(cast, page, pipeline):
    log_in(page, "rep@example.com", PASSWORD)

    page.goto("/deals/")

    rows = page.locator("table.deals-table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.get_by_role("link", name="Umbrella won")).to_be_visible()
    expect(page.get_by_text("Globex pilot")).to_have_count(0)
    expect(page.get_by_text("Initech expansion")).to_have_count(0)
    expect(page.get_by_label("Owner")).to_have_count(0)  # nothing to choose from
    snap(page, "list-rep")

    page.get_by_label("Status").select_option("won")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.deals-table tbody tr")).to_have_count(1)

    page.goto(f"/deals/{DealFactory._meta.model.objects.get(name='Globex pilot').pk}/")
    expect(page.get_by_role("heading", name="Globex pilot")).to_have_count(0)


def test_an_admin_imports_a_csv_and_downloads_the_error_report(cast, page, tmp_path):
    cast.rep.crm_identities.create(source="salesforce", owner_id="005REP")
    path = tmp_path / "deals.csv"
    path.write_text(
        "external_id,name,owner_id,amount,currency,stage,status,created_at,source_updated_at\n"
        "A1,Acme,005REP,100,USD,Discovery,open,2025-01-01,2025-01-02T00:00:00Z\n"
        "A2,Broken,005REP,-1,USD,Discovery,open,2025-01-01,2025-01-02T00:00:00Z\n"
    )
    log_in(page, "admin@example.com", PASSWORD)

    page.goto("/deals/import/")
    page.get_by_label("Source").fill("salesforce")
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Map columns")).to_be_visible()
    snap(page, "import-map")
    page.get_by_role("button", name="Import 2 rows").click()

    expect(page.get_by_role("heading", name="Import result")).to_be_visible()
    expect(page.get_by_text("Must not be negative.")).to_be_visible()
    snap(page, "import-result")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the error report (CSV)").click()
    assert "A2" in Path(download.value.path()).read_text()
