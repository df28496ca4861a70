"""The coaching API: who may do what (the cast), bad input, conflicts, constant query counts."""

import datetime as dt

import pytest
from django.utils import timezone

from coaching.models import (
    ActionItem,
    CoachingSession,
    Commitment,
    PostMortem,
    Scorecard,
    SessionParticipant,
)
from tests.coaching.factories import (
    CommitmentFactory,
    PostMortemFactory,
    SessionFactory,
    tomorrow_at,
)
from tests.deals.factories import DealFactory

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
CAST = [
    "rep",
    "rep_peer",
    "coach",
    "manager",
    "other_rep",
    "other_coach",
    "other_manager",
    "leader",
    "admin",
]
URL = "/api/v1/coaching/sessions/"


def _snapshot(session):  # type: ignore[no-untyped-def]
    session.refresh_from_db()
    return (session.status, session.start, session.end, session.sequence, session.cancel_reason)


def _body(cast, **extra):  # type: ignore[no-untyped-def]
    start = extra.pop("start", tomorrow_at(10))
    return {
        "rep_id": cast.rep.pk,
        "kind": "live_call",
        "start": start.isoformat(),
        "end": (start + H).isoformat(),
        "location": "https://meet.example.com/x",
        **extra,
    }


# Who may do what


@pytest.mark.parametrize(
    ("name", "status", "count"),
    [
        ("rep", 200, 1),
        ("rep_peer", 200, 0),
        ("coach", 200, 1),
        ("manager", 200, 1),
        ("other_rep", 200, 0),
        ("other_coach", 200, 0),
        ("other_manager", 200, 0),
        ("leader", 200, 1),
        ("admin", 200, 1),
        (None, 401, None),
    ],
)
def test_session_list_shows_what_each_person_may_see(cast, client_for, name, status, count):
    SessionFactory(coach=cast.coach, rep=cast.rep)

    response = client_for(name).get(URL)

    assert response.status_code == status
    if count is not None:
        assert response.json()["count"] == count


