"""Courses as folders (Markdown plus a YAML manifest), the starter library and the demo seed."""

import io
import random
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from accounts import demo as accounts_demo
from tests.factories import UserFactory
from tests.training.factories import CourseFactory, LessonFactory, StoryLessonFactory, make_quiz
from training import demo
from training.models import (
    Assignment,
    Completion,
    Course,
    CourseRating,
    Lesson,
    LessonKind,
    LessonProgress,
    Program,
    QuizAttempt,
)
from training.selectors import assignment_states, program_completions
from training.services import LibraryError, course_export, course_import

pytestmark = pytest.mark.django_db


def _course_with_everything() -> Course:
    course = CourseFactory(slug="full", title="Full course", tags=["SPIN", "Discovery"])
    LessonFactory(course=course, slug="read", title="Read", body="# Heading\n\nText.")
    StoryLessonFactory(course=course, slug="story", title="Story")
    LessonFactory(
        course=course,
        slug="watch",
        kind=LessonKind.VIDEO,
        body="",
        video_url="https://vimeo.com/76979871",
    )
    make_quiz(course, slug="quiz", title="Quiz", questions=2, multiple_last=True)
    return course


def test_export_then_import_gives_the_same_course(tmp_path):
    course = _course_with_everything()
    folder = course_export(course=course, into=tmp_path)
    manifest = yaml.safe_load((folder / "course.yaml").read_text())
    Course.objects.filter(pk=course.pk).delete()

    report = course_import(folder=folder)

    assert report.created and report.changed
    assert manifest["slug"] == "full"
    assert [entry["kind"] for entry in manifest["lessons"]] == ["method", "story", "video", "quiz"]
    imported = report.course
    assert imported.tags == ["SPIN", "Discovery"]
    story = imported.lessons.get(slug="story")
    assert (story.story_outcome, story.story_cycle_days) == ("lost", 167)
    assert story.story_what_we_learned == "Test every date."
    quiz = imported.lessons.get(slug="quiz")
    assert [
        (q.kind, [(c.text, c.is_correct) for c in q.choices.all()]) for q in quiz.questions.all()
    ] == [
        ("single", [("wrong", False), ("right", True)]),
        ("multiple", [("wrong", False), ("right", True), ("also right", True)]),
    ]


def test_importing_the_same_folder_twice_changes_nothing(tmp_path):
    folder = course_export(course=_course_with_everything(), into=tmp_path)
    before = {lesson.pk: lesson.updated_at for lesson in Lesson.objects.all()}

    report = course_import(folder=folder)

    assert (report.created, report.changed) == (False, False)
    assert {lesson.pk: lesson.updated_at for lesson in Lesson.objects.all()} == before


def test_an_import_updates_lessons_in_place_and_removes_dropped_ones(tmp_path):
    course = _course_with_everything()
    folder = course_export(course=course, into=tmp_path)
    read = course.lessons.get(slug="read")
    learner = UserFactory()
    LessonProgress.objects.create(user=learner, lesson=read)
    manifest = yaml.safe_load((folder / "course.yaml").read_text())
    manifest["lessons"] = [manifest["lessons"][3], manifest["lessons"][0]]  # quiz first, no story
    (folder / "course.yaml").write_text(yaml.safe_dump(manifest))
    (folder / manifest["lessons"][1]["body"]).write_text("New text.")

    report = course_import(folder=folder)

    assert report.changed
    assert list(course.lessons.order_by("position").values_list("slug", flat=True)) == [
        "quiz",
        "read",
    ]
    read.refresh_from_db()
    assert read.body == "New text."
    assert LessonProgress.objects.filter(lesson=read).exists()  # same lesson, progress kept


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(title=None), "title"),
        (lambda m: m["lessons"][0].update(body="../../etc/passwd"), "outside the course folder"),
        (lambda m: m["lessons"][0].update(body="missing.md"), "is missing"),
        (lambda m: m["lessons"][1].pop("story"), "story"),
        (lambda m: m["lessons"][2].update(video_url="https://evil.example/x"), "video_url"),
        (lambda m: m.update(colour="blue"), "colour"),
        (lambda m: m["lessons"].append(dict(m["lessons"][0])), "used twice"),
    ],
)
def test_a_broken_folder_is_refused_whole(tmp_path, change, message):
    folder = course_export(course=_course_with_everything(), into=tmp_path)
    Course.objects.all().delete()
    manifest = yaml.safe_load((folder / "course.yaml").read_text())
    change(manifest)
    (folder / "course.yaml").write_text(yaml.safe_dump(manifest))

    with pytest.raises(LibraryError) as caught:
        course_import(folder=folder)

    assert message in str(caught.value)
    assert not Course.objects.exists()
    assert not Lesson.objects.exists()


