"""Browser journeys for coaching: a coach finds a slot and books, the rep sees it; the coach
completes a session with a scorecard and a post-mortem with a commitment."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from coaching.models import CoachingSession, Commitment, Scorecard
from tests.coaching.factories import AvailabilityFactory, SessionFactory, discovery_rubric
from tests.factories import PASSWORD
from tests.flows.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coach_finds_a_slot_and_books_and_the_rep_sees_it(cast, page):
    for day in range(7):
        AvailabilityFactory(
            coach=cast.coach, weekday=day, start_time=dt.time(8), end_time=dt.time(18)
        )
    log_in(page, "coach@example.com", PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Coaching").click()
    page.get_by_role("link", name="Find a slot").first.click()
    page.get_by_label("Rep").select_option(label="Remy Rep")
    page.get_by_role("button", name="Find free times").click()
    page.locator(".slots a").first.click()
    page.get_by_label("Kind").select_option(label="Post-call review")
    page.get_by_label("Meeting link or place").fill("https://meet.example.com/remy")
    page.get_by_role("button", name="Book and send invites").click()

    expect(page.get_by_role("heading", name="Post-call review")).to_be_visible()
    expect(page.get_by_text("Booked. Remy Rep and you have the calendar invite.")).to_be_visible()
    session = CoachingSession.objects.get()
    assert (session.coach, session.rep, session.status) == (cast.coach, cast.rep, "scheduled")
    assert sorted(m.to[0] for m in mail.outbox) == ["coach@example.com", "rep@example.com"]

    page.get_by_role("button", name="Log out").click()
    log_in(page, "rep@example.com", PASSWORD)
    expect(page.get_by_role("heading", name="Next coaching session")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Coaching").click()
    upcoming = page.get_by_role("region", name="Upcoming")
    expect(upcoming.get_by_role("link", name="Post-call review")).to_be_visible()
    expect(upcoming.get_by_text("with coach Cole Coach")).to_be_visible()


def test_a_coach_completes_a_session_with_a_scorecard_and_a_post_mortem(cast, page):
    discovery_rubric()
    start = timezone.now() - dt.timedelta(hours=2)
    session = SessionFactory(
        coach=cast.coach,
        rep=cast.rep,
        kind="post_call_review",
        start=start,
        end=start + dt.timedelta(hours=1),
    )
    log_in(page, "coach@example.com", PASSWORD)

    page.goto(f"/coaching/sessions/{session.pk}/")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Recorded.")).to_be_visible()

    card = page.get_by_role("form", name="Scorecard")
    for criterion, score in (
        ("Identify pain", "4"),
        ("Economic buyer", "2"),
        ("Next step agreed", "8"),
    ):
        card.get_by_role("group", name=criterion).get_by_text(score, exact=True).click()
    card.get_by_label("Notes for the rep").fill("Great discovery; ask who signs.")
    card.get_by_role("button", name="Save scorecard").click()
    expect(page.get_by_text("Scorecard saved. Remy Rep can see it.")).to_be_visible()

    form = page.get_by_role("form", name="Post-mortem")
    form.get_by_label("What went well").fill("Found the pain in ten minutes.")
    form.get_by_label("What to improve").fill("Reach the economic buyer before the demo.")
    form.get_by_label("Measured by").select_option(label="Share of new deals with economic buyer")
    form.get_by_label("Target (%)").fill("70")
    form.get_by_label("What the rep will do").fill("Ask who signs in every first call")
    form.get_by_role("button", name="Save post-mortem").click()

    expect(page.get_by_text("Post-mortem saved.")).to_be_visible()
    expect(page.get_by_text("Share of new deals with economic buyer ≥ 70.0%")).to_be_visible()
    assert Scorecard.objects.get(session=session).overall == 65
    assert Commitment.objects.get().check_date == timezone.localdate() + dt.timedelta(days=90)

    page.get_by_role("button", name="Log out").click()
    log_in(page, "rep@example.com", PASSWORD)
    page.goto(f"/coaching/sessions/{session.pk}/")
    expect(page.get_by_text("65.0")).to_be_visible()
    expect(page.get_by_text("Great discovery; ask who signs.")).to_be_visible()
