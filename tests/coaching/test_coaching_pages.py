"""Coaching pages: what each person sees, forms that book, score and record, and constant query
counts for the calendar, the dashboard and a rep's history."""

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.utils import timezone, translation

from accounts.models import CoachAssignment
from coaching.models import AvailabilityWindow, CoachingSession, Commitment, PostMortem, Scorecard
from coaching.services.scorecards import scorecard_record
from core.formats import WEEKDAY_DAY_MONTH_LONG, day_text
from tests.coaching.factories import (
    ActionItemFactory,
    AvailabilityFactory,
    CommitmentFactory,
    PostMortemFactory,
    SessionFactory,
    tomorrow_at,
)
from tests.deals.factories import DealFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def _local_input(value: dt.datetime) -> str:
    return timezone.localtime(value, dt.UTC).strftime("%Y-%m-%dT%H:%M")


# Pages per person


@pytest.mark.parametrize(
    ("name", "status", "text"),
    [
        ("rep", 200, "My coaching"),
        ("coach", 200, "Coachees"),
        ("manager", 200, "Coachees"),
        ("admin", 200, "Coachees"),
        ("leader", 302, None),
    ],
)
def test_the_dashboard_fits_the_role(cast, client, name, status, text):
    client.force_login(cast[name])

    response = client.get("/coaching/")

    assert response.status_code == status
    if text:
        assert text in response.content.decode()


@pytest.mark.parametrize(
    ("name", "offered"), [("rep", False), ("leader", False), ("coach", True), ("manager", True)]
)
def test_an_empty_calendar_offers_find_a_slot_only_to_who_may_book(cast, client, name, offered):
    # the production crawl found a leader sent to a page that answers 403
    client.force_login(cast[name])

    response = client.get("/coaching/calendar/")

    link = 'No sessions this week. <a href="/coaching/find-a-slot/">'
    assert response.status_code == 200
    assert (link in response.content.decode()) is offered


def _next_monday() -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=7 - today.weekday())


def test_a_free_half_hour_on_the_coachs_week_links_to_booking_it(cast, client):
    monday = _next_monday()
    at = dt.datetime.combine(monday, dt.time(10), tzinfo=dt.UTC)
    SessionFactory(coach=cast.coach, rep=cast.rep, start=at, end=at + H)
    client.force_login(cast.coach)

    page = client.get("/coaching/calendar/", {"week": monday.isoformat()}).content.decode()

    nine = f"{monday.isoformat()}T09%3A00%3A00%2B00%3A00"
    day = day_text(monday, WEEKDAY_DAY_MONTH_LONG)  # "Mon, December 7"
    assert (
        f'<li class="free c-2 r-6 rs-2"><a href="/coaching/book/?start={nine}&amp;duration=60" '
        f'aria-label="Book {day} at 09:00"><span>09:00</span></a></li>'
    ) in page
    # 09:30 is free for half an hour; the session's hour is not offered
    assert f"start={monday.isoformat()}T09%3A30%3A00%2B00%3A00&amp;duration=30" in page
    assert f"Book {day} at 10:00" not in page and f"Book {day} at 10:30" not in page
    assert page.count('class="free ') == 7 * 20 - 2


def test_last_weeks_calendar_offers_no_free_slots(cast, client):
    client.force_login(cast.coach)
    last_week = timezone.localdate() - dt.timedelta(days=7)

    page = client.get("/coaching/calendar/", {"week": last_week.isoformat()}).content.decode()

    assert 'class="free ' not in page


