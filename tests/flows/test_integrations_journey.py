"""An admin connects HubSpot in the browser, tests it, maps stages, syncs, and adds a webhook
subscriber. Screenshots (COACHLINE_SCREENSHOTS=1) at laptop and phone widths."""

import os
import re

import pytest
from playwright.sync_api import expect

from deals.models import Deal
from tests.factories import PASSWORD
from tests.fakes.fixtures import fake_hubspot, field_encryption_key, subscriber  # noqa: F401
from tests.flows.conftest import ARTIFACTS, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("field_encryption_key"),
]


def shoot(page, name):
    if os.environ.get("COACHLINE_SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        for width, suffix in ((1280, "laptop"), (390, "phone")):
            page.set_viewport_size({"width": width, "height": 860})
            page.screenshot(
                path=str(ARTIFACTS / f"integrations-{name}-{suffix}.png"), full_page=True
            )
            if suffix == "phone":  # readable pieces of the long phone page
                height = page.evaluate("document.body.scrollHeight")
                for n, top in enumerate(range(0, height, 1200)):
                    page.screenshot(
                        path=str(ARTIFACTS / f"integrations-{name}-phone-{n}.png"),
                        full_page=True,
                        clip={"x": 0, "y": top, "width": 390, "height": min(1200, height - top)},
                    )
        page.set_viewport_size({"width": 1280, "height": 860})


def test_an_admin_connects_hubspot_and_deals_arrive(cast, page, fake_hubspot):  # noqa: F811
    fake_hubspot.add_owner("101", "rep@example.com")
    fake_hubspot.add_deal(dealname="Acme renewal", dealstage="qualifiedtobuy")
    fake_hubspot.add_deal(dealname="Globex expansion", dealstage="7771234")
    log_in(page, "admin@example.com", PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Integrations").click()
    shoot(page, "index-empty")
    page.get_by_role("article").filter(has_text="HubSpot").get_by_role(
        "link", name="Set up"
    ).click()
    page.get_by_label("Sync enabled").check()
    page.get_by_label("Private app access token").fill("pat-na1-test-token")
    page.get_by_label("App client secret (for webhook signatures)").fill("app-secret")
    page.get_by_label("API address").fill(fake_hubspot.url)
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Connection settings saved.")).to_be_visible()

    page.get_by_role("button", name="Test connection").click()
    result = page.locator("#test-result")
    expect(result.get_by_text("Connected to HubSpot")).to_be_visible()
    expect(result).to_contain_text("Stages not in the stage map yet")

    page.get_by_role("button", name="Add stages from HubSpot").click()
    expect(page.get_by_text("5 new stages added to the stage map.")).to_be_visible()
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_text("A sync has started")).to_be_visible()
    page.reload()
    shoot(page, "connection")

    assert Deal.objects.get().name == "Acme renewal"
    errors = page.get_by_role("region", name="Row errors")
    expect(errors).to_contain_text("Unknown stage id '7771234'")


def test_an_admin_adds_a_webhook_subscriber(cast, page, subscriber, settings):  # noqa: F811
    settings.DEBUG = True  # the fake receiver speaks plain http, allowed in development only
    log_in(page, "admin@example.com", PASSWORD)
    page.goto("/integrations/")
    page.get_by_role("link", name="Add subscriber").click()
    page.get_by_label("Name").fill("Data warehouse")
    page.get_by_label("Receiver URL").fill(subscriber.url + "/coachline")
    page.get_by_label("Course completed").check()
    page.get_by_label("Coaching session completed").check()
    shoot(page, "subscriber-new")
    page.get_by_role("button", name="Add subscriber").click()

    expect(page.get_by_text("Subscriber added.")).to_be_visible()
    page.get_by_text("Show the secret").click()
    expect(page.locator("code.copyable")).to_have_text(re.compile("^" + re.escape("whsec_")))
    shoot(page, "subscriber")
    page.goto("/integrations/")
    shoot(page, "index")
    expect(page.get_by_role("link", name="Data warehouse")).to_be_visible()