@pytest.mark.parametrize(
    ("scopes", "status", "count"),
    [(("coaching:read",), 200, 1), (("coaching:write",), 200, 1), (("deals:read",), 403, None)],
)
def test_session_list_for_api_keys(cast, key_client, scopes, status, count):
    SessionFactory(coach=cast.coach, rep=cast.rep)

    response = key_client(*scopes).get(URL)

    assert response.status_code == status
    if count is not None:
        assert response.json()["count"] == count


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("rep", 200),
        ("rep_peer", 404),
        ("coach", 200),
        ("manager", 200),
        ("other_rep", 404),
        ("other_coach", 404),
        ("other_manager", 404),
        ("leader", 200),
        ("admin", 200),
        (None, 401),
    ],
)
def test_session_detail_is_404_outside_visibility(cast, client_for, name, status):
    session = SessionFactory(coach=cast.coach, rep=cast.rep)

    assert client_for(name).get(f"{URL}{session.pk}/").status_code == status


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("rep", 403),
        ("rep_peer", 403),
        ("coach", 201),
        ("manager", 201),
        ("other_rep", 403),
        ("other_coach", 400),
        ("other_manager", 400),
        ("leader", 403),
        ("admin", 201),
        (None, 401),
    ],
)
def test_booking_for_the_rep(cast, client_for, name, status, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(name).post(URL, _body(cast), format="json")

    assert response.status_code == status
    assert CoachingSession.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        body = response.json()
        assert (body["coach"]["id"], body["rep"]["id"], body["sequence"]) == (
            cast[name].pk,
            cast.rep.pk,
            0,
        )
        assert body["ical_uid"] == f"session-{body['uid']}@coachline"
    if status == 400:
        assert response.json()["errors"] == [
            {"field": "rep_id", "message": "No coachee or team member of this coach with this id."}
        ]


def test_an_api_key_books_for_a_named_coach(cast, key_client):
    client = key_client("coaching:write")

    missing = client.post(URL, _body(cast), format="json")
    booked = client.post(URL, _body(cast, coach_id=cast.coach.pk), format="json")
    not_a_coach = client.post(
        URL, _body(cast, coach_id=cast.rep_peer.pk, start=tomorrow_at(14)), format="json"
    )

    assert missing.status_code == 400
    assert booked.status_code == 201
    assert booked.json()["coach"]["id"] == cast.coach.pk
    assert not_a_coach.status_code == 404
    assert (
        key_client("coaching:read")
        .post(URL, _body(cast, coach_id=cast.coach.pk), format="json")
        .status_code
        == 403
    )


ACTIONS = {
    "reschedule": lambda s: {
        "start": (s.start + 2 * H).isoformat(),
        "end": (s.end + 2 * H).isoformat(),
    },
    "cancel": lambda s: {"reason": "Sick"},
}


@pytest.mark.parametrize(
    ("action", "name", "status"),
    [
        *[
            ("reschedule", n, s)
            for n, s in [
                ("rep", 403),
                ("rep_peer", 404),
                ("coach", 200),
                ("manager", 403),
                ("other_rep", 404),
                ("other_coach", 404),
                ("other_manager", 404),
                ("leader", 403),
                ("admin", 200),
                (None, 401),
            ]
        ],
        *[
            ("cancel", n, s)
            for n, s in [
                ("rep", 200),
                ("rep_peer", 404),
                ("coach", 200),
                ("manager", 403),
                ("other_rep", 404),
                ("other_coach", 404),
                ("other_manager", 404),
                ("leader", 403),
                ("admin", 200),
                (None, 401),
            ]
        ],
    ],
)
def test_changing_a_session_and_refusals_change_nothing(cast, client_for, action, name, status):
    session = SessionFactory(coach=cast.coach, rep=cast.rep)
    before = _snapshot(session)

    response = client_for(name).post(
        f"{URL}{session.pk}/{action}", ACTIONS[action](session), format="json"
    )

    assert response.status_code == status
    after = _snapshot(session)
    if status == 200:
        assert after[3] == 1  # sequence raised
        assert response.json()["sequence"] == 1
    else:
        assert after == before


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("rep", 403),
        ("rep_peer", 404),
        ("coach", 200),
        ("manager", 403),
        ("other_rep", 404),
        ("other_coach", 404),
        ("leader", 403),
        ("admin", 200),
        (None, 401),
    ],
)
def test_completing(cast, client_for, name, status):
    start = timezone.now() - 2 * H
    session = SessionFactory(coach=cast.coach, rep=cast.rep, start=start, end=start + H)

    response = client_for(name).post(f"{URL}{session.pk}/complete", {"notes": "ok"}, format="json")

    assert response.status_code == status
    assert CoachingSession.objects.get(pk=session.pk).status == (
        "completed" if status == 200 else "scheduled"
    )


# Bad input


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"end": tomorrow_at(9).isoformat()}, "end", "The end must be after the start."),
        (
            {"end": tomorrow_at(10).isoformat()},
            "end",
            "A session needs a length: the end equals the start.",
        ),
        (
            {"start": "2020-01-01T10:00:00Z", "end": "2020-01-01T11:00:00Z"},
            "start",
            "This time is in the past.",
        ),
        ({"kind": "therapy"}, "kind", '"therapy" is not a valid choice.'),
        (
            {"start": "tomorrow"},
            "start",
            "Datetime has wrong format. Use one of these formats instead: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
        ),
        ({"rep_id": 999999}, "rep_id", "No coachee or team member of this coach with this id."),
        ({"focus_criterion_ids": [999999]}, "focus_criterion_ids", "Unknown or retired criterion."),
    ],
)
def test_bad_bookings_answer_400_with_the_field_and_write_nothing(
    cast, client_for, change, field, message
):
    response = client_for("coach").post(URL, {**_body(cast), **change}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": field, "message": message}]
    assert CoachingSession.objects.count() == SessionParticipant.objects.count() == 0


def test_a_deal_of_another_rep_answers_400(cast, client_for):
    deal = DealFactory(owner=cast.rep_peer)

    response = client_for("coach").post(URL, _body(cast, deal_id=deal.pk), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "deal_id", "message": "No deal of this rep with this id."}
    ]


