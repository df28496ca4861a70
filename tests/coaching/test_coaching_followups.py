"""Post-mortems, commitments measured against deals, action items, reminders, story lessons."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from coaching.models import ActionItem, CoachingSession, Commitment, PostMortem
from coaching.services.metrics import Measurement, metric_measure
from coaching.services.notifications import session_reminders_send
from coaching.services.post_mortems import (
    ActionItemInput,
    CommitmentInput,
    commitment_check,
    post_mortem_record,
    post_mortem_to_story_lesson,
)
from coaching.services.sessions import session_reschedule
from coaching.tasks import check_due_commitments
from deals.models import DealStatus
from events.models import EventType, WebhookDelivery
from tests.coaching.factories import CommitmentFactory, PostMortemFactory, SessionFactory
from tests.deals.factories import DealChangeFactory, DealFactory
from tests.events.factories import WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db

START, END = dt.date(2025, 1, 1), dt.date(2025, 3, 31)


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


# Metrics


def test_economic_buyer_share_counts_new_deals_in_the_window(cast):
    for flag in (True, True, True, False, None):
        DealFactory(owner=cast.rep, created_at=at(dt.date(2025, 2, 1)), has_economic_buyer=flag)
    DealFactory(owner=cast.rep, created_at=at(dt.date(2024, 12, 31)), has_economic_buyer=False)
    DealFactory(owner=cast.rep_peer, created_at=at(dt.date(2025, 2, 1)), has_economic_buyer=False)

    measured = metric_measure(rep=cast.rep, metric="economic_buyer_share", start=START, end=END)

    assert measured == Measurement(value=Decimal("60.0"), count=5)


def test_compelling_deadline_share(cast):
    DealFactory(owner=cast.rep, created_at=at(END), has_compelling_deadline=True)
    DealFactory(owner=cast.rep, created_at=at(START), has_compelling_deadline=False)
    DealFactory(owner=cast.rep, created_at=at(START), has_compelling_deadline=False)

    measured = metric_measure(
        rep=cast.rep, metric="compelling_deadline_share", start=START, end=END
    )

    assert measured == Measurement(value=Decimal("33.3"), count=3)


def test_win_rate_counts_deals_closed_in_the_window(cast):
    created = at(dt.date(2024, 10, 1))
    for status in (DealStatus.WON, DealStatus.WON, DealStatus.LOST):
        DealFactory(
            owner=cast.rep, created_at=created, status=status, closed_at=at(dt.date(2025, 2, 1))
        )
    DealFactory(
        owner=cast.rep,
        created_at=created,
        status=DealStatus.WON,
        closed_at=at(dt.date(2024, 12, 1)),
    )
    DealFactory(owner=cast.rep, created_at=created, status=DealStatus.OPEN)

    measured = metric_measure(rep=cast.rep, metric="win_rate", start=START, end=END)

    assert measured == Measurement(value=Decimal("66.7"), count=3)


def test_slip_rate_counts_deals_due_in_the_window_not_closed_by_their_date(cast):
    created = at(dt.date(2024, 10, 1))
    # due 15 Feb, still open: slipped
    DealFactory(owner=cast.rep, created_at=created, expected_close_date=dt.date(2025, 2, 15))
    # due 15 Feb, won on 10 Feb: on time
    DealFactory(
        owner=cast.rep,
        created_at=created,
        expected_close_date=dt.date(2025, 2, 15),
        status=DealStatus.WON,
        closed_at=at(dt.date(2025, 2, 10)),
    )
    # was due 1 Feb, pushed to May, still open: slipped
    pushed = DealFactory(
        owner=cast.rep, created_at=created, expected_close_date=dt.date(2025, 5, 1)
    )
    DealChangeFactory(
        deal=pushed,
        field="expected_close_date",
        old_value="2025-02-01",
        new_value="2025-05-01",
        changed_at=at(dt.date(2025, 1, 20)),
    )
    # due 1 Mar, lost on 20 Mar: closed late, slipped
    DealFactory(
        owner=cast.rep,
        created_at=created,
        expected_close_date=dt.date(2025, 3, 1),
        status=DealStatus.LOST,
        closed_at=at(dt.date(2025, 3, 20)),
    )
    # due after the window: not counted
    DealFactory(owner=cast.rep, created_at=created, expected_close_date=dt.date(2025, 6, 1))

    measured = metric_measure(rep=cast.rep, metric="slip_rate", start=START, end=END)

    assert measured == Measurement(value=Decimal("75.0"), count=4)


def test_no_deals_measures_nothing(cast):
    assert metric_measure(rep=cast.rep, metric="win_rate", start=START, end=END) == Measurement(
        value=None, count=0
    )


# Checking commitments


def test_a_due_commitment_is_measured_recorded_and_notified_once(
    cast, django_capture_on_commit_callbacks, field_encryption_key
):
    WebhookSubscriptionFactory(event_types=[EventType.COACHING_COMMITMENT_CHECKED.value])
    session = SessionFactory(
        coach=cast.coach, rep=cast.rep, kind="deal_post_mortem", status="completed"
    )
    commitment = CommitmentFactory(
        post_mortem=PostMortemFactory(session=session),
        metric="economic_buyer_share",
        target=Decimal("50"),
    )
    for flag in (True, True, False):
        DealFactory(owner=cast.rep, created_at=at(dt.date(2025, 2, 1)), has_economic_buyer=flag)

    with django_capture_on_commit_callbacks(execute=True):
        first = commitment_check(commitment_id=commitment.pk, today=END)
    with django_capture_on_commit_callbacks(execute=True):
        second = commitment_check(commitment_id=commitment.pk, today=END + dt.timedelta(days=1))

    commitment.refresh_from_db()
    assert (first, second) == (True, False)
    assert (commitment.status, commitment.measured_value, commitment.deals_measured) == (
        "met",
        Decimal("66.7"),
        3,
    )
    assert sorted(m.to[0] for m in mail.outbox) == ["coach@example.com", "rep@example.com"]
    assert mail.outbox[0].subject == "Commitment met: Share of new deals with economic buyer"
    assert "Measured 66.7% against a target of 50.0% on 3 deals" in mail.outbox[0].body
    assert WebhookDelivery.objects.get().event_type == "coaching.commitment_checked"


@pytest.mark.parametrize(
    ("metric", "target", "expected"),
    [
        ("slip_rate", "40", "missed"),  # lower is better: 50 > 40
        ("slip_rate", "50", "met"),
        ("win_rate", "60", "missed"),
        ("win_rate", "50", "met"),
    ],
)
def test_met_or_missed_follows_the_direction_of_the_metric(cast, metric, target, expected):
    created = at(dt.date(2024, 10, 1))
    DealFactory(
        owner=cast.rep,
        created_at=created,
        expected_close_date=dt.date(2025, 2, 1),
        status=DealStatus.WON,
        closed_at=at(dt.date(2025, 1, 20)),
    )
    DealFactory(
        owner=cast.rep,
        created_at=created,
        expected_close_date=dt.date(2025, 2, 1),
        status=DealStatus.LOST,
        closed_at=at(dt.date(2025, 3, 1)),
    )
    commitment = CommitmentFactory(
        post_mortem=PostMortemFactory(session__coach=cast.coach, session__rep=cast.rep),
        metric=metric,
        target=Decimal(target),
    )

    commitment_check(commitment_id=commitment.pk, today=END)

    commitment.refresh_from_db()
    assert (commitment.status, commitment.measured_value) == (expected, Decimal("50.0"))


def test_without_deals_a_commitment_is_marked_no_data(cast):
    commitment = CommitmentFactory(
        post_mortem=PostMortemFactory(session__coach=cast.coach, session__rep=cast.rep)
    )

    commitment_check(commitment_id=commitment.pk, today=END)

    commitment.refresh_from_db()
    assert (commitment.status, commitment.measured_value, commitment.deals_measured) == (
        "no_data",
        None,
        0,
    )


def test_the_daily_task_checks_only_due_pending_commitments(
    cast, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    post_mortem = PostMortemFactory(session__coach=cast.coach, session__rep=cast.rep)
    due = CommitmentFactory(
        post_mortem=post_mortem, window_start=today - dt.timedelta(days=90), check_date=today
    )
    later = CommitmentFactory(
        post_mortem=post_mortem,
        window_start=today - dt.timedelta(days=1),
        check_date=today + dt.timedelta(days=1),
    )

    with django_capture_on_commit_callbacks(execute=True):
        checked = check_due_commitments.apply().get()
    with django_capture_on_commit_callbacks(execute=True):
        again = check_due_commitments.apply().get()

    assert (checked, again) == (1, 0)
    assert Commitment.objects.get(pk=due.pk).status == "no_data"
    assert Commitment.objects.get(pk=later.pk).status == "pending"
    assert len(mail.outbox) == 2


# Post-mortems


def _completed(cast, kind="deal_post_mortem", **extra):  # type: ignore[no-untyped-def]
    return SessionFactory(coach=cast.coach, rep=cast.rep, kind=kind, status="completed", **extra)


def test_a_post_mortem_with_commitments_and_action_items(cast):
    session = _completed(cast)
    today = dt.date(2025, 1, 10)

    post_mortem = post_mortem_record(
        session=session,
        author=cast.coach,
        went_well=" Found the pain ",
        to_improve="Reach the CFO",
        commitments=[
            CommitmentInput("economic_buyer_share", "70", dt.date(2025, 4, 10), "Ask for the EB")
        ],
        action_items=[ActionItemInput(cast.rep.pk, "Book the CFO meeting", dt.date(2025, 1, 20))],
        today=today,
    )

    assert (post_mortem.went_well, post_mortem.to_improve) == ("Found the pain", "Reach the CFO")
    commitment = Commitment.objects.get()
    assert (commitment.rep, commitment.target, commitment.window_start, commitment.check_date) == (
        cast.rep,
        Decimal("70.0"),
        today,
        dt.date(2025, 4, 10),
    )
    item = ActionItem.objects.get()
    assert (item.owner, item.session, item.due_date) == (cast.rep, session, dt.date(2025, 1, 20))


def test_a_bad_commitment_writes_nothing(cast):
    session = _completed(cast)

    with pytest.raises(ValidationError) as caught:
        post_mortem_record(
            session=session,
            author=cast.coach,
            went_well="a",
            to_improve="b",
            commitments=[
                CommitmentInput("win_rate", "50", dt.date(2025, 3, 1)),
                CommitmentInput("happiness", "120", dt.date(2024, 12, 1)),
            ],
            action_items=[ActionItemInput(cast.other_rep.pk, "x", dt.date(2025, 2, 1))],
            today=dt.date(2025, 1, 10),
        )

    assert caught.value.message_dict == {
        "commitments[1].metric": ["Choose a metric from the list."],
        "commitments[1].target": ["The target is a percentage between 0 and 100."],
        "commitments[1].check_date": ["The check date must be in the future."],
    }
    assert (PostMortem.objects.count(), Commitment.objects.count(), ActionItem.objects.count()) == (
        0,
        0,
        0,
    )


def test_an_action_item_belongs_to_the_coach_or_the_rep(cast):
    with pytest.raises(ValidationError) as caught:
        post_mortem_record(
            session=_completed(cast),
            author=cast.coach,
            went_well="a",
            to_improve="b",
            action_items=[ActionItemInput(cast.other_rep.pk, "x", dt.date(2025, 2, 1))],
            today=dt.date(2025, 1, 10),
        )

    assert caught.value.message_dict == {
        "action_items[0].owner_id": ["The owner is the coach or the rep of the session."]
    }


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [
        (
            "one_on_one",
            "completed",
            "Only post-call reviews and deal post-mortems have a post-mortem.",
        ),
        ("post_call_review", "scheduled", "Complete the session first."),
    ],
)
def test_a_post_mortem_needs_the_right_kind_of_completed_session(cast, kind, status, message):
    session = SessionFactory(coach=cast.coach, rep=cast.rep, kind=kind, status=status)

    with pytest.raises(ValidationError) as caught:
        post_mortem_record(session=session, author=cast.coach, went_well="a", to_improve="b")

    assert caught.value.message_dict == {"session": [message]}


# Closing the loop


def test_a_won_deals_post_mortem_becomes_a_draft_story_without_names(cast):
    deal = DealFactory(
        owner=cast.rep,
        account_name="Globex",
        amount=Decimal("48000"),
        currency="EUR",
        stage="Closed Won",
        status=DealStatus.WON,
        created_at=at(dt.date(2025, 1, 1)),
        closed_at=at(dt.date(2025, 3, 2)),
    )
    session = _completed(cast, deal=deal)
    post_mortem = PostMortemFactory(
        session=session,
        went_well="Remy found the pain; Globex's CFO joined the second call.",
        to_improve="Remy Rep should have asked Globex about budget earlier.",
    )

    lesson = post_mortem_to_story_lesson(post_mortem=post_mortem, author=cast.coach)
    again = post_mortem_to_story_lesson(post_mortem=post_mortem, author=cast.coach)

    post_mortem.refresh_from_db()
    assert again.pk == lesson.pk == post_mortem.story_lesson_id
    assert (lesson.kind, lesson.status, lesson.story_outcome) == ("story", "draft", "won")
    assert (lesson.story_deal_size, lesson.story_cycle_days) == (Decimal("48000.00"), 60)
    assert lesson.title == "Won: a 48,000 EUR deal"
    text = lesson.story_what_happened + lesson.story_what_we_learned
    assert "Remy" not in text and "Globex" not in text
    assert "the rep found the pain; the customer's CFO joined" in lesson.story_what_happened
    assert "the rep should have asked the customer about budget" in lesson.story_what_we_learned


def test_an_open_deal_does_not_become_a_story(cast):
    post_mortem = PostMortemFactory(session=_completed(cast, deal=DealFactory(owner=cast.rep)))

    with pytest.raises(ValidationError):
        post_mortem_to_story_lesson(post_mortem=post_mortem, author=cast.coach)

    assert PostMortem.objects.get().story_lesson_id is None


# Reminders


def test_the_day_before_reminder_is_sent_once(cast):
    now = timezone.now()
    soon = SessionFactory(
        coach=cast.coach,
        rep=cast.rep,
        start=now + dt.timedelta(hours=20),
        end=now + dt.timedelta(hours=21),
    )
    SessionFactory(
        coach=cast.coach,
        rep=cast.rep_peer,
        start=now + dt.timedelta(hours=30),
        end=now + dt.timedelta(hours=31),
    )
    SessionFactory(
        coach=cast.manager,
        rep=cast.rep,
        start=now + dt.timedelta(hours=5),
        end=now + dt.timedelta(hours=6),
        status="cancelled",
    )

    first = session_reminders_send(now=now)
    second = session_reminders_send(now=now + dt.timedelta(hours=1))

    assert (first, second) == (1, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["coach@example.com", "rep@example.com"]
    assert mail.outbox[0].subject.startswith("Tomorrow: One-on-one with")
    assert CoachingSession.objects.get(pk=soon.pk).reminder_sent_at == now


def test_a_moved_session_is_reminded_again(cast):
    now = timezone.now()
    session = SessionFactory(
        coach=cast.coach,
        rep=cast.rep,
        start=now + dt.timedelta(hours=20),
        end=now + dt.timedelta(hours=21),
    )
    session_reminders_send(now=now)

    session_reschedule(
        session=session,
        start=now + dt.timedelta(hours=22),
        end=now + dt.timedelta(hours=23),
        now=now,
    )
    resent = session_reminders_send(now=now)

    assert resent == 1
    assert len(mail.outbox) == 4
