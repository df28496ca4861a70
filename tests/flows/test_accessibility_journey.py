"""axe-core (vendored under tests/flows/vendor/axe-core) checks the main pages of each demo role,
on a laptop and on a 390 px phone, and fails on any serious or critical violation. No rule is
disabled: a page passes by being fixed.

Two tests (three roles and two) each seed the demo organisation once and walk their roles at
both widths, so a failure lists every violation of its roles at once rather than the first."""

import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.demo import DEMO_LOGINS, DEMO_PASSWORD
from coaching.models import CoachingSession
from tests.flows.conftest import ARTIFACTS, log_in
from training.models import Course, Program

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_VERSION = "4.14.1"
LAPTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
BLOCKING = {"serious", "critical"}

# The main pages of each role: the ones its menu leads to every day. A rep and a coach have no
# impact report or team progress (they answer 404 for them, tested in the access matrix). The
# coach also opens the coaching dashboard and a session page (only the coach: the run stays short).
EVERYONE = ["home", "course", "calendar", "deal list", "search results"]
MANAGERS = [*EVERYONE, "impact report", "team progress"]
PAGES_OF = {
    "rep": EVERYONE,
    "coach": [*EVERYONE, "coaching dashboard", "coaching session"],
    "manager": MANAGERS,
    "leader": MANAGERS,
    "admin": MANAGERS,
}


def _urls() -> dict[str, str]:
    course = Course.objects.filter(lessons__isnull=False).order_by("pk").first()
    program = Program.objects.order_by("pk").first()
    session = (
        CoachingSession.objects.filter(coach__email=dict(DEMO_LOGINS)["coach"], deal__isnull=False)
        .order_by("pk")
        .first()
    )
    assert course is not None and program is not None and session is not None
    return {
        "coaching dashboard": "/coaching/",
        "coaching session": f"/coaching/sessions/{session.pk}/",
        "home": "/",
        "course": f"/learn/courses/{course.slug}/",
        "calendar": "/coaching/calendar/",
        "impact report": f"/impact/programs/{program.slug}/",
        "team progress": "/learn/team/",
        "deal list": "/deals/",
        "search results": "/search/?q=buyer",
    }


def _blocking_violations(page: Any) -> list[str]:
    # The page's CSP forbids injected scripts; the context bypasses it for this test asset only.
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    assert result["testEngine"]["version"] == AXE_VERSION
    found = []
    for violation in result["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
            found.append(
                f"{violation['id']} ({violation['impact']}, {len(targets)} nodes: "
                f"{', '.join(targets[:3])})"
            )
    return found


def _header_problems(page: Any) -> list[str]:
    """The header keeps one row: on a phone the menu button sits beside the logo (it wrapped to
    a second row once the search icon was added), and no page scrolls sideways."""
    problems = []
    brand = page.locator(".topbar .brand").bounding_box()
    toggle = page.locator(".topbar .nav-toggle")
    if toggle.is_visible():
        box = toggle.bounding_box()
        if abs((box["y"] + box["height"] / 2) - (brand["y"] + brand["height"] / 2)) > 8:
            problems.append(f"menu button on a second row (y {box['y']}, logo {brand['y']})")
    if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
        problems.append("scrolls sideways")
    return problems


def _shot(page: Any, name: str) -> None:
    if os.environ.get("COACHLINE_SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"a11y-{name}.png"), full_page=True)


def _check_role(
    browser: Any, base_url: str, role: str, email: str, urls: dict[str, str]
) -> list[str]:
    problems = []
    context = browser.new_context(base_url=base_url, viewport=LAPTOP, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, email, DEMO_PASSWORD)
    for width, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        for name in PAGES_OF[role]:
            response = page.goto(urls[name])
            assert response is not None and response.status == 200, (role, name)
            expect(page.get_by_role("heading", level=1).first).to_be_visible()
            problems += [f"{role} {width} {name}: {v}" for v in _blocking_violations(page)]
            problems += [f"{role} {width} {name}: {p}" for p in _header_problems(page)]
            _shot(page, f"{role}-{width}-{name.replace(' ', '-')}")
    context.close()
    return problems


# Two halves, so that xdist runs them on two workers: one test for all five roles was the
# longest journey by far and the last to finish. Each half seeds the demo once.
@pytest.mark.parametrize(
    "roles",
    [("rep", "coach", "manager"), ("leader", "admin")],
    ids=["rep-coach-manager", "leader-admin"],
)
def test_main_pages_of_each_role_have_no_serious_or_critical_axe_violations(
    browser, live_server, roles
):
    # given the demo organisation
    call_command("seed_demo", stdout=None)
    urls = _urls()

    # when each role opens its main pages on a laptop and on a phone, and axe-core checks them
    problems = []
    for role, email in DEMO_LOGINS:
        if role in roles:
            problems += _check_role(browser, live_server.url, role, email, urls)

    # then nothing serious or critical is found
    assert problems == [], "\n".join(problems)


def test_the_two_halves_cover_every_demo_role():
    halves = test_main_pages_of_each_role_have_no_serious_or_critical_axe_violations
    marks = [m for m in halves.pytestmark if m.name == "parametrize"]
    covered = {role for roles in marks[0].args[1] for role in roles}
    assert covered == {role for role, _email in DEMO_LOGINS} == set(PAGES_OF)