def test_a_double_booking_answers_409_naming_the_session(cast, client_for):
    existing = SessionFactory(
        coach=cast.manager, rep=cast.rep, start=tomorrow_at(10) + H / 2, end=tomorrow_at(12)
    )

    response = client_for("coach").post(URL, _body(cast), format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert body["conflicting_session"] == {
        "id": existing.pk,
        "start": existing.start.isoformat(),
        "end": existing.end.isoformat(),
        "coach_id": cast.manager.pk,
        "rep_id": cast.rep.pk,
        "person_id": cast.rep.pk,
    }
    assert body["detail"].startswith("Remy Rep is already booked from ")
    assert f"(session {existing.pk}: One-on-one, Mia Manager with Remy Rep)" in body["detail"]
    assert CoachingSession.objects.count() == 1


def test_rescheduling_into_a_conflict_answers_409(cast, client_for):
    session = SessionFactory(coach=cast.coach, rep=cast.rep)
    other = SessionFactory(
        coach=cast.coach, rep=cast.rep_peer, start=session.start + 3 * H, end=session.end + 3 * H
    )

    response = client_for("coach").post(
        f"{URL}{session.pk}/reschedule",
        {"start": other.start.isoformat(), "end": other.end.isoformat()},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["conflicting_session"]["id"] == other.pk


# Scorecards, post-mortems, commitments


def _completed(cast, **extra):  # type: ignore[no-untyped-def]
    return SessionFactory(coach=cast.coach, rep=cast.rep, status="completed", **extra)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("rep", 403),
        ("rep_peer", 404),
        ("coach", 200),
        ("manager", 403),
        ("other_coach", 404),
        ("leader", 403),
        ("admin", 200),
        (None, 401),
    ],
)
def test_scoring_a_session(cast, client_for, rubric, name, status):
    rubric_obj, criteria = rubric
    session = _completed(cast)
    body = {
        "rubric_id": rubric_obj.pk,
        "scores": [{"criterion_id": c.pk, "score": 1} for c in criteria],
    }

    response = client_for(name).put(f"{URL}{session.pk}/scorecard", body, format="json")

    assert response.status_code == status
    assert Scorecard.objects.count() == (1 if status == 200 else 0)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("rep", 200),
        ("rep_peer", 404),
        ("coach", 200),
        ("manager", 200),
        ("other_coach", 404),
        ("leader", 200),
        ("admin", 200),
        (None, 401),
    ],
)
def test_reading_a_scorecard(cast, client_for, rubric, name, status):
    from coaching.services.scorecards import scorecard_record

    rubric_obj, criteria = rubric
    session = _completed(cast)
    scorecard_record(
        session=session,
        scored_by=cast.coach,
        rubric=rubric_obj,
        scores={c.pk: c.scale_max for c in criteria},
    )

    response = client_for(name).get(f"{URL}{session.pk}/scorecard")

    assert response.status_code == status
    if status == 200:
        assert response.json()["overall"] == "100.0"
        assert [s["criterion"] for s in response.json()["scores"]] == [
            "Identify pain",
            "Economic buyer",
            "Next step agreed",
        ]


def test_a_score_outside_the_scale_answers_400(cast, client_for, rubric):
    rubric_obj, (pain, buyer, step) = rubric
    session = _completed(cast)
    body = {
        "rubric_id": rubric_obj.pk,
        "scores": [
            {"criterion_id": pain.pk, "score": 9},
            {"criterion_id": buyer.pk, "score": 2},
            {"criterion_id": step.pk, "score": 2},
        ],
    }

    response = client_for("coach").put(f"{URL}{session.pk}/scorecard", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": f"scores.{pain.pk}",
            "message": "Identify pain is scored from 1 to 5; 9 is outside the scale.",
        }
    ]
    assert Scorecard.objects.count() == 0


def test_a_post_mortem_with_a_commitment_through_the_api(cast, client_for):
    session = _completed(cast, kind="post_call_review")
    check = (timezone.localdate() + dt.timedelta(days=60)).isoformat()
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    body = {
        "went_well": "Clear agenda",
        "to_improve": "Quantify the pain",
        "commitments": [
            {"metric": "compelling_deadline_share", "target": "60", "check_date": check}
        ],
        "action_items": [{"owner_id": cast.rep.pk, "description": "Send recap", "due_date": due}],
    }

    response = client_for("coach").put(f"{URL}{session.pk}/post-mortem", body, format="json")

    assert response.status_code == 200
    data = response.json()
    assert [
        (c["metric"], c["target"], c["check_date"], c["status"]) for c in data["commitments"]
    ] == [("compelling_deadline_share", "60.0", check, "pending")]
    assert [(a["owner_id"], a["description"]) for a in data["action_items"]] == [
        (cast.rep.pk, "Send recap")
    ]
    assert (
        client_for("rep").get(f"{URL}{session.pk}/post-mortem").json()["went_well"]
        == "Clear agenda"
    )


