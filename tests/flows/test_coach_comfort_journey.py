"""Coach and rep comfort in Chromium: the phone menu keeps focus while open and shuts on a tap
outside it; the weekly-hours fields show a whole 12-hour time ("09:00 AM" was cut to "09:00 A");
the score trend is one chart per criterion, drawn."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from coaching.services.scorecards import scorecard_record
from tests.coaching.factories import AvailabilityFactory, SessionFactory, discovery_rubric
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 860}


def _sign_in(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.set_default_timeout(30_000)  # the shared machine runs slow
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()


def test_the_open_phone_menu_keeps_focus_and_shuts_on_a_tap_outside(cast, page):
    page.set_viewport_size(PHONE)
    _sign_in(page, cast.rep.email)
    button = page.get_by_role("button", name="Menu")
    links = page.locator("#mainnav a")
    # the menu's stops: its links, then the language switcher folded into it
    stops = page.locator("#mainnav :is(a[href], button):visible")
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    count = stops.count()
    assert count >= 3

    # Tab past the menu's last stop comes back to the button, not to the page under the menu
    button.focus()
    for _ in range(count):
        page.keyboard.press("Tab")
    expect(stops.last).to_be_focused()
    page.keyboard.press("Tab")
    expect(button).to_be_focused()
    # and Shift+Tab from the button goes to the last stop
    page.keyboard.press("Shift+Tab")
    expect(stops.last).to_be_focused()

    # a tap outside the menu shuts it
    page.get_by_role("heading", name="Home", level=1).click()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(links.first).to_be_hidden()


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE])
def test_weekly_hours_fields_show_the_whole_time(browser, live_server, cast, viewport):
    AvailabilityFactory(
        coach=cast.coach, weekday=0, start_time=dt.time(9), end_time=dt.time(17, 30)
    )
    context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="en-US")
    context.set_default_timeout(30_000)  # the shared machine runs slow
    page = context.new_page()
    _sign_in(page, cast.coach.email)

    page.goto("/coaching/availability/")
    fields = page.locator(".hours-table input[type=time]")
    expect(fields.first).to_have_value("09:00")

    # each field is at least as wide as Chromium needs for its text ("09:00 AM") and icon
    sizes = fields.evaluate_all(
        """els => els.map(el => {
            const shown = el.getBoundingClientRect().width;
            const old = el.style.width;
            el.style.width = 'max-content';
            const needed = el.getBoundingClientRect().width;
            el.style.width = old;
            return [shown, needed];
        })"""
    )
    assert sizes and all(shown >= needed for shown, needed in sizes), sizes
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()


def test_the_score_trend_is_one_drawn_chart_per_criterion(cast, page):
    rubric, criteria = discovery_rubric()
    for months_ago, score in ((2, 2), (1, 3), (0, 4)):
        start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(
            days=30 * months_ago + 1
        )
        session = SessionFactory(coach=cast.coach, rep=cast.rep, status="completed", start=start)
        scorecard_record(
            session=session,
            scored_by=cast.coach,
            rubric=rubric,
            scores={c.pk: score for c in criteria},
        )
    _sign_in(page, cast.coach.email)

    page.goto(f"/coaching/trends/?rep={cast.rep.pk}")

    charts = page.locator("canvas.trend-chart")
    expect(charts).to_have_count(len(criteria))
    for i, criterion in enumerate(criteria):
        expect(charts.nth(i)).to_have_accessible_name(
            f"{criterion.name}: mean score per month, as a line chart; "
            "the same figures are in the table below."
        )
    # Chart.js drew each, with one straight (unsmoothed) line
    drawn = charts.evaluate_all(
        """els => els.map(el => {
            const chart = window.Chart && window.Chart.getChart(el);
            return chart ? [chart.data.datasets.length, chart.data.datasets[0].tension] : null;
        })"""
    )
    assert drawn == [[1, 0]] * len(criteria)