@pytest.mark.parametrize(
    ("viewer", "owner", "rep_filled"),
    [
        ("coach", None, False),
        ("manager", None, False),
        ("coach", "rep", True),
        ("manager", "rep", True),
        ("rep", None, None),
        ("leader", None, None),
        ("leader", "rep", None),
        ("admin", "coach", True),  # admins may book anyone: a session with the coach
    ],
)
def test_free_slots_are_offered_only_to_who_may_book_that_week(
    cast, client, viewer, owner, rep_filled
):
    client.force_login(cast[viewer])
    params = {"week": _next_monday().isoformat()}
    if owner:
        params["user"] = str(cast[owner].pk)

    response = client.get("/coaching/calendar/", params)

    page = response.content.decode()
    assert response.status_code == 200
    if rep_filled is None:
        assert 'class="free ' not in page and "/coaching/book/" not in page
    else:
        assert page.count('class="free ') == 7 * 20
        assert ("&amp;rep=" in page) is rep_filled
        if rep_filled:
            assert f"&amp;rep={cast[owner].pk}" in page


def test_a_free_slot_link_opens_the_booking_form_filled_in(cast, client):
    monday = _next_monday()
    client.force_login(cast.coach)
    page = client.get(
        "/coaching/calendar/", {"week": monday.isoformat(), "user": cast.rep.pk}
    ).content.decode()
    href = page.split('<li class="free c-3 r-10 rs-2"><a href="')[1].split('"')[0]

    booking = client.get(href.replace("&amp;", "&"))
    form = booking.context["form"]

    tuesday_ten = dt.datetime.combine(monday + dt.timedelta(days=1), dt.time(10), tzinfo=dt.UTC)
    assert "Coach: <strong>Cole Coach</strong>" in booking.content.decode()
    assert form.initial["start"] == tuesday_ten
    assert form.initial["duration"] == "60"
    assert form.initial["rep"] == cast.rep


def test_pages_need_a_login(client):
    response = client.get("/coaching/calendar/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("rep", 200),
        ("rep_peer", 404),
        ("coach", 200),
        ("manager", 200),
        ("other_coach", 404),
        ("leader", 200),
    ],
)
def test_session_page_is_404_outside_visibility(cast, client, name, status):
    session = SessionFactory(coach=cast.coach, rep=cast.rep)
    client.force_login(cast[name])

    assert client.get(f"/coaching/sessions/{session.pk}/").status_code == status


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("rep", 200),
        ("rep_peer", 404),
        ("coach", 200),
        ("manager", 200),
        ("other_manager", 404),
        ("leader", 200),
    ],
)
def test_rep_history_is_404_outside_visibility(cast, client, name, status):
    client.force_login(cast[name])

    assert client.get(f"/coaching/people/{cast.rep.pk}/").status_code == status


@pytest.mark.parametrize("name", ["rep", "leader"])
def test_booking_pages_are_for_coaches(cast, client, name):
    client.force_login(cast[name])

    assert client.get("/coaching/book/").status_code == 403
    assert client.get("/coaching/find-a-slot/").status_code == 403
    assert client.get("/coaching/availability/").status_code == 403


# Find a slot and book


def test_find_a_slot_lists_free_times_linking_to_the_booking_form(cast, client):
    cast.coach.time_zone = "Europe/Berlin"
    cast.coach.save()
    for day in range(7):
        AvailabilityFactory(
            coach=cast.coach, weekday=day, start_time=dt.time(9), end_time=dt.time(10)
        )
    client.force_login(cast.coach)

    response = client.get("/coaching/find-a-slot/", {"rep": cast.rep.pk, "duration": 60, "days": 7})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Free for you and Remy Rep" in page
    assert page.count("/coaching/book/?rep=") in (7, 8)
    assert ">09:00<" in page


def test_find_a_slot_offers_only_my_coachees(cast, client):
    client.force_login(cast.coach)

    response = client.get(
        "/coaching/find-a-slot/", {"rep": cast.other_rep.pk, "duration": 60, "days": 7}
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_booking_through_the_form(cast, client, django_capture_on_commit_callbacks):
    client.force_login(cast.coach)
    start = tomorrow_at(10)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/coaching/book/",
            {
                "rep": cast.rep.pk,
                "kind": "live_call",
                "start": _local_input(start),
                "duration": 45,
                "location": "Zoom",
            },
        )

    session = CoachingSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/coaching/sessions/{session.pk}/"
    assert (session.start, session.end, session.location) == (
        start,
        start + dt.timedelta(minutes=45),
        "Zoom",
    )
    assert len(mail.outbox) == 2


