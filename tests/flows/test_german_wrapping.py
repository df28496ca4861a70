"""German text wraps at word and syllable breaks, not one letter per line: on a 390 px phone a
rep's action item beside its "Als erledigt markieren" button kept one letter per line (the
card's `overflow-wrap: anywhere` let the text shrink to nothing). German pages ask the browser
to hyphenate (`lang="de"`, `hyphens: auto`); codes and form fields are never hyphenated.

Debian's Chromium ships no hyphenation dictionaries, so this checks the styles and the layout,
not where a hyphen falls."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.coaching.factories import ActionItemFactory, SessionFactory
from tests.factories import PASSWORD
from tests.flows.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_a_german_action_item_on_a_phone_keeps_whole_words(browser, live_server, cast):
    cast.rep.language = "de"
    cast.rep.save(update_fields=["language"])
    start = timezone.now() - dt.timedelta(days=3)
    session = SessionFactory(coach=cast.coach, rep=cast.rep, start=start, status="completed")
    ActionItemFactory(
        session=session, description="Den Business Case in den Zahlen des Kunden aufschreiben"
    )
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="de-DE")
    context.set_default_timeout(30_000)  # the shared machine runs slow
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("E-Mail").fill(cast.rep.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Start", level=1)).to_be_visible()

    page.goto("/coaching/")

    item = page.get_by_text("Den Business Case in den Zahlen des Kunden aufschreiben")
    expect(item).to_be_visible()
    expect(page.get_by_role("button", name="Als erledigt markieren")).to_be_visible()
    # no word of it runs over two lines (each word's boxes sit on one line)
    broken = item.evaluate(
        """el => [...el.firstChild.textContent.matchAll(/\\S+/g)].filter(m => {
            const r = document.createRange();
            r.setStart(el.firstChild, m.index);
            r.setEnd(el.firstChild, m.index + m[0].length);
            return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size > 1;
        }).map(m => m[0])"""
    )
    assert broken == []
    expect(page.locator("html")).to_have_attribute("lang", "de")
    assert item.evaluate("el => getComputedStyle(el).hyphens") == "auto"
    assert (
        page.locator("input[type=search], input[name=q]").first.evaluate(
            "el => getComputedStyle(el).hyphens"
        )
        == "manual"
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()


def test_english_pages_are_not_hyphenated(cast, page):
    ActionItemFactory(session=SessionFactory(coach=cast.coach, rep=cast.rep))
    log_in(page, cast.rep.email, PASSWORD)

    page.goto("/coaching/")

    item = page.get_by_text("Send the mutual action plan")
    assert item.evaluate("el => getComputedStyle(el).hyphens") == "manual"
