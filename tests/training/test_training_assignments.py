import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.roles import Role
from notifications.models import Notification, NotificationDelivery
from notifications.tasks import send_due_deliveries
from tests.factories import TeamFactory, UserFactory
from tests.training.factories import (
    AssignmentFactory,
    CompletionFactory,
    CourseFactory,
    LessonFactory,
    course_with_lesson,
    program_with,
)
from training.models import Assignment, LessonProgress, PublishStatus
from training.selectors import assignment_states
from training.services import assignment_create, assignment_reminders_send, team_reps
from training.tasks import send_assignment_reminders

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 3, 10)


def test_assigning_a_team_creates_one_assignment_per_rep():
    manager = UserFactory(role=Role.MANAGER)
    team = TeamFactory(name="Growth", manager=manager)
    reps = [UserFactory(team=team) for _ in range(3)]
    UserFactory(team=team, role=Role.COACH)  # coaches are not reps
    UserFactory(team=team, is_active=False)
    course = course_with_lesson()

    result = assignment_create(
        target=course,
        assignees=team_reps(team=team),
        due_date=TODAY + dt.timedelta(days=7),
        assigned_by=manager,
        team=team,
        today=TODAY,
    )

    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert set(Assignment.objects.values_list("assignee_id", flat=True)) == {r.pk for r in reps}
    assert set(Assignment.objects.values_list("team_id", "assigned_by_id")) == {
        (team.pk, manager.pk)
    }


def test_assigning_again_moves_the_due_date_and_rearms_reminders():
    rep, course = UserFactory(), course_with_lesson()
    assignment = AssignmentFactory(
        assignee=rep,
        course=course,
        due_date=TODAY,
        due_soon_reminded_at=timezone.now(),
        overdue_reminded_at=timezone.now(),
    )
    other = UserFactory()

    result = assignment_create(
        target=course,
        assignees=[rep, other],
        due_date=TODAY + dt.timedelta(days=10),
        assigned_by=None,
        today=TODAY,
    )
    same = assignment_create(
        target=course,
        assignees=[rep, other],
        due_date=TODAY + dt.timedelta(days=10),
        assigned_by=None,
        today=TODAY,
    )

    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    assert (same.created, same.updated, same.unchanged) == (0, 0, 2)
    assignment.refresh_from_db()
    assert assignment.due_date == TODAY + dt.timedelta(days=10)
    assert (assignment.due_soon_reminded_at, assignment.overdue_reminded_at) == (None, None)


@pytest.mark.parametrize(
    ("due", "status", "people", "field"),
    [
        (TODAY - dt.timedelta(days=1), PublishStatus.PUBLISHED, 1, "due_date"),
        (TODAY, PublishStatus.DRAFT, 1, "target"),
        (TODAY, PublishStatus.PUBLISHED, 0, "assignees"),
    ],
)
def test_bad_assignments_are_refused_and_nothing_is_written(due, status, people, field):
    course = CourseFactory(status=status)

    with pytest.raises(ValidationError) as caught:
        assignment_create(
            target=course,
            assignees=[UserFactory() for _ in range(people)],
            due_date=due,
            assigned_by=None,
            today=TODAY,
        )

    assert field in caught.value.message_dict
    assert not Assignment.objects.exists()


def test_assignment_states_done_in_progress_not_started_overdue():
    course = CourseFactory()
    first, _second = LessonFactory(course=course), LessonFactory(course=course)
    done, started, fresh, late = (UserFactory() for _ in range(4))
    CompletionFactory(user=done, course=course)
    LessonProgress.objects.create(user=started, lesson=first, completed_at=timezone.now())
    LessonProgress.objects.create(user=late, lesson=first, completed_at=timezone.now())
    rows = [
        AssignmentFactory(assignee=done, course=course, due_date=TODAY - dt.timedelta(days=5)),
        AssignmentFactory(assignee=started, course=course, due_date=TODAY),
        AssignmentFactory(assignee=fresh, course=course, due_date=TODAY),
        AssignmentFactory(assignee=late, course=course, due_date=TODAY - dt.timedelta(days=1)),
    ]

    states = assignment_states(assignments=rows, today=TODAY)

    assert [(states[a.pk].status, states[a.pk].percent) for a in rows] == [
        ("done", 100),
        ("in_progress", 50),
        ("not_started", 0),
        ("overdue", 50),
    ]