def test_a_conflict_on_the_form_is_shown_and_nothing_is_written(cast, client):
    existing = SessionFactory(coach=cast.coach, rep=cast.rep_peer)
    client.force_login(cast.coach)

    response = client.post(
        "/coaching/book/",
        {
            "rep": cast.rep.pk,
            "kind": "live_call",
            "start": _local_input(existing.start),
            "duration": 60,
        },
    )

    assert response.status_code == 409
    assert (
        f"(session {existing.pk}: One-on-one, Cole Coach with Pat Peer)"
        in response.content.decode()
    )
    assert CoachingSession.objects.count() == 1


def test_the_form_refuses_someone_who_is_not_a_coachee(cast, client):
    client.force_login(cast.coach)

    response = client.post(
        "/coaching/book/",
        {
            "rep": cast.other_rep.pk,
            "kind": "live_call",
            "start": _local_input(tomorrow_at(10)),
            "duration": 60,
        },
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert CoachingSession.objects.count() == 0


def test_choosing_a_rep_prefills_the_agenda_and_their_deals(cast, client):
    DealFactory(
        owner=cast.rep,
        name="Initech expansion",
        has_economic_buyer=False,
        expected_close_date=timezone.localdate() + dt.timedelta(days=20),
    )
    client.force_login(cast.coach)

    response = client.get(
        "/coaching/book/rep-fields/", {"rep": cast.rep.pk}, HTTP_HX_REQUEST="true"
    )

    page = response.content.decode()
    assert "Deals at risk to talk about:" in page
    assert "Initech expansion" in page


# One session


def test_reschedule_and_cancel_through_the_pages(cast, client, django_capture_on_commit_callbacks):
    session = SessionFactory(coach=cast.coach, rep=cast.rep)
    client.force_login(cast.coach)
    new_start = session.start + 2 * H

    with django_capture_on_commit_callbacks(execute=True):
        moved = client.post(
            f"/coaching/sessions/{session.pk}/reschedule/",
            {"start": _local_input(new_start), "duration": 30},
        )
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = client.post(f"/coaching/sessions/{session.pk}/cancel/", {"reason": "Travel"})

    session.refresh_from_db()
    assert (moved.status_code, cancelled.status_code) == (302, 302)
    assert (session.start, session.end, session.status, session.sequence) == (
        new_start,
        new_start + H / 2,
        "cancelled",
        2,
    )
    assert len(mail.outbox) == 4


def test_the_rep_may_cancel_but_not_move(cast, client):
    session = SessionFactory(coach=cast.coach, rep=cast.rep)
    client.force_login(cast.rep)

    assert client.get(f"/coaching/sessions/{session.pk}/reschedule/").status_code == 403
    assert client.get(f"/coaching/sessions/{session.pk}/cancel/").status_code == 200


def test_complete_score_and_write_a_post_mortem_with_a_commitment(cast, client, rubric):
    rubric_obj, (pain, buyer, step) = rubric
    start = timezone.now() - 2 * H
    session = SessionFactory(
        coach=cast.coach, rep=cast.rep, kind="post_call_review", start=start, end=start + H
    )
    client.force_login(cast.coach)
    check = (timezone.localdate() + dt.timedelta(days=90)).isoformat()

    completed = client.post(
        f"/coaching/sessions/{session.pk}/complete/", {"status": "completed", "notes": "Good"}
    )
    scored = client.post(
        f"/coaching/sessions/{session.pk}/scorecard/",
        {
            "rubric": rubric_obj.pk,
            f"score_{pain.pk}": 4,
            f"score_{buyer.pk}": 2,
            f"score_{step.pk}": 7,
        },
    )
    written = client.post(
        f"/coaching/sessions/{session.pk}/post-mortem/",
        {
            "went_well": "Tight agenda",
            "to_improve": "Name the economic buyer",
            "commitment-metric": "economic_buyer_share",
            "commitment-target": "70",
            "commitment-check_date": check,
            "commitment-description": "Ask who signs",
        },
    )
    page = client.get(f"/coaching/sessions/{session.pk}/").content.decode()

    assert [r.status_code for r in (completed, scored, written)] == [302, 302, 302]
    assert Scorecard.objects.get().overall == 60
    commitment = Commitment.objects.get()
    assert (commitment.metric, str(commitment.target), commitment.description) == (
        "economic_buyer_share",
        "70.0",
        "Ask who signs",
    )
    assert "Tight agenda" in page and "Share of new deals with economic buyer ≥ 70.0%" in page


def test_a_score_outside_the_scale_is_shown_on_the_form(cast, client, rubric):
    rubric_obj, (pain, buyer, step) = rubric
    session = SessionFactory(coach=cast.coach, rep=cast.rep, status="completed")
    client.force_login(cast.coach)

    response = client.post(
        f"/coaching/sessions/{session.pk}/scorecard/",
        {
            "rubric": rubric_obj.pk,
            f"score_{pain.pk}": 9,
            f"score_{buyer.pk}": 2,
            f"score_{step.pk}": 7,
        },
    )

    assert response.status_code == 400
    assert (
        "Select a valid choice. 9 is not one of the available choices." in response.content.decode()
    )
    assert Scorecard.objects.count() == 0


def test_a_post_mortem_without_a_commitment_and_a_bad_commitment(cast, client):
    session = SessionFactory(
        coach=cast.coach, rep=cast.rep, kind="deal_post_mortem", status="completed"
    )
    client.force_login(cast.coach)

    bad = client.post(
        f"/coaching/sessions/{session.pk}/post-mortem/",
        {
            "went_well": "a",
            "to_improve": "b",
            "commitment-metric": "win_rate",
            "commitment-target": "50",
            "commitment-check_date": "2020-01-01",
        },
    )
    good = client.post(
        f"/coaching/sessions/{session.pk}/post-mortem/",
        {"went_well": "a", "to_improve": "b", "commitment-metric": "win_rate"},
    )

    assert bad.status_code == 400
    assert "The check date must be in the future." in bad.content.decode()
    assert good.status_code == 302
    assert (PostMortem.objects.count(), Commitment.objects.count()) == (1, 0)


def test_the_story_button_makes_a_draft_lesson(cast, client):
    deal = DealFactory(
        owner=cast.rep,
        status="lost",
        closed_at=dt.datetime(2025, 2, 1, tzinfo=dt.UTC),
        loss_reason="Price",
    )
    post_mortem = PostMortemFactory(
        session__coach=cast.coach, session__rep=cast.rep, session__deal=deal
    )
    client.force_login(cast.coach)

    response = client.post(f"/coaching/post-mortems/{post_mortem.pk}/story/")

    post_mortem.refresh_from_db()
    assert response.status_code == 302
    assert post_mortem.story_lesson is not None
    assert post_mortem.story_lesson.story_outcome == "lost"
    assert "Loss reason: Price." in post_mortem.story_lesson.story_what_happened


def test_the_drafted_story_links_to_its_lesson_in_the_studio_for_authors_only(cast, client):
    deal = DealFactory(
        owner=cast.rep, status="won", closed_at=dt.datetime(2025, 2, 1, tzinfo=dt.UTC)
    )
    post_mortem = PostMortemFactory(
        session__coach=cast.coach, session__rep=cast.rep, session__deal=deal
    )
    client.force_login(cast.coach)
    client.post(f"/coaching/post-mortems/{post_mortem.pk}/story/")
    post_mortem.refresh_from_db()
    studio = f"/learn/studio/lessons/{post_mortem.story_lesson_id}/"

    coach_page = client.get(f"/coaching/sessions/{post_mortem.session_id}/").content.decode()
    client.force_login(cast.admin)
    admin_page = client.get(f"/coaching/sessions/{post_mortem.session_id}/").content.decode()

    # A coach may not edit lessons: they see the title, not a link that would answer 404.
    assert f'href="{studio}"' not in coach_page
    assert post_mortem.story_lesson.title in coach_page
    assert f'href="{studio}"' in admin_page
    assert client.get(studio).status_code == 200
    assert "/admin/" not in coach_page


def test_a_commitment_with_a_description_but_no_target_is_refused_not_dropped(cast, client):
    session = SessionFactory(
        coach=cast.coach, rep=cast.rep, kind="deal_post_mortem", status="completed"
    )
    client.force_login(cast.coach)

    response = client.post(
        f"/coaching/sessions/{session.pk}/post-mortem/",
        {
            "went_well": "a",
            "to_improve": "b",
            "commitment-description": "Reach the economic buyer on every deal",
            "commitment-metric": "win_rate",
            "commitment-check_date": "2099-01-01",
        },
    )

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert (PostMortem.objects.count(), Commitment.objects.count()) == (0, 0)


def test_the_owner_ticks_off_an_action_item_with_htmx(cast, client):
    item = ActionItemFactory(session=SessionFactory(coach=cast.coach, rep=cast.rep), owner=cast.rep)
    client.force_login(cast.rep)

    response = client.post(
        f"/coaching/action-items/{item.pk}/done/", {"done": "1"}, HTTP_HX_REQUEST="true"
    )

    item.refresh_from_db()
    assert response.status_code == 200
    assert item.is_done
    assert "Reopen" in response.content.decode()
    client.force_login(cast.rep_peer)
    assert client.post(f"/coaching/action-items/{item.pk}/done/", {"done": "0"}).status_code == 404


def test_weekly_hours_page_saves_windows(cast, client):
    client.force_login(cast.coach)

    response = client.post(
        "/coaching/availability/",
        {
            "d0_0_start": "09:00",
            "d0_0_end": "12:00",
            "d0_1_start": "13:00",
            "d0_1_end": "17:00",
            "d4_0_start": "10:00",
            "d4_0_end": "11:00",
        },
    )
    bad = client.post("/coaching/availability/", {"d1_0_start": "09:00"})

    assert response.status_code == 302
    assert bad.status_code == 200
    assert "Give both times, or neither." in bad.content.decode()
    assert list(AvailabilityWindow.objects.values_list("weekday", "start_time")) == [
        (0, dt.time(9)),
        (0, dt.time(13)),
        (4, dt.time(10)),
    ]


def test_trends_page_draws_the_chart_and_the_table(cast, client, rubric):
    rubric_obj, criteria = rubric
    session = SessionFactory(coach=cast.coach, rep=cast.rep, status="completed")
    scorecard_record(
        session=session,
        scored_by=cast.coach,
        rubric=rubric_obj,
        scores={c.pk: c.scale_min + 1 for c in criteria},
    )
    client.force_login(cast.manager)

    response = client.get("/coaching/trends/", {"rep": cast.rep.pk})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="trend-data"' in page and "chart-4.6.1.umd.min.js" in page
    assert "The same figures as a table" in page
    client.force_login(cast.other_manager)
    assert client.get("/coaching/trends/", {"rep": cast.rep.pk}).status_code == 404


# Query counts


def _populate(cast, coachees: int, sessions: int) -> None:  # type: ignore[no-untyped-def]
    """More coachees and sessions (this week, past and upcoming) for the coach and the rep."""
    for _ in range(coachees):
        CoachAssignment.objects.create(coach=cast.coach, coachee=UserFactory())
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    base = dt.datetime.combine(monday, dt.time(8), tzinfo=dt.UTC)
    reps = [cast.rep, cast.rep_peer]
    for i in range(sessions):
        start = base + dt.timedelta(days=i % 7, hours=i // 7)
        session = SessionFactory(
            coach=cast.coach,
            rep=reps[i % 2],
            start=start,
            end=start + H / 2,
            status="completed" if start < timezone.now() - H else "scheduled",
            kind="post_call_review",
        )
        if session.status == "completed":
            post_mortem = PostMortemFactory(session=session)
            CommitmentFactory(post_mortem=post_mortem)
            ActionItemFactory(session=session, due_date=timezone.localdate() - dt.timedelta(days=1))


@pytest.mark.parametrize(("coachees", "sessions"), [(1, 4), (12, 40)])
def test_dashboard_runs_a_constant_number_of_queries(
    cast, client, coachees, sessions, django_assert_max_num_queries
):
    _populate(cast, coachees, sessions)
    client.force_login(cast.coach)

    # Queries: session; user; coachees with summaries; upcoming; to complete; unscored; overdue
    # action items.
    with django_assert_max_num_queries(7):
        response = client.get("/coaching/")

    assert response.status_code == 200


def test_each_dashboard_list_shows_its_first_ten_and_says_when_there_are_more(cast, client):
    now = timezone.now().replace(microsecond=0)
    for i in range(11):  # upcoming: one more than the dashboard shows
        start = now + dt.timedelta(days=1, hours=i)
        SessionFactory(coach=cast.coach, rep=cast.rep, start=start, end=start + H / 2)
    for i in range(10):  # past their end, still scheduled: exactly what it shows
        start = now - dt.timedelta(days=2, hours=i)
        SessionFactory(coach=cast.coach, rep=cast.rep, start=start, end=start + H / 2)
    client.force_login(cast.coach)

    page = client.get("/coaching/").content.decode()

    upcoming, _, followups = page.partition('id="followups-title"')
    followups = followups.partition('id="coachees-title"')[0]
    assert upcoming.count('href="/coaching/sessions/') == 10
    assert "Only the first 10 are shown." in upcoming
    assert followups.count('href="/coaching/sessions/') == 10
    assert "Only the first" not in followups


@pytest.mark.parametrize("coachees", [3, 60])
def test_a_dashboard_page_of_coachees_costs_the_same_however_many_there_are(
    cast, client, coachees, django_assert_num_queries
):
    _populate(cast, coachees, 10)
    client.force_login(cast.coach)

    # Queries: session; user; one page of coachees with summaries (LIMIT 26 in SQL); upcoming;
    # to complete; unscored; overdue action items.
    with django_assert_num_queries(7):
        response = client.get("/coaching/?page=2")

    assert response.status_code == 200


def test_the_dashboard_pages_through_coachees(cast, client):
    for n in range(26):
        CoachAssignment.objects.create(
            coach=cast.coach, coachee=UserFactory(full_name=f"Zed {n:02d}")
        )
    client.force_login(cast.coach)

    first = client.get("/coaching/").content.decode()
    second = client.get("/coaching/", {"page": "2"}).content.decode()
    beyond = client.get("/coaching/", {"page": "9"}).content.decode()

    # Cast coachees (Pat Peer, Remy Rep) sort before the Zeds: 25 on page 1, 3 on page 2.
    assert "Zed 22" in first and "Zed 23" not in first
    assert "?page=2#coachees-title" in first and "?page=0" not in first
    assert all(f"Zed {n}" in second for n in (23, 24, 25))
    assert "?page=1#coachees-title" in second and "?page=3" not in second
    assert "Zed" not in beyond and "?page=8#coachees-title" in beyond
    assert client.get("/coaching/", {"page": "x"}).content.decode().count("Zed 0") == 10


@pytest.mark.parametrize("sessions", [4, 40])
def test_calendar_runs_a_constant_number_of_queries(
    cast, client, sessions, django_assert_max_num_queries
):
    _populate(cast, 0, sessions)
    client.force_login(cast.coach)

    # Queries: session; user; the week's sessions with coach and rep.
    with django_assert_max_num_queries(3):
        response = client.get("/coaching/calendar/")

    assert response.status_code == 200


@pytest.mark.parametrize("sessions", [4, 40])
def test_a_reps_calendar_with_free_slots_runs_a_constant_number_of_queries(
    cast, client, sessions, django_assert_num_queries
):
    _populate(cast, 0, sessions)
    client.force_login(cast.coach)

    # Queries: session; user; the rep (visible); may the coach book them; the week's sessions.
    with django_assert_num_queries(5):
        response = client.get("/coaching/calendar/", {"user": cast.rep.pk})

    assert response.status_code == 200
    assert response.context["booking"].rep_id == cast.rep.pk


@pytest.mark.parametrize("sessions", [4, 40])
def test_rep_history_runs_a_constant_number_of_queries(
    cast, client, rubric, sessions, django_assert_max_num_queries
):
    _populate(cast, 0, sessions)
    rubric_obj, criteria = rubric
    for session in CoachingSession.objects.filter(status="completed", rep=cast.rep):
        scorecard_record(
            session=session,
            scored_by=cast.coach,
            rubric=rubric_obj,
            scores={c.pk: c.scale_max for c in criteria},
        )
    client.force_login(cast.manager)

    # Queries: session; user; the rep (visible); upcoming; past with scorecards; commitments;
    # action items; default rubric; its criteria; monthly means; may the viewer book the rep.
    with django_assert_max_num_queries(11):
        response = client.get(f"/coaching/people/{cast.rep.pk}/")

    assert response.status_code == 200


# Home panels


def test_home_shows_a_rep_their_next_session(cast, client):
    SessionFactory(
        coach=cast.coach, rep=cast.rep, kind="role_play", start=tomorrow_at(15), end=tomorrow_at(16)
    )
    client.force_login(cast.rep)

    page = client.get("/").content.decode()

    assert "Next coaching session" in page
    assert "Role-play with Cole Coach" in page


def test_home_shows_a_coach_their_overdue_follow_ups(cast, client):
    start = timezone.now() - dt.timedelta(days=2)
    past = SessionFactory(coach=cast.coach, rep=cast.rep, start=start, end=start + H)
    ActionItemFactory(session=past, due_date=timezone.localdate() - dt.timedelta(days=1))
    ActionItemFactory(session=past, due_date=timezone.localdate() - dt.timedelta(days=1))
    client.force_login(cast.coach)

    response = client.get("/")

    assert "Coaching follow-ups" in response.content.decode()
    assert [p.figure for p in response.context["panels"] if p.title == "Coaching follow-ups"] == [
        "3"
    ]


# Who may post the session forms (refused requests change nothing)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("rep", 403),
        ("rep_peer", 404),
        ("coach", 302),
        ("manager", 403),
        ("other_coach", 404),
        ("leader", 403),
        ("admin", 302),
    ],
)
def test_session_forms_over_the_cast(cast, client, rubric, name, status):
    rubric_obj, criteria = rubric
    start = timezone.now() - 2 * H
    scheduled = SessionFactory(
        coach=cast.coach, rep=cast.rep, start=start, end=start + H, kind="post_call_review"
    )
    done = SessionFactory(
        coach=cast.coach,
        rep=cast.rep,
        status="completed",
        kind="post_call_review",
        start=start - 24 * H,
        end=start - 23 * H,
    )
    client.force_login(cast[name])
    due = (timezone.localdate() + dt.timedelta(days=3)).isoformat()

    responses = [
        client.post(f"/coaching/sessions/{scheduled.pk}/complete/", {"status": "completed"}),
        client.post(
            f"/coaching/sessions/{done.pk}/scorecard/",
            {"rubric": rubric_obj.pk, **{f"score_{c.pk}": c.scale_min for c in criteria}},
        ),
        client.post(
            f"/coaching/sessions/{done.pk}/post-mortem/", {"went_well": "a", "to_improve": "b"}
        ),
        client.post(
            f"/coaching/sessions/{done.pk}/action-items/",
            {"action-description": "x", "action-owner": cast.rep.pk, "action-due_date": due},
        ),
    ]

    assert [r.status_code for r in responses] == [status] * 4
    written = status == 302
    assert CoachingSession.objects.get(pk=scheduled.pk).status == (
        "completed" if written else "scheduled"
    )
    assert (Scorecard.objects.count(), PostMortem.objects.count()) == (
        (1, 1) if written else (0, 0)
    )