def test_a_retried_post_mortem_put_adds_its_commitments_and_actions_once(cast, client_for):
    session = _completed(cast, kind="deal_post_mortem")
    check = (timezone.localdate() + dt.timedelta(days=60)).isoformat()
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    commitment = {"metric": "win_rate", "target": "55", "check_date": check}
    body = {
        "went_well": "Clear agenda",
        "to_improve": "Quantify the pain",
        "commitments": [commitment],
        "action_items": [{"owner_id": cast.rep.pk, "description": "Send recap", "due_date": due}],
    }
    url = f"{URL}{session.pk}/post-mortem"

    first = client_for("coach").put(url, body, format="json")
    retry = client_for("coach").put(url, body, format="json")
    more = client_for("coach").put(
        url, {**body, "commitments": [commitment, {**commitment, "target": "60"}]}, format="json"
    )

    assert (first.status_code, retry.status_code, more.status_code) == (200, 200, 200)
    assert retry.json()["commitments"] == first.json()["commitments"]
    assert sorted(Commitment.objects.values_list("target", flat=True)) == [55, 60]
    assert ActionItem.objects.filter(session=session).count() == 1


def test_a_bad_commitment_answers_400_and_writes_nothing(cast, client_for):
    session = _completed(cast, kind="deal_post_mortem")
    body = {
        "went_well": "a",
        "to_improve": "b",
        "commitments": [{"metric": "win_rate", "target": "50", "check_date": "2020-01-01"}],
    }

    response = client_for("coach").put(f"{URL}{session.pk}/post-mortem", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "commitments[0].check_date", "message": "The check date must be in the future."}
    ]
    assert PostMortem.objects.count() == Commitment.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("rep", 1),
        ("rep_peer", 0),
        ("coach", 1),
        ("manager", 1),
        ("other_coach", 0),
        ("leader", 1),
        ("admin", 1),
    ],
)
def test_commitments_list_within_visibility(cast, client_for, name, count):
    CommitmentFactory(
        post_mortem=PostMortemFactory(session__coach=cast.coach, session__rep=cast.rep)
    )

    response = client_for(name).get("/api/v1/coaching/commitments/")

    assert response.status_code == 200
    assert response.json()["count"] == count


def test_adding_a_commitment_to_a_post_mortem(cast, client_for):
    post_mortem = PostMortemFactory(session__coach=cast.coach, session__rep=cast.rep)
    check = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    body = {
        "metric": "win_rate",
        "target": "45.5",
        "check_date": check,
        "description": "Disqualify early",
    }

    refused = client_for("rep").post(
        f"/api/v1/coaching/post-mortems/{post_mortem.pk}/commitments", body, format="json"
    )
    added = client_for("coach").post(
        f"/api/v1/coaching/post-mortems/{post_mortem.pk}/commitments", body, format="json"
    )

    assert refused.status_code == 403
    assert added.status_code == 201
    assert added.json()["target"] == "45.5"
    assert Commitment.objects.count() == 1


# Slots, rubrics, feed


def test_slots_for_a_coachee(cast, client_for):
    from tests.coaching.factories import AvailabilityFactory

    for day in range(7):
        AvailabilityFactory(
            coach=cast.coach, weekday=day, start_time=dt.time(0), end_time=dt.time(23, 30)
        )

    response = client_for("coach").get(
        "/api/v1/coaching/slots/", {"rep_id": cast.rep.pk, "duration": 30, "days": 2}
    )
    outsider = client_for("coach").get("/api/v1/coaching/slots/", {"rep_id": cast.other_rep.pk})
    rep = client_for("rep").get("/api/v1/coaching/slots/", {"rep_id": cast.rep.pk})

    assert response.status_code == 200
    slots = response.json()
    # the two full days ahead hold 47 half-hours each (00:00 to 23:00 starts)
    assert len(slots) >= 2 * 47
    assert outsider.status_code == 400
    assert rep.status_code == 403


def test_feed_address_through_the_api(cast, client_for, client):
    created = client_for("rep").post("/api/v1/coaching/calendar-feed")
    url = created.json()["url"]

    assert created.status_code == 201
    assert client.get(url).status_code == 200
    assert client_for("rep").delete("/api/v1/coaching/calendar-feed").status_code == 204
    assert client.get(url).status_code == 404


