"""Managers' pages: team progress and assigning; editors' pages: the studio."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from tests.factories import UserFactory
from tests.training.factories import (
    AssignmentFactory,
    CompletionFactory,
    CourseFactory,
    LessonFactory,
    course_with_lesson,
    make_quiz,
    program_with,
)
from training.models import Assignment, Course, Lesson, LessonProgress, Program, Question

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "code"),
    [("rep", 404), ("coach", 404), ("manager", 200), ("leader", 200), ("admin", 200)],
)
def test_who_may_see_team_progress(cast, client, who, code):
    client.force_login(cast[who])

    assert client.get("/learn/team/").status_code == code


def test_team_progress_shows_only_the_managers_people(cast, client):
    course = CourseFactory(title="Qualify")
    AssignmentFactory(assignee=cast.rep, course=course)
    AssignmentFactory(assignee=cast.other_rep, course=course)
    client.force_login(cast.manager)

    body = client.get("/learn/team/").content.decode()

    assert "Remy Rep" in body
    assert "Otto Rep" not in body


def test_team_progress_counts_and_filters_by_status(cast, client):
    course = CourseFactory(title="Qualify")
    LessonFactory(course=course)
    today = timezone.localdate()
    AssignmentFactory(assignee=cast.rep, course=course, due_date=today - dt.timedelta(days=2))
    AssignmentFactory(assignee=cast.rep_peer, course=course, due_date=today)
    CompletionFactory(user=cast.rep_peer, course=course)
    client.force_login(cast.manager)

    page = client.get("/learn/team/?status=overdue")

    rows = page.context["page"].object_list
    assert [(r.assignment.assignee.full_name, r.state.status) for r in rows] == [
        ("Remy Rep", "overdue")
    ]
    assert page.context["progress"].counts == {
        "done": 1,
        "in_progress": 0,
        "not_started": 0,
        "overdue": 1,
    }


def test_team_progress_runs_constant_queries(cast, client, django_assert_max_num_queries):
    courses = [CourseFactory() for _ in range(3)]
    for course in courses:
        LessonFactory(course=course)
    program = program_with(*courses)
    for n in range(30):
        person = UserFactory(team=cast.manager.managed_teams.first(), manager=cast.manager)
        AssignmentFactory(assignee=person, course=None, program=program)
        AssignmentFactory(assignee=person, course=courses[n % 3])
        if n % 2:
            CompletionFactory(user=person, course=courses[0])
    client.force_login(cast.manager)

    # session, user, assignments (+person, team, target), program courses, lesson counts,
    # progress, completions, filter targets (2), teams
    with django_assert_max_num_queries(10):
        response = client.get("/learn/team/")
    assert len(response.context["page"].object_list) == 60


@pytest.mark.parametrize("people", [3, 130])
def test_a_team_progress_page_costs_the_same_however_big_the_team(
    cast, client, people, django_assert_num_queries
):
    courses = [CourseFactory() for _ in range(2)]
    for course in courses:
        LessonFactory(course=course)
    program = program_with(*courses)
    team = cast.manager.managed_teams.first()
    for n in range(people):
        person = UserFactory(team=team, manager=cast.manager)
        AssignmentFactory(assignee=person, course=None, program=program)
        if n % 3 == 0:
            CompletionFactory(user=person, course=courses[0])
    client.force_login(cast.manager)

    # Queries: session; user; the count per status (in SQL); the targets for the filter; the
    # page's assignments (LIMIT 100 in SQL, with person, team, target); its program courses;
    # lesson counts; progress rows; completions; teams.
    with django_assert_num_queries(10):
        response = client.get("/learn/team/", {"page": "1"})

    assert len(response.context["page"].object_list) == min(people, 100)
    assert response.context["progress"].total == people


def test_team_progress_pages_and_filters_in_sql(cast, client):
    course = CourseFactory(title="Qualify")
    LessonFactory(course=course)
    team = cast.manager.managed_teams.first()
    for n in range(103):
        person = UserFactory(team=team, manager=cast.manager, full_name=f"Person {n:03d}")
        AssignmentFactory(assignee=person, course=course)
        if n % 2:
            CompletionFactory(user=person, course=course)
    client.force_login(cast.manager)

    second = client.get("/learn/team/", {"page": "2"}).context
    done = client.get("/learn/team/", {"status": "done"}).context

    assert [r.assignment.assignee.full_name for r in second["page"].object_list] == [
        "Person 100",
        "Person 101",
        "Person 102",
    ]
    assert second["page"].paginator.num_pages == 2
    assert done["progress"].counts["done"] == 51
    assert done["page"].paginator.count == 51
    assert {r.state.status for r in done["page"].object_list} == {"done"}


def test_the_status_in_sql_is_the_status_assignment_states_gives(cast):
    from training.selectors import assignment_states
    from training.selectors.team import assignments_with_status

    today = timezone.localdate()
    past, future = today - dt.timedelta(days=1), today + dt.timedelta(days=7)
    first, second = CourseFactory(), CourseFactory()
    draft_only = CourseFactory()
    lesson_one = LessonFactory(course=first)
    LessonFactory(course=second)
    draft = LessonFactory(course=draft_only, status="draft")
    program = program_with(first, second)
    empty_program = program_with()
    people = [UserFactory() for _ in range(10)]
    cases = [
        # (person, target, due, completions, lessons viewed)
        (0, {"program": program}, future, [first, second], []),  # done
        (1, {"program": program}, past, [first, second], []),  # done even if late
        (2, {"program": program}, future, [first], []),  # in progress
        (3, {"program": program}, past, [first], []),  # overdue
        (4, {"program": program}, future, [], [lesson_one]),  # in progress by viewing
        (5, {"program": program}, future, [], []),  # not started
        (6, {"program": empty_program}, future, [], []),  # never done
        (7, {"course": first}, future, [first], []),  # done
        (8, {"course": draft_only}, future, [], [draft]),  # a draft lesson does not count
        (9, {"course": second}, future, [first], [lesson_one]),  # other course's work
    ]
    for index, target, due, completed, viewed in cases:
        person = people[index]
        AssignmentFactory(assignee=person, due_date=due, **({"course": None} | target))
        for course in completed:
            CompletionFactory(user=person, course=course)
        for lesson in viewed:
            LessonProgress.objects.create(user=person, lesson=lesson)

    loaded = list(
        assignments_with_status(
            Assignment.objects.select_related("course").order_by("pk"), today=today
        )
    )
    in_python = assignment_states(assignments=loaded, today=today)

    assert [a.progress_status for a in loaded] == [in_python[a.pk].status for a in loaded]
    assert [a.progress_status for a in loaded] == [
        "done",
        "done",
        "in_progress",
        "overdue",
        "in_progress",
        "not_started",
        "not_started",
        "done",
        "not_started",
        "not_started",
    ]


def test_a_manager_assigns_a_course_to_the_team(cast, client):
    course = course_with_lesson(slug="qualify", title="Qualify")
    team = cast.manager.managed_teams.get()
    client.force_login(cast.manager)
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()

    response = client.post(
        "/learn/team/assign/", {"target": "course:qualify", "team": str(team.pk), "due_date": due}
    )

    assert response.status_code == 302
    assert set(Assignment.objects.values_list("assignee__email", "course_id")) == {
        ("rep@example.com", course.pk),
        ("peer@example.com", course.pk),
    }


def test_a_manager_cannot_assign_people_outside_their_team(cast, client):
    CourseFactory(slug="qualify")
    client.force_login(cast.manager)
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()

    response = client.post(
        "/learn/team/assign/",
        {"target": "course:qualify", "people": [str(cast.other_rep.pk)], "due_date": due},
    )

    assert response.status_code == 400
    assert not Assignment.objects.exists()


def test_assigning_needs_a_team_or_people_and_a_future_date(cast, client):
    CourseFactory(slug="qualify")
    client.force_login(cast.manager)

    no_one = client.post(
        "/learn/team/assign/", {"target": "course:qualify", "due_date": "2099-01-01"}
    )
    past = client.post(
        "/learn/team/assign/",
        {"target": "course:qualify", "people": [str(cast.rep.pk)], "due_date": "2000-01-01"},
    )

    assert (no_one.status_code, past.status_code) == (400, 400)
    assert "Choose today or a later date." in past.content.decode()
    assert not Assignment.objects.exists()


@pytest.mark.parametrize(
    ("who", "code"), [("rep", 404), ("coach", 404), ("leader", 404), ("manager", 200)]
)
def test_who_may_assign(cast, client, who, code):
    client.force_login(cast[who])

    assert client.get("/learn/team/assign/").status_code == code


def test_removing_an_assignment(cast, client):
    mine = AssignmentFactory(assignee=cast.rep)
    theirs = AssignmentFactory(assignee=cast.other_rep)
    client.force_login(cast.manager)

    refused = client.post(f"/learn/team/assignments/{theirs.pk}/remove/")
    removed = client.post(f"/learn/team/assignments/{mine.pk}/remove/")

    assert (refused.status_code, removed.status_code) == (404, 302)
    assert list(Assignment.objects.values_list("pk", flat=True)) == [theirs.pk]


# Studio


@pytest.mark.parametrize(
    ("who", "code"),
    [("rep", 404), ("coach", 404), ("leader", 404), ("manager", 200), ("admin", 200)],
)
def test_who_may_use_the_studio(cast, client, who, code):
    CourseFactory(slug="c")
    client.force_login(cast[who])

    assert client.get("/learn/studio/").status_code == code
    assert client.get("/learn/studio/courses/c/").status_code == code


def test_refused_studio_writes_change_nothing(cast, client):
    course = CourseFactory(slug="c", title="Before")
    client.force_login(cast.rep)

    response = client.post(
        "/learn/studio/courses/c/",
        {"title": "After", "estimated_minutes": 5, "status": "published"},
    )

    assert response.status_code == 404
    assert Course.objects.get(pk=course.pk).title == "Before"


def test_an_editor_writes_a_course_with_lessons_and_a_quiz(cast, client):
    client.force_login(cast.manager)

    client.post(
        "/learn/studio/courses/new/",
        {
            "slug": "spin",
            "title": "SPIN",
            "summary": "",
            "tags": "SPIN, Discovery",
            "estimated_minutes": 20,
            "status": "published",
        },
    )
    client.post(
        "/learn/studio/courses/spin/lessons/new/method/",
        {"title": "Situation questions", "minutes": 5, "status": "published", "body": "Ask."},
    )
    client.post(
        "/learn/studio/courses/spin/lessons/new/quiz/",
        {
            "title": "Check",
            "minutes": 5,
            "status": "published",
            "pass_mark_pct": 80,
            "max_attempts": 3,
            "body": "",
        },
    )
    quiz = Lesson.objects.get(kind="quiz")
    response = client.post(
        f"/learn/studio/lessons/{quiz.pk}/questions/new/",
        {
            "prompt": "Which is a problem question?",
            "kind": "single",
            "explanation": "Because.",
            "choice_1": "How many people?",
            "choice_2": "What breaks?",
            "correct_2": "on",
        },
    )

    course = Course.objects.get(slug="spin")
    assert response.status_code == 302
    assert course.tags == ["SPIN", "Discovery"]
    assert list(course.lessons.order_by("position").values_list("kind", flat=True)) == [
        "method",
        "quiz",
    ]
    question = Question.objects.get()
    assert list(question.choices.values_list("text", "is_correct")) == [
        ("How many people?", False),
        ("What breaks?", True),
    ]


def test_a_question_without_a_right_answer_is_refused(cast, client):
    quiz = make_quiz(CourseFactory(), questions=0)
    client.force_login(cast.manager)

    response = client.post(
        f"/learn/studio/lessons/{quiz.pk}/questions/new/",
        {"prompt": "Q?", "kind": "single", "choice_1": "a", "choice_2": "b"},
    )

    assert response.status_code == 400
    assert "Mark exactly one answer as correct." in response.content.decode()
    assert not Question.objects.exists()


def test_a_video_from_another_host_is_refused(cast, client):
    CourseFactory(slug="c")
    client.force_login(cast.manager)

    response = client.post(
        "/learn/studio/courses/c/lessons/new/video/",
        {
            "title": "Watch",
            "minutes": 3,
            "status": "published",
            "video_url": "https://evil.example/v.mp4",
            "body": "",
        },
    )

    assert response.status_code == 400
    assert not Lesson.objects.exists()


def test_lessons_move_in_the_studio(cast, client):
    course = CourseFactory(slug="c")
    first, second = LessonFactory(course=course), LessonFactory(course=course)
    client.force_login(cast.manager)

    client.post(f"/learn/studio/lessons/{second.pk}/move/", {"direction": "up"})

    assert list(course.lessons.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]


def test_markdown_preview_is_sanitised(cast, client):
    client.force_login(cast.manager)

    response = client.post(
        "/learn/studio/preview/",
        {"field": "body", "body": "**bold** <script>alert(1)</script>"},
    )

    assert "<strong>bold</strong>" in response.content.decode()
    assert "<script" not in response.content.decode()


def test_an_editor_builds_a_program(cast, client):
    a, b = CourseFactory(slug="a"), CourseFactory(slug="b")
    client.force_login(cast.admin)

    client.post(
        "/learn/studio/programs/new/",
        {
            "slug": "found",
            "title": "Foundations",
            "summary": "",
            "status": "published",
            "content_cost": "1000",
            "cost_per_seat": "10",
            "expected_learner_hours": "2",
            "primary_metric": "win_rate",
            "horizon_months": 6,
            "plausible_effect_pct": "5",
        },
    )
    for slug in ("a", "b"):
        client.post("/learn/studio/programs/found/courses/", {"course": slug, "action": "add"})
    client.post("/learn/studio/programs/found/courses/", {"course": "b", "action": "up"})

    program = Program.objects.get(slug="found")
    assert list(
        program.program_courses.order_by("position").values_list("course_id", flat=True)
    ) == [b.pk, a.pk]
    assert (program.primary_metric, program.horizon_months) == ("win_rate", 6)


def test_progress_rows_survive_only_for_kept_lessons(cast, client):
    course = CourseFactory(slug="c")
    lesson = LessonFactory(course=course)
    LessonProgress.objects.create(user=cast.rep, lesson=lesson)
    client.force_login(cast.manager)

    client.post(f"/learn/studio/lessons/{lesson.pk}/delete/")

    assert not LessonProgress.objects.exists()


def test_team_progress_rows_escape_and_speak_the_managers_language(cast, client):
    """The rows are written in Python (training/templatetags/team_rows.py): names and titles
    escaped, phrases and dates in the viewer's language, the program's course count."""
    cast.rep.full_name = "Remy <b>Rep</b>"
    cast.rep.save()
    courses = [CourseFactory(title=f"C{n}") for n in range(2)]
    program = program_with(*courses, title="Sell & Grow")
    AssignmentFactory(assignee=cast.rep, course=None, program=program, due_date=dt.date(2031, 3, 4))
    CompletionFactory(user=cast.rep, course=courses[0])
    cast.manager.language = "de"
    cast.manager.save()
    client.force_login(cast.manager)

    with translation.override(None):  # the middleware activates German for the thread
        body = client.get("/learn/team/").content.decode()

    assert ">Remy &lt;b&gt;Rep&lt;/b&gt;</a>" in body
    assert '<span class="cell-main">Sell &amp; Grow</span>' in body
    assert '<span class="badge kind">Programm</span> 1/2 Kurse</span>' in body
    assert '<td data-label="Fällig">04.03.2031</td>' in body  # config/formats/de
    assert 'aria-label="Sell &amp; Grow bei Remy &lt;b&gt;Rep&lt;/b&gt; entfernen">' in body