def test_session_items_name_the_other_person_escaped_in_the_viewers_language(cast, client, rubric):
    cast.rep.full_name = "Remy <b>Rep</b>"
    cast.rep.save()
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    start = dt.datetime.combine(monday, dt.time(9), tzinfo=dt.UTC)
    deal = DealFactory(owner=cast.rep, name="Acme & Co")
    session = SessionFactory(
        coach=cast.coach, rep=cast.rep, start=start, end=start + H, deal=deal, status="completed"
    )
    rubric_obj, criteria = rubric
    overall = scorecard_record(
        session=session, scored_by=cast.coach, rubric=rubric_obj, scores={c.pk: 3 for c in criteria}
    ).overall
    SessionFactory(
        coach=cast.other_coach,
        rep=cast.coach,
        start=start + 2 * H,
        end=start + 3 * H,
        status="cancelled",
        cancelled_at=timezone.now(),
    )
    cast.coach.language = "de"
    cast.coach.save()
    client.force_login(cast.coach)

    # The middleware activates the coach's language for the thread; override() puts the
    # previous one back afterwards, so later tests in this worker are not answered in German.
    with translation.override(None):
        page = client.get("/coaching/calendar/").content.decode()

    score = str(overall).replace(".", ",")  # German decimal comma
    assert f"mit Remy &lt;b&gt;Rep&lt;/b&gt; · Acme &amp; Co · Bewertung {score}<" in page
    assert f"mit Coach {cast.other_coach.full_name}" in page
    assert 'class="cancelled-text">' in page and '<span class="badge bad">' in page
    assert '<span class="badge ok">Abgeschlossen</span>' in page