def test_rubrics_list(cast, client_for, rubric):
    response = client_for("rep").get("/api/v1/coaching/rubrics/")

    assert response.status_code == 200
    assert [c["name"] for c in response.json()["results"][0]["criteria"]] == [
        "Identify pain",
        "Economic buyer",
        "Next step agreed",
    ]


# Query counts


@pytest.mark.parametrize("sessions", [3, 30])
def test_session_list_runs_a_constant_number_of_queries(
    cast, client_for, rubric, sessions, django_assert_max_num_queries
):
    rubric_obj, criteria = rubric
    start = timezone.now() + dt.timedelta(days=1)
    for i in range(sessions):
        session = SessionFactory(
            coach=cast.coach,
            rep=cast.rep if i % 2 else cast.rep_peer,
            start=start + i * 2 * H,
            end=start + i * 2 * H + H,
            deal=DealFactory(owner=cast.rep),
        )
        session.focus_criteria.set(criteria)
    client = client_for("manager")

    # Queries: count; the page of sessions with coach, rep, deal and scorecard; focus criteria.
    with django_assert_max_num_queries(3):
        response = client.get(URL)

    assert response.json()["count"] == sessions


@pytest.mark.parametrize(
    ("name", "read", "write"),
    [
        ("rep", 200, 403),
        ("rep_peer", 404, 404),
        ("coach", 200, 200),
        ("manager", 200, 403),
        ("other_coach", 404, 404),
        ("leader", 200, 403),
        ("admin", 200, 200),
        (None, 401, 401),
    ],
)
def test_post_mortem_read_and_write(cast, client_for, name, read, write):
    post_mortem = PostMortemFactory(
        session__coach=cast.coach, session__rep=cast.rep, session__kind="deal_post_mortem"
    )
    client = client_for(name)

    got = client.get(f"{URL}{post_mortem.session_id}/post-mortem")
    put = client.put(
        f"{URL}{post_mortem.session_id}/post-mortem",
        {"went_well": "New", "to_improve": "Also new"},
        format="json",
    )

    assert (got.status_code, put.status_code) == (read, write)
    assert PostMortem.objects.get().went_well == (
        "New" if write == 200 else "Found the pain early."
    )


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("rep", 403),
        ("rep_peer", 404),
        ("coach", 201),
        ("manager", 403),
        ("other_coach", 404),
        ("leader", 403),
        ("admin", 201),
        (None, 401),
    ],
)
def test_adding_a_commitment_over_the_cast(cast, client_for, name, status):
    post_mortem = PostMortemFactory(session__coach=cast.coach, session__rep=cast.rep)
    body = {
        "metric": "win_rate",
        "target": "40",
        "check_date": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
    }

    response = client_for(name).post(
        f"/api/v1/coaching/post-mortems/{post_mortem.pk}/commitments", body, format="json"
    )

    assert response.status_code == status
    assert Commitment.objects.count() == (1 if status == 201 else 0)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("rep", 403),
        ("rep_peer", 403),
        ("coach", 200),
        ("manager", 200),
        ("other_coach", 400),
        ("other_manager", 400),
        ("leader", 403),
        ("admin", 200),
        (None, 401),
    ],
)
def test_slots_over_the_cast(cast, client_for, name, status):
    response = client_for(name).get("/api/v1/coaching/slots/", {"rep_id": cast.rep.pk})

    assert response.status_code == status


@pytest.mark.parametrize(("name", "status"), [*[(n, 200) for n in CAST], (None, 401)])
def test_rubrics_over_the_cast(cast, client_for, rubric, name, status):
    assert client_for(name).get("/api/v1/coaching/rubrics/").status_code == status


@pytest.mark.parametrize(("name", "status"), [*[(n, 201) for n in CAST], (None, 401)])
def test_everyone_signed_in_gets_their_own_feed_address(cast, client_for, name, status):
    from coaching.models import CalendarFeed

    response = client_for(name).post("/api/v1/coaching/calendar-feed")

    assert response.status_code == status
    assert CalendarFeed.objects.count() == (1 if status == 201 else 0)


def test_an_api_key_has_no_feed(cast, key_client):
    assert key_client("coaching:write").post("/api/v1/coaching/calendar-feed").status_code == 404
