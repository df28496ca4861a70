import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from tests.training.factories import (
    AssignmentFactory,
    CompletionFactory,
    CourseFactory,
    LessonFactory,
    ProgramFactory,
    StoryLessonFactory,
    answers,
    course_with_lesson,
    make_quiz,
    program_with,
)
from training.models import Assignment, Course, Program, PublishStatus, QuizAttempt

pytestmark = pytest.mark.django_db

NEW_COURSE = {
    "slug": "objection-handling",
    "title": "Objection handling",
    "summary": "Hear the concern behind the objection.",
    "tags": ["Objections", "Challenger"],
    "estimated_minutes": 25,
    "status": "published",
}


# Courses


def test_course_list_gives_each_course_with_its_slug(cast, client_for):
    course = CourseFactory(slug="qualify", title="Qualify", tags=["MEDDIC"])
    LessonFactory(course=course)
    LessonFactory(course=course, status=PublishStatus.DRAFT)
    CourseFactory(slug="hidden", status=PublishStatus.DRAFT)

    body = client_for("rep").get("/api/v1/courses/").json()

    assert body["count"] == 1
    result = body["results"][0]
    assert {k: result[k] for k in ("slug", "title", "tags", "lesson_count", "status")} == {
        "slug": "qualify",
        "title": "Qualify",
        "tags": ["MEDDIC"],
        "lesson_count": 1,
        "status": "published",
    }


def test_keys_and_editors_see_draft_courses(cast, client_for, key_client):
    CourseFactory(slug="hidden", status=PublishStatus.DRAFT)

    assert key_client("training:read").get("/api/v1/courses/").json()["count"] == 1
    assert client_for("manager").get("/api/v1/courses/").json()["count"] == 1


def test_course_list_runs_constant_queries(cast, key_client, django_assert_max_num_queries):
    for _ in range(30):
        course = CourseFactory()
        LessonFactory(course=course)
    client = key_client("training:read")

    # key, key last-used update, count, page of courses with lesson counts
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/courses/?page_size=100")
    assert response.json()["count"] == 30


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("rep", 403), ("manager", 403), ("leader", 403), ("admin", 201)],
)
def test_who_may_create_a_course(cast, client_for, who, status):
    response = client_for(who).post("/api/v1/courses/", NEW_COURSE, format="json")

    assert response.status_code == status
    assert Course.objects.filter(slug="objection-handling").exists() == (status == 201)


def test_a_key_with_training_write_creates_and_updates_a_course_by_slug(cast, key_client):
    client = key_client("training:write")

    created = client.post("/api/v1/courses/", NEW_COURSE, format="json")
    updated = client.patch(
        "/api/v1/courses/objection-handling/", {"title": "Handling objections"}, format="json"
    )

    assert created.status_code == 201
    assert created.json()["slug"] == "objection-handling"
    assert updated.status_code == 200
    assert Course.objects.get(slug="objection-handling").title == "Handling objections"