def test_the_week_writes_each_session_once_placed_on_the_grid(cast, client):
    """One list item per session, its place on the week grid in its classes (the stylesheet lays
    the list out as the grid on wide screens); written in coaching/templatetags/session_items.py."""
    cast.rep.full_name = "Remy <b>Rep</b>"
    cast.rep.save()
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    start = dt.datetime.combine(monday, dt.time(9), tzinfo=dt.UTC)
    mine = SessionFactory(
        coach=cast.coach, rep=cast.rep, start=start, end=start + H, kind="role_play"
    )
    SessionFactory(
        coach=cast.other_coach,
        rep=cast.coach,
        start=start + 2 * H,
        end=start + 3 * H,
        status="cancelled",
        cancelled_at=timezone.now(),
    )
    cast.coach.language = "de"
    cast.coach.save()
    client.force_login(cast.coach)

    with translation.override(None):
        page = client.get("/coaching/calendar/").content.decode()

    local = timezone.localtime(start, zoneinfo.ZoneInfo(cast.coach.time_zone))
    first_row = (local.hour - min(local.hour, 8)) * 4 + local.minute // 15 + 2
    column = local.weekday() + 2
    # Monday 09:00 UTC, one hour (four quarter rows); the cancelled one two hours later.
    assert page.count(f'href="/coaching/sessions/{mine.pk}/"') == 1
    assert f'<li class="block scheduled c-{column} r-{first_row} rs-4">' in page
    assert f'<li class="block cancelled c-{column} r-{first_row + 8} rs-4">' in page
    assert ">Rollenspiel</a>" in page and "mit Remy &lt;b&gt;Rep&lt;/b&gt;<" in page
    assert f"mit Coach {cast.other_coach.full_name}<" in page
    assert '<span class="badge bad">Abgesagt</span>' in page
