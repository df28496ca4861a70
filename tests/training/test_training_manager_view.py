"""The manager's view: a person's assignments and quiz results, CSV export, nudges, removing
only after a confirmation, programs and courses of the same name told apart."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from notifications.models import Notification
from tests.training.factories import (
    AssignmentFactory,
    CompletionFactory,
    CourseFactory,
    LessonFactory,
    answers,
    make_quiz,
    program_with,
)
from training.models import Assignment, RetakeGrant
from training.services import quiz_submit

pytestmark = pytest.mark.django_db

DUE = timezone.localdate() + dt.timedelta(days=10)


@pytest.fixture
def course():
    course = CourseFactory(slug="discovery", title="Discovery")
    LessonFactory(course=course)
    return course


def test_the_person_page_shows_assignments_and_quiz_results(cast, client, course):
    quiz = make_quiz(course, slug="check", title="Discovery check", questions=2, max_attempts=2)
    AssignmentFactory(assignee=cast.rep, course=course, due_date=DUE)
    quiz_submit(user=cast.rep, lesson=quiz, answers=answers(quiz, right=1))
    client.force_login(cast.manager)

    body = client.get(f"/learn/team/people/{cast.rep.pk}/").content.decode()

    assert "Remy Rep" in body and "Discovery check" in body
    assert "50%" in body and "1 of 2" in body and "Not passed yet" in body
    assert "Nudge Remy Rep" in body


@pytest.mark.parametrize(
    ("viewer", "status"),
    [
        ("manager", 200),
        ("leader", 200),
        ("admin", 200),
        ("other_manager", 404),
        ("rep", 404),
        ("coach", 404),
    ],
)
def test_who_sees_a_persons_progress(cast, client, viewer, status):
    client.force_login(cast[viewer])

    assert client.get(f"/learn/team/people/{cast.rep.pk}/").status_code == status


def test_the_person_page_runs_constant_queries(cast, client, django_assert_num_queries):
    client.force_login(cast.manager)
    for n in (1, 6):
        for _ in range(n):
            c = CourseFactory()
            AssignmentFactory(assignee=cast.rep, course=c, due_date=DUE)
            quiz = make_quiz(c, questions=1)
            quiz_submit(user=cast.rep, lesson=quiz, answers=answers(quiz, right=0))
        # session, user, person, assignments, program courses, lesson counts, progress,
        # completions, quiz attempts per quiz, retake grants
        with django_assert_num_queries(10):
            assert client.get(f"/learn/team/people/{cast.rep.pk}/").status_code == 200


def test_a_blocked_quiz_can_be_unblocked_from_the_person_page(cast, client, course):
    quiz = make_quiz(course, slug="check", questions=1, max_attempts=1)
    quiz_submit(user=cast.rep, lesson=quiz, answers=answers(quiz, right=0))
    client.force_login(cast.manager)

    page = client.get(f"/learn/team/people/{cast.rep.pk}/").content.decode()
    response = client.post(f"/learn/team/people/{cast.rep.pk}/quizzes/{quiz.pk}/retake/")

    assert "No attempts left" in page and "Grant a retake" in page
    assert response.status_code == 302
    assert RetakeGrant.objects.get().granted_by == cast.manager


def test_a_rep_granting_themselves_a_retake_is_refused_and_nothing_changes(cast, client, course):
    quiz = make_quiz(course, slug="check", questions=1, max_attempts=1)
    quiz_submit(user=cast.rep, lesson=quiz, answers=answers(quiz, right=0))
    client.force_login(cast.rep)

    response = client.post(f"/learn/team/people/{cast.rep.pk}/quizzes/{quiz.pk}/retake/")

    assert response.status_code == 403
    assert not RetakeGrant.objects.exists()
    assert not Notification.objects.filter(kind="retake_granted").exists()


def test_the_leader_reads_but_cannot_grant_nudge_or_remove(cast, client, course):
    quiz = make_quiz(course, slug="check", questions=1, max_attempts=1)
    quiz_submit(user=cast.rep, lesson=quiz, answers=answers(quiz, right=0))
    assignment = AssignmentFactory(assignee=cast.rep, course=course, due_date=DUE)
    client.force_login(cast.leader)

    page = client.get(f"/learn/team/people/{cast.rep.pk}/").content.decode()

    assert "Grant a retake" not in page and "Nudge" not in page
    assert (
        client.post(f"/learn/team/people/{cast.rep.pk}/quizzes/{quiz.pk}/retake/").status_code
        == 403
    )
    assert not RetakeGrant.objects.exists()
    assert client.post(f"/learn/team/assignments/{assignment.pk}/nudge/").status_code == 404
    assert client.post(f"/learn/team/assignments/{assignment.pk}/remove/").status_code == 404
    assert not Notification.objects.filter(kind="nudge").exists()


def test_a_nudge_reaches_the_rep_once_in_twelve_hours(cast, client, course):
    assignment = AssignmentFactory(assignee=cast.rep, course=course, due_date=DUE)
    client.force_login(cast.manager)

    first = client.post(f"/learn/team/assignments/{assignment.pk}/nudge/", {"note": "Friday?"})
    second = client.post(
        f"/learn/team/assignments/{assignment.pk}/nudge/", {"note": "again"}, follow=True
    )

    assert first.status_code == 302
    nudge = Notification.objects.get(kind="nudge")
    assert (nudge.recipient, nudge.actor, nudge.params["note"]) == (
        cast.rep,
        cast.manager,
        "Friday?",
    )
    assert "was nudged about this in the last 12 hours" in second.content.decode()


def test_another_managers_person_cannot_be_nudged(cast, client, course):
    assignment = AssignmentFactory(assignee=cast.other_rep, course=course, due_date=DUE)
    client.force_login(cast.manager)

    assert client.post(f"/learn/team/assignments/{assignment.pk}/nudge/").status_code == 404
    assert not Notification.objects.exists()


def test_removing_asks_first_and_only_the_post_removes(cast, client, course):
    assignment = AssignmentFactory(assignee=cast.rep, course=course, due_date=DUE)
    client.force_login(cast.manager)

    confirm = client.get(f"/learn/team/assignments/{assignment.pk}/remove/")
    assert confirm.status_code == 200
    assert "Remove “Discovery”" in confirm.content.decode()
    assert Assignment.objects.filter(pk=assignment.pk).exists()

    removed = client.post(f"/learn/team/assignments/{assignment.pk}/remove/")
    assert removed.status_code == 302
    assert not Assignment.objects.filter(pk=assignment.pk).exists()


def test_the_csv_export_is_machine_readable(cast, client, course):
    AssignmentFactory(assignee=cast.rep, course=course, due_date=dt.date(2030, 1, 31))
    CompletionFactory(user=cast.rep_peer, course=course)
    AssignmentFactory(assignee=cast.rep_peer, course=course, due_date=dt.date(2030, 2, 1))
    AssignmentFactory(assignee=cast.other_rep, course=course, due_date=dt.date(2030, 2, 1))
    client.force_login(cast.manager)

    response = client.get("/learn/team/progress.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["person"], r["kind"], r["due_date"], r["status"], r["percent"]) for r in rows] == [
        ("Pat Peer", "course", "2030-02-01", "done", "100"),
        ("Remy Rep", "course", "2030-01-31", "not_started", "0"),
    ]
    assert (
        rows[0]["completed_at"]
        == CompletionFactory._meta.model.objects.get(user=cast.rep_peer)
        .completed_at.date()
        .isoformat()
    )


def test_the_csv_export_is_for_those_who_see_team_progress(cast, client):
    client.force_login(cast.rep)

    assert client.get("/learn/team/progress.csv").status_code == 404


def test_a_program_and_a_course_of_the_same_name_are_told_apart(cast, client, course):
    program = program_with(course, title="Discovery", slug="discovery-program")
    AssignmentFactory(assignee=cast.rep, course=course, due_date=DUE)
    AssignmentFactory(assignee=cast.rep, program=program, course=None, due_date=DUE)
    client.force_login(cast.manager)

    body = client.get("/learn/team/").content.decode()

    assert "Program: Discovery" in body and "Course: Discovery" in body


def test_percentages_in_german_follow_cldr_on_team_progress_and_the_person_page(
    cast, client, course
):
    quiz = make_quiz(course, slug="check", title="Discovery check", questions=2, max_attempts=2)
    AssignmentFactory(assignee=cast.rep, course=course, due_date=DUE)
    quiz_submit(user=cast.rep, lesson=quiz, answers=answers(quiz, right=1))
    cast.manager.language = "de"
    cast.manager.save(update_fields=["language"])
    client.force_login(cast.manager)

    team = client.get("/learn/team/").content.decode()
    person = client.get(f"/learn/team/people/{cast.rep.pk}/").content.decode()

    # "0%" in a German table beside "bestes Ergebnis 50 %" from the translations
    assert '<span class="small">0\xa0%</span>' in team
    assert "50\xa0%" in person and "50%" not in person