def test_a_program_assignment_counts_courses_and_resumes_in_the_next_course():
    rep = UserFactory()
    first, second = CourseFactory(), CourseFactory()
    LessonFactory(course=first)
    a, b = LessonFactory(course=second, slug="a"), LessonFactory(course=second, slug="b")
    program = program_with(first, second)
    CompletionFactory(user=rep, course=first)
    LessonProgress.objects.create(user=rep, lesson=a, completed_at=timezone.now())
    assignment = AssignmentFactory(assignee=rep, course=None, program=program, due_date=TODAY)

    state = assignment_states(assignments=[assignment], today=TODAY, with_resume=True)[
        assignment.pk
    ]

    assert (state.status, state.courses_done, state.courses_total, state.percent) == (
        "in_progress",
        1,
        2,
        67,
    )
    assert (state.resume_course_slug, state.resume_lesson_slug) == (second.slug, b.slug)


def _assignment(due: dt.date, **fields):
    return AssignmentFactory(
        assignee=UserFactory(email=f"p{due.day}@example.com"), due_date=due, **fields
    )


def test_reminders_go_once_per_state_and_a_second_run_sends_nothing(
    django_capture_on_commit_callbacks,
):
    soon = _assignment(TODAY + dt.timedelta(days=2))
    late = _assignment(TODAY - dt.timedelta(days=1))
    _assignment(TODAY + dt.timedelta(days=20))  # not yet

    with django_capture_on_commit_callbacks(execute=True):
        first = assignment_reminders_send(today=TODAY)
        second = assignment_reminders_send(today=TODAY)

    assert (first.due_soon, first.overdue) == (1, 1)
    assert (second.due_soon, second.overdue) == (0, 0)
    assert {(m.to[0], m.subject.split(":")[0]) for m in mail.outbox} == {
        (late.assignee.email, "Overdue"),
        (soon.assignee.email, "Due soon"),
    }
    assert len(mail.outbox) == 2
    assert f"/learn/courses/{soon.course.slug}/" in next(
        m.body for m in mail.outbox if m.to == [soon.assignee.email]
    )
    assert sorted(Notification.objects.values_list("recipient", "kind")) == sorted(
        [(late.assignee.pk, "overdue"), (soon.assignee.pk, "due_soon")]
    )


def test_a_due_soon_assignment_gets_its_overdue_reminder_later(django_capture_on_commit_callbacks):
    assignment = _assignment(TODAY + dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assignment_reminders_send(today=TODAY)

    with django_capture_on_commit_callbacks(execute=True):
        later = assignment_reminders_send(today=TODAY + dt.timedelta(days=3))

    assert (later.due_soon, later.overdue) == (0, 1)
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Due soon", "Overdue"]
    assignment.refresh_from_db()
    assert assignment.overdue_reminded_at is not None


def test_finished_assignments_get_no_reminder():
    assignment = _assignment(TODAY - dt.timedelta(days=1))
    CompletionFactory(user=assignment.assignee, course=assignment.course)

    run = assignment_reminders_send(today=TODAY)

    assert (run.due_soon, run.overdue) == (0, 0)
    assert mail.outbox == []


def test_a_failed_email_is_retried_by_the_delivery_sweep(
    monkeypatch, django_capture_on_commit_callbacks
):
    assignment = _assignment(TODAY - dt.timedelta(days=1))

    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr("notifications.channels.email.send_mail", broken)
    with django_capture_on_commit_callbacks(execute=True):
        run = assignment_reminders_send(today=TODAY)
    monkeypatch.undo()
    delivery = NotificationDelivery.objects.get()
    assert (run.overdue, delivery.status, delivery.attempts) == (1, "pending", 1)
    NotificationDelivery.objects.update(next_attempt_at=timezone.now())  # its retry time came

    assert send_due_deliveries() == 1

    assert [m.to for m in mail.outbox] == [[assignment.assignee.email]]
    assert assignment_reminders_send(today=TODAY).overdue == 0  # the reminder itself went once


def test_the_daily_task_sends_reminders(settings, django_capture_on_commit_callbacks):
    _assignment(timezone.localdate() - dt.timedelta(days=1))

    with django_capture_on_commit_callbacks(execute=True):
        result = send_assignment_reminders.delay().get()

    assert result == {"due_soon": 0, "overdue": 1, "failed": 0}
    assert len(mail.outbox) == 1


def test_a_course_or_program_without_lessons_cannot_be_assigned():
    rep = UserFactory()
    empty = CourseFactory(title="Negotiation essentials")
    draft_only = CourseFactory(title="Drafts only")
    LessonFactory(course=draft_only, status="draft")
    program = program_with(course_with_lesson(), empty)

    for target in (empty, draft_only, program):
        with pytest.raises(ValidationError) as caught:
            assignment_create(
                target=target, assignees=[rep], due_date=TODAY, assigned_by=None, today=TODAY
            )
        assert "no lessons yet" in caught.value.message_dict["target"][0]

    assert not Assignment.objects.exists()
