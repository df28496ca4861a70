"""Each app's change tells the right people through notify: sessions, commitments, stories,
retakes. Calendar invites and commitment results keep their own email; the in-app notice is
added, not a second email."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from coaching.services.post_mortems import commitment_check
from coaching.services.sessions import session_book, session_cancel, session_reschedule
from notifications.kinds import Channel, Kind
from notifications.models import Notification
from notifications.services import preferences_set
from tests.coaching.factories import CommitmentFactory, PostMortemFactory, SessionFactory
from tests.training.factories import (
    AssignmentFactory,
    CourseFactory,
    StoryLessonFactory,
    answers,
    make_quiz,
)
from training.models import PublishStatus
from training.services import (
    lesson_update,
    quiz_submit,
    retake_grant,
    retake_request_create,
)

pytestmark = pytest.mark.django_db


def _kinds():
    return sorted(
        (n.recipient.full_name, n.kind, n.params.get("change", ""))
        for n in Notification.objects.select_related("recipient")
    )


def test_booking_moving_and_cancelling_tell_the_other_person(
    cast, django_capture_on_commit_callbacks
):
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        session = session_book(
            booked_by=cast.coach,
            coach=cast.coach,
            rep=cast.rep,
            kind="one_on_one",
            start=start,
            end=start + dt.timedelta(hours=1),
        )
        session_reschedule(
            session=session,
            start=start + dt.timedelta(days=1),
            end=start + dt.timedelta(days=1, hours=1),
            by=cast.rep,
        )
        session_cancel(session=session, by=cast.coach, reason="Travel")

    assert _kinds() == [
        ("Cole Coach", "session_changed", "rescheduled"),
        ("Remy Rep", "session_booked", "booked"),
        ("Remy Rep", "session_changed", "cancelled"),
    ]
    # Only the calendar invites went by email: the newest version (the cancellation) to both
    # people, the superseded ones skipped; no notification email on top.
    assert len(mail.outbox) == 2


def test_a_checked_commitment_tells_rep_and_coach_and_email_follows_their_choice(
    cast, django_capture_on_commit_callbacks
):
    session = SessionFactory(
        coach=cast.coach, rep=cast.rep, kind="deal_post_mortem", status="completed"
    )
    commitment = CommitmentFactory(post_mortem=PostMortemFactory(session=session))
    preferences_set(user=cast.coach, enabled={(Kind.COMMITMENT_CHECKED, Channel.IN_APP)})

    with django_capture_on_commit_callbacks(execute=True):
        commitment_check(commitment_id=commitment.pk, today=dt.date(2025, 4, 1))

    assert _kinds() == [
        ("Cole Coach", "commitment_checked", ""),
        ("Remy Rep", "commitment_checked", ""),
    ]
    assert [m.to for m in mail.outbox] == [["rep@example.com"]]  # the coach turned email off


def test_publishing_a_story_tells_the_people_the_course_is_assigned_to(cast):
    course = CourseFactory(title="Lost deals")
    story = StoryLessonFactory(course=course, title="The Q3 loss", status=PublishStatus.DRAFT)
    AssignmentFactory(assignee=cast.rep, course=course)

    lesson_update(lesson=story, status=PublishStatus.PUBLISHED, actor=cast.manager)
    lesson_update(lesson=story, title="The Q3 loss, retold")  # already published: no second

    assert _kinds() == [("Remy Rep", "story_published", "")]
    assert Notification.objects.get().params == {"title": "The Q3 loss", "course": "Lost deals"}


def test_a_retake_request_reaches_coach_and_manager_and_the_grant_reaches_the_rep(cast):
    quiz = make_quiz(CourseFactory(slug="q"), slug="check", questions=1, max_attempts=1)
    quiz_submit(user=cast.rep, lesson=quiz, answers=answers(quiz, right=0))

    retake_request_create(user=cast.rep, lesson=quiz, note="Please")
    retake_grant(granter=cast.manager, user=cast.rep, lesson=quiz)

    assert _kinds() == [
        ("Cole Coach", "retake_requested", ""),
        ("Mia Manager", "retake_requested", ""),
        ("Remy Rep", "retake_granted", ""),
    ]
    granted = Notification.objects.get(kind="retake_granted")
    assert granted.url == "/learn/courses/q/check/" and granted.actor == cast.manager