def test_the_starter_library_is_complete():
    courses = demo.load_library()

    assert len(courses) >= 5
    for course in courses:
        lessons = list(course.lessons.all())
        assert course.status == "published" and course.summary and course.tags
        assert len(lessons) >= 5
        quizzes = [lesson for lesson in lessons if lesson.kind == LessonKind.QUIZ]
        assert len(quizzes) == 1
        questions = list(quizzes[0].questions.prefetch_related("choices"))
        assert len(questions) >= 5
        for question in questions:
            assert question.explanation
            correct = [c for c in question.choices.all() if c.is_correct]
            assert len(correct) == 1 if question.kind == "single" else len(correct) >= 1
    stories = Lesson.objects.filter(course__slug="win-loss-stories", kind=LessonKind.STORY)
    assert stories.count() >= 3
    assert set(stories.values_list("story_outcome", flat=True)) == {"won", "lost"}


def _demo_org():
    org = accounts_demo.DemoOrg()
    manager = UserFactory(role="manager", email="m@demo.example")
    org.admin = UserFactory(role="admin")
    org.reps = [
        UserFactory(email="rep@demo.example", manager=manager),
        *[UserFactory(email=f"rep{n}@demo.example", manager=manager) for n in range(19)],
    ]
    return org


def test_the_demo_assigns_the_program_and_plants_a_history():
    org = _demo_org()

    demo.seed(org, random.Random(7))

    program = Program.objects.get(slug="sales-foundations")
    assert (program.primary_metric, program.horizon_months) == ("win_rate", 6)
    assert program.plausible_effect_pct == 5
    assert program.program_courses.count() == 3
    assert Assignment.objects.filter(program=program).count() == 20
    trained = program_completions(program=program)
    assert 5 <= len(trained) <= 18
    assert org.reps[0].pk not in trained  # the demo login has something to take
    assignments = list(Assignment.objects.select_related("program", "course"))
    statuses = {s.status for s in assignment_states(assignments=assignments).values()}
    assert {"done", "in_progress", "overdue"} <= statuses
    assert CourseRating.objects.exists() and QuizAttempt.objects.exists()


def test_the_demo_seed_is_idempotent():
    org = _demo_org()
    demo.seed(org, random.Random(7))
    counts = [m.objects.count() for m in (Completion, Assignment, QuizAttempt, LessonProgress)]
    dates = dict(Completion.objects.values_list("pk", "completed_at"))

    demo.seed(org, random.Random(7))

    assert [m.objects.count() for m in (Completion, Assignment, QuizAttempt, LessonProgress)] == (
        counts
    )
    assert dict(Completion.objects.values_list("pk", "completed_at")) == dates


def test_seed_completions_plants_the_dates_it_is_given():
    import datetime as dt

    org = _demo_org()
    demo.seed(org, random.Random(7))
    planted = {org.reps[1].pk: dt.date(2024, 6, 3), org.reps[2].pk: dt.date(2025, 1, 15)}

    result = demo.seed_completions(org.reps, random.Random(1), planted)

    program = Program.objects.get(slug="sales-foundations")
    trained = program_completions(program=program)
    assert result == planted
    assert {pk: when.date() for pk, when in trained.items()} == planted
    assert not Completion.objects.filter(user=org.reps[3]).exists()


def test_course_commands_export_and_import(tmp_path):
    _course_with_everything()
    out, err = io.StringIO(), io.StringIO()

    call_command("course_export", "full", "--out", str(tmp_path), stdout=out)
    Course.objects.all().delete()
    call_command("course_import", str(tmp_path), stdout=out, stderr=err)
    call_command("course_import", str(tmp_path / "full"), stdout=out, stderr=err)

    assert out.getvalue().splitlines()[1:] == ["created full", "unchanged full"]
    assert Course.objects.get(slug="full").lessons.count() == 4


def test_course_commands_report_bad_input(tmp_path):
    with pytest.raises(CommandError):
        call_command("course_export", "nope", "--out", str(tmp_path), stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("course_import", str(tmp_path), stdout=io.StringIO())


def test_the_importer_reads_the_shipped_folder_layout():
    folders = sorted(p.name for p in Path(demo.CONTENT).iterdir() if p.is_dir())

    assert folders == [
        "discovery-conversations",
        "inside-sales-playbook",
        "negotiation-essentials",
        "qualification-that-holds-up",
        "win-loss-stories",
    ]