def test_a_key_that_only_reads_cannot_write(cast, key_client):
    response = key_client("training:read").post("/api/v1/courses/", NEW_COURSE, format="json")

    assert response.status_code == 403
    assert not Course.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW_COURSE, "slug": "Bad Slug"}, "slug"),
        ({**NEW_COURSE, "status": "archived"}, "status"),
        ({**NEW_COURSE, "estimated_minutes": -5}, "estimated_minutes"),
        ({k: v for k, v in NEW_COURSE.items() if k != "title"}, "title"),
    ],
)
def test_bad_course_input_is_400_with_the_field(cast, key_client, body, field):
    response = key_client("training:write").post("/api/v1/courses/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not Course.objects.exists()


def test_a_duplicate_slug_is_400(cast, key_client):
    CourseFactory(slug="objection-handling")

    response = key_client("training:write").post("/api/v1/courses/", NEW_COURSE, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "slug"


def test_updating_a_missing_course_is_404(cast, key_client):
    response = key_client("training:write").patch(
        "/api/v1/courses/nope/", {"title": "x"}, format="json"
    )

    assert response.status_code == 404


# Lessons


def test_lessons_never_tell_the_right_answers(cast, client_for):
    course = CourseFactory(slug="c")
    StoryLessonFactory(course=course, slug="story")
    make_quiz(course, slug="quiz", questions=2)

    body = client_for("rep").get("/api/v1/courses/c/lessons/").json()

    story, quiz = body["results"]
    assert story["story"]["outcome"] == "lost"
    assert story["quiz"] is None
    assert quiz["quiz"]["pass_mark_pct"] == 80
    assert set(quiz["quiz"]["questions"][0]) == {"id", "kind", "prompt", "choices"}
    assert set(quiz["quiz"]["questions"][0]["choices"][0]) == {"id", "text"}
    assert "is_correct" not in str(body) and "explanation" not in str(body)


def test_lessons_of_a_course_the_rep_may_not_open_are_404(cast, client_for):
    CourseFactory(slug="draft", status=PublishStatus.DRAFT)

    assert client_for("rep").get("/api/v1/courses/draft/lessons/").status_code == 404


def test_lesson_list_runs_constant_queries(cast, client_for, django_assert_max_num_queries):
    course = CourseFactory(slug="big")
    for _ in range(10):
        LessonFactory(course=course)
    for _ in range(5):
        make_quiz(course, questions=4)
    client = client_for("rep")

    # course, count, lessons, questions, choices
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/courses/big/lessons/?page_size=100")
    assert response.json()["count"] == 15


# Quiz attempts


def _attempt_url(quiz):
    return f"/api/v1/courses/{quiz.course.slug}/lessons/{quiz.slug}/attempts/"


def test_a_quiz_attempt_through_the_api(cast, client_for):
    quiz = make_quiz(CourseFactory(), questions=2, max_attempts=2)
    client = client_for("rep")

    failed = client.post(_attempt_url(quiz), {"answers": answers(quiz, right=1)}, format="json")
    passed = client.post(_attempt_url(quiz), {"answers": answers(quiz)}, format="json")

    assert failed.status_code == 201
    assert (failed.json()["score"], failed.json()["passed"], failed.json()["attempts_left"]) == (
        "50.00",
        False,
        1,
    )
    assert failed.json()["feedback"][1] == {
        "question": quiz.questions.order_by("position")[1].pk,
        "is_correct": False,
        "correct_choices": None,
        "explanation": None,
    }
    assert passed.json()["passed"] is True
    assert passed.json()["course_completed"] is True
    assert passed.json()["feedback"][0]["explanation"] == "Because of reason 1."


@pytest.mark.parametrize("bad", ["unknown question", "not a number", "over the limit"])
def test_bad_quiz_attempts_are_400_and_record_nothing(cast, client_for, bad):
    quiz = make_quiz(CourseFactory(), questions=2, max_attempts=1)
    client = client_for("rep")
    body = {"answers": answers(quiz)}
    if bad == "unknown question":
        body["answers"]["424242"] = []
    elif bad == "not a number":
        body["answers"][next(iter(body["answers"]))] = ["x"]
    else:
        client.post(_attempt_url(quiz), {"answers": answers(quiz, right=0)}, format="json")
    before = QuizAttempt.objects.count()

    response = client.post(_attempt_url(quiz), body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"].startswith("answers")
    assert QuizAttempt.objects.count() == before


def test_keys_cannot_take_quizzes(cast, key_client):
    quiz = make_quiz(CourseFactory())

    response = key_client("training:write").post(
        _attempt_url(quiz), {"answers": answers(quiz)}, format="json"
    )

    assert response.status_code == 403
    assert not QuizAttempt.objects.exists()


# Programs


def test_program_list_gives_slugs_courses_and_for_editors_the_plan(cast, client_for):
    a, b = CourseFactory(slug="a"), CourseFactory(slug="b")
    program_with(b, a, slug="found", plausible_effect_pct=Decimal("5.00"))

    as_rep = client_for("rep").get("/api/v1/programs/").json()["results"][0]
    as_admin = client_for("admin").get("/api/v1/programs/").json()["results"][0]

    assert as_rep["courses"] == ["b", "a"]
    assert "cost_per_seat" not in as_rep and "primary_metric" not in as_rep
    assert (as_admin["cost_per_seat"], as_admin["plausible_effect_pct"]) == ("50.00", "5.00")


def test_program_list_runs_constant_queries(cast, key_client, django_assert_max_num_queries):
    courses = [CourseFactory() for _ in range(5)]
    for _ in range(20):
        program_with(*courses)
    client = key_client("training:read")

    # key, key last-used update, count, programs, their courses
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/programs/?page_size=100")
    assert response.json()["count"] == 20


def test_a_program_is_created_with_courses_by_slug_and_updated(cast, key_client):
    CourseFactory(slug="a"), CourseFactory(slug="b")
    client = key_client("training:write")

    created = client.post(
        "/api/v1/programs/",
        {
            "slug": "found",
            "title": "Foundations",
            "courses": ["b", "a"],
            "status": "published",
            "primary_metric": "win_rate",
            "horizon_months": 6,
            "plausible_effect_pct": "5",
            "content_cost": "12000",
        },
        format="json",
    )
    updated = client.patch(
        "/api/v1/programs/found/", {"courses": ["a"], "is_evaluation": True}, format="json"
    )

    assert created.status_code == 201
    assert created.json()["courses"] == ["b", "a"]
    assert updated.json()["courses"] == ["a"]
    program = Program.objects.get(slug="found")
    assert (program.is_evaluation, program.content_cost) == (True, Decimal("12000.00"))


def test_a_program_with_an_unknown_course_is_400(cast, key_client):
    response = key_client("training:write").post(
        "/api/v1/programs/", {"slug": "p", "title": "P", "courses": ["ghost"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "courses", "message": "No course 'ghost'."}]
    assert not Program.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("rep", 403), ("manager", 403), ("admin", 201)])
def test_who_may_create_a_program(cast, client_for, who, status):
    response = client_for(who).post("/api/v1/programs/", {"slug": "p", "title": "P"}, format="json")

    assert response.status_code == status
    assert Program.objects.exists() == (status == 201)


# Assignments and progress


def test_my_assignments_and_progress(cast, client_for):
    course = CourseFactory(slug="c")
    LessonFactory(course=course)
    AssignmentFactory(assignee=cast.rep, course=course, due_date=dt.date(2099, 1, 1))
    AssignmentFactory(assignee=cast.rep_peer, course=course)
    CompletionFactory(user=cast.rep, course=course, score=Decimal("88.00"))
    client = client_for("rep")

    mine = client.get("/api/v1/me/assignments/").json()
    progress = client.get("/api/v1/me/progress/").json()

    assert [(a["course"], a["status"], a["percent"]) for a in mine["results"]] == [
        ("c", "done", 100)
    ]
    assert progress["results"][0]["course"] == "c"
    assert (progress["results"][0]["score"], progress["results"][0]["lessons_done"]) == ("88.00", 1)


def test_keys_have_no_me(cast, key_client):
    assert key_client("training:read").get("/api/v1/me/assignments/").status_code == 403


@pytest.mark.parametrize(
    ("who", "count"),
    [("rep", 1), ("coach", 2), ("manager", 2), ("other_manager", 1), ("leader", 3)],
)
def test_assignment_list_follows_visibility(cast, client_for, who, count):
    course = CourseFactory()
    for person in ("rep", "rep_peer", "other_rep"):
        AssignmentFactory(assignee=cast[person], course=course)

    assert client_for(who).get("/api/v1/assignments/").json()["count"] == count


def test_assignment_list_runs_constant_queries(cast, key_client, django_assert_max_num_queries):
    courses = [CourseFactory() for _ in range(3)]
    program = program_with(*courses)
    for _ in range(25):
        person = UserFactory()
        AssignmentFactory(assignee=person, course=courses[0])
        AssignmentFactory(assignee=person, course=None, program=program)
    client = key_client("training:read")

    # key, key update, count, page (+person, targets), program courses, lesson counts,
    # progress, completions
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/assignments/?page_size=100")
    assert response.json()["count"] == 50


def test_a_manager_assigns_a_program_to_their_team_by_api(cast, client_for):
    program_with(course_with_lesson(), slug="found")
    due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()

    response = client_for("manager").post(
        "/api/v1/assignments/",
        {"program": "found", "team": "Team A", "due_date": due},
        format="json",
    )

    assert response.status_code == 201
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert set(Assignment.objects.values_list("assignee__email", flat=True)) == {
        "rep@example.com",
        "peer@example.com",
    }


def test_a_manager_cannot_assign_another_teams_rep_by_api(cast, client_for):
    CourseFactory(slug="c")
    due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()

    response = client_for("manager").post(
        "/api/v1/assignments/",
        {"course": "c", "assignees": ["orep@example.com"], "due_date": due},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "assignees"
    assert not Assignment.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("rep", 403), ("leader", 403), ("admin", 201)])
def test_who_may_assign_by_api(cast, client_for, who, status):
    course_with_lesson(slug="c")
    due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()

    response = client_for(who).post(
        "/api/v1/assignments/",
        {"course": "c", "assignees": ["rep@example.com"], "due_date": due},
        format="json",
    )

    assert response.status_code == status
    assert Assignment.objects.exists() == (status == 201)


def test_an_assignment_names_a_program_or_a_course(cast, key_client):
    ProgramFactory(slug="p"), CourseFactory(slug="c")

    response = key_client("training:write").post(
        "/api/v1/assignments/",
        {"course": "c", "program": "p", "assignees": ["rep@example.com"], "due_date": "2099-01-01"},
        format="json",
    )

    assert response.status_code == 400
    assert not Assignment.objects.exists()


def test_my_lists_run_constant_queries(cast, client_for, django_assert_max_num_queries):
    program = program_with(*[CourseFactory() for _ in range(3)])
    AssignmentFactory(assignee=cast.rep, course=None, program=program)
    for _ in range(20):
        course = CourseFactory()
        LessonFactory(course=course)
        AssignmentFactory(assignee=cast.rep, course=course)
        CompletionFactory(user=cast.rep, course=course)
    client = client_for("rep")

    # count, page (+targets), program courses, lesson counts, progress, completions
    with django_assert_max_num_queries(6):
        assignments = client.get("/api/v1/me/assignments/?page_size=100")
    # courses, lesson counts, ratings, progress, completions
    with django_assert_max_num_queries(5):
        progress = client.get("/api/v1/me/progress/?page_size=100")
    assert (assignments.json()["count"], progress.json()["count"]) == (21, 23)
