"""Courses as folders: a YAML manifest plus Markdown files, so content can live in git.

    <course-slug>/
      course.yaml                     slug, title, summary, tags, minutes, status, lessons
      01-<lesson>.md                  a lesson's body (method text, story context, video notes)
      03-<story>.what-happened.md     a story's two halves
      03-<story>.what-we-learned.md
      05-<quiz>.questions.yaml        a quiz's questions, answers and explanations

`course_export` writes that layout; `course_import` reads it back (the demo's starter library in
training/content/ is loaded the same way). An import is an upsert by slug: lessons are matched by
their slug, questions by position, and a second import of the same folder changes nothing.
"""

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from training.models import Course, Lesson, LessonKind, PublishStatus
from training.services.catalog import course_create, course_update, tags_clean
from training.services.lessons import (
    ChoiceInput,
    lesson_create,
    lesson_update,
    question_create,
    question_delete,
    question_update,
)

MANIFEST = "course.yaml"


class LibraryError(Exception):
    """A course folder that cannot be imported; the message says where and why."""


class ChoiceSpec(msgspec.Struct, forbid_unknown_fields=True):
    text: str
    correct: bool = False


class QuestionSpec(msgspec.Struct, forbid_unknown_fields=True):
    prompt: str
    choices: list[ChoiceSpec]
    kind: str = "single"
    explanation: str = ""


class StorySpec(msgspec.Struct, forbid_unknown_fields=True):
    outcome: str
    what_happened: str  # file names
    what_we_learned: str
    industry: str = ""
    deal_size: Decimal | None = None
    cycle_days: int | None = None


class LessonSpec(msgspec.Struct, forbid_unknown_fields=True):
    slug: str
    kind: str
    title: str
    minutes: int = 5
    status: str = PublishStatus.PUBLISHED
    body: str | None = None  # file name
    story: StorySpec | None = None
    video_url: str = ""
    pass_mark_pct: int = 80
    max_attempts: int = 3
    questions: str | None = None  # file name


class CourseSpec(msgspec.Struct, forbid_unknown_fields=True):
    slug: str
    title: str
    summary: str = ""
    tags: list[str] = []
    estimated_minutes: int = 30
    status: str = PublishStatus.DRAFT
    lessons: list[LessonSpec] = []


# The content of a course as plain values: what an import compares before deciding to write.
Snapshot = dict[str, Any]


def _course_snapshot(course: Course) -> Snapshot:
    # SCORM lessons come from packages, not folders: not exported, and left alone by imports.
    lessons = list(
        course.lessons.exclude(kind=LessonKind.SCORM)
        .order_by("position", "pk")
        .prefetch_related("questions__choices")
    )
    return {
        "title": course.title,
        "summary": course.summary,
        "tags": list(course.tags),
        "estimated_minutes": course.estimated_minutes,
        "status": str(course.status),
        "lessons": [_lesson_snapshot(lesson) for lesson in lessons],
    }


def _lesson_snapshot(lesson: Lesson) -> Snapshot:
    return {
        "slug": lesson.slug,
        "kind": str(lesson.kind),
        "title": lesson.title,
        "minutes": lesson.minutes,
        "status": str(lesson.status),
        "body": lesson.body,
        "story_outcome": str(lesson.story_outcome),
        "story_industry": lesson.story_industry,
        "story_deal_size": lesson.story_deal_size,
        "story_cycle_days": lesson.story_cycle_days,
        "story_what_happened": lesson.story_what_happened,
        "story_what_we_learned": lesson.story_what_we_learned,
        "video_url": lesson.video_url,
        "pass_mark_pct": lesson.pass_mark_pct,
        "max_attempts": lesson.max_attempts,
        "questions": [
            {
                "prompt": q.prompt,
                "kind": str(q.kind),
                "explanation": q.explanation,
                "choices": [(c.text, c.is_correct) for c in q.choices.all()],
            }
            for q in lesson.questions.all()
        ],
    }


# Reading a folder


def _read_text(folder: Path, name: str | None, where: str) -> str:
    if not name:
        return ""
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise LibraryError(f"{where}: {name!r} points outside the course folder")
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise LibraryError(f"{where}: file {name!r} is missing") from None
    except UnicodeDecodeError:
        raise LibraryError(f"{where}: {name!r} is not UTF-8 text") from None


def _load_yaml(text: str, where: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LibraryError(f"{where}: not valid YAML ({exc})") from None


def _lesson_wanted(folder: Path, lesson: LessonSpec, where: str) -> Snapshot:
    """A lesson of the manifest as a snapshot, its texts and questions read from the folder."""
    story = lesson.story
    if (lesson.kind == LessonKind.STORY) != (story is not None):
        raise LibraryError(f"{where}: a story lesson, and only a story, has a 'story' section")
    questions: list[Snapshot] = []
    if lesson.kind == LessonKind.QUIZ:
        questions = _read_questions(folder, lesson.questions, where)
    elif lesson.questions:
        raise LibraryError(f"{where}: only a quiz has questions")
    return {
        "slug": lesson.slug,
        "kind": lesson.kind,
        "title": lesson.title,
        "minutes": lesson.minutes,
        "status": lesson.status,
        "body": _read_text(folder, lesson.body, where),
        "story_outcome": story.outcome if story else "",
        "story_industry": story.industry if story else "",
        "story_deal_size": (
            story.deal_size.quantize(Decimal("0.01"))
            if story and story.deal_size is not None
            else None
        ),
        "story_cycle_days": story.cycle_days if story else None,
        "story_what_happened": (_read_text(folder, story.what_happened, where) if story else ""),
        "story_what_we_learned": (
            _read_text(folder, story.what_we_learned, where) if story else ""
        ),
        "video_url": lesson.video_url,
        "pass_mark_pct": lesson.pass_mark_pct,
        "max_attempts": lesson.max_attempts,
        "questions": questions,
    }


def _wanted_snapshot(folder: Path) -> tuple[str, Snapshot]:
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise LibraryError(f"{folder}: no {MANIFEST}")
    try:
        spec = msgspec.convert(
            _load_yaml(manifest.read_text(encoding="utf-8"), str(manifest)), CourseSpec
        )
    except msgspec.ValidationError as exc:
        raise LibraryError(f"{manifest}: {exc}") from None
    lessons = []
    slugs: set[str] = set()
    for index, lesson in enumerate(spec.lessons):
        where = f"{manifest}: lessons[{index}] ({lesson.slug})"
        if lesson.slug in slugs:
            raise LibraryError(f"{where}: the slug is used twice")
        slugs.add(lesson.slug)
        lessons.append(_lesson_wanted(folder, lesson, where))
    return spec.slug, {
        "title": spec.title,
        "summary": spec.summary.strip(),
        "tags": _tags(spec.tags, str(manifest)),
        "estimated_minutes": spec.estimated_minutes,
        "status": spec.status,
        "lessons": lessons,
    }


def _tags(raw: list[str], where: str) -> list[str]:
    try:
        return tags_clean(raw)
    except ValidationError as exc:
        raise LibraryError(f"{where}: {_describe(exc)}") from None


def _read_questions(folder: Path, name: str | None, where: str) -> list[Snapshot]:
    if not name:
        raise LibraryError(f"{where}: a quiz names its questions file")
    raw = _load_yaml(_read_text(folder, name, where), f"{folder / name}")
    try:
        specs = msgspec.convert(raw, list[QuestionSpec])
    except msgspec.ValidationError as exc:
        raise LibraryError(f"{folder / name}: {exc}") from None
    return [
        {
            "prompt": q.prompt.strip(),
            "kind": q.kind,
            "explanation": q.explanation.strip(),
            "choices": [(c.text.strip(), c.correct) for c in q.choices],
        }
        for q in specs
    ]


# Import


@dataclass(frozen=True)
class ImportReport:
    course: Course
    created: bool
    changed: bool


def course_import(*, folder: Path, created_by: User | None = None) -> ImportReport:
    """Create or update the course described by `folder`, all or nothing.

    Raises LibraryError for a malformed folder and ValidationError for content the services
    refuse (both name the place). Lessons missing from the manifest are deleted with their
    learners' progress; the folder is the source of truth.
    """
    slug, wanted = _wanted_snapshot(folder)
    course = Course.objects.filter(slug=slug).first()
    if course is not None and _course_snapshot(course) == wanted:
        return ImportReport(course=course, created=False, changed=False)
    try:
        with transaction.atomic():
            course, created = _apply(slug, wanted, created_by)
    except ValidationError as exc:
        raise LibraryError(f"{folder}: {_describe(exc)}") from None
    return ImportReport(course=course, created=created, changed=True)


def _describe(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{k}: {' '.join(m)}" for k, m in exc.message_dict.items())
    return " ".join(exc.messages)


def _apply(slug: str, wanted: Snapshot, created_by: User | None) -> tuple[Course, bool]:
    fields = {k: wanted[k] for k in ("title", "summary", "tags", "estimated_minutes", "status")}
    course = Course.objects.select_for_update().filter(slug=slug).first()
    created = course is None
    if course is None:
        course = course_create(slug=slug, created_by=created_by, **fields)
    else:
        course_update(course=course, **fields)
    existing = {lesson.slug: lesson for lesson in course.lessons.exclude(kind=LessonKind.SCORM)}
    keep: list[int] = []
    for position, spec in enumerate(wanted["lessons"]):
        where = f"lesson {spec['slug']}"
        lesson = existing.get(spec["slug"])
        if lesson is not None and lesson.kind != spec["kind"]:
            lesson.delete()  # a lesson that changed kind starts over
            lesson = None
        values = {k: v for k, v in spec.items() if k not in ("slug", "kind", "title", "questions")}
        try:
            if lesson is None:
                lesson = lesson_create(
                    course=course,
                    kind=spec["kind"],
                    title=spec["title"],
                    slug=spec["slug"],
                    created_by=created_by,
                    **values,
                )
            else:
                lesson = lesson_update(lesson=lesson, title=spec["title"], **values)
            if lesson.position != position:
                Lesson.objects.filter(pk=lesson.pk).update(position=position)
            if spec["kind"] == LessonKind.QUIZ:
                _apply_questions(lesson, spec["questions"])
        except ValidationError as exc:
            raise ValidationError(f"{where}: {_describe(exc)}") from None
        keep.append(lesson.pk)
    course.lessons.exclude(pk__in=keep).exclude(kind=LessonKind.SCORM).delete()
    return course, created


def _apply_questions(lesson: Lesson, wanted: list[Snapshot]) -> None:
    existing = list(lesson.questions.order_by("position", "pk"))
    for position, spec in enumerate(wanted):
        choices = [ChoiceInput(text, correct) for text, correct in spec["choices"]]
        args = {"prompt": spec["prompt"], "kind": spec["kind"], "explanation": spec["explanation"]}
        if position < len(existing):
            question_update(question=existing[position], choices=choices, **args)
        else:
            question_create(lesson=lesson, choices=choices, **args)
    for question in existing[len(wanted) :]:
        question_delete(question=question)


# Export


def _lesson_export(folder: Path, stem: str, spec: dict[str, Any]) -> dict[str, Any]:
    """One lesson's manifest entry; its texts and questions written beside it as `stem.*`."""
    entry: dict[str, Any] = {
        "slug": spec["slug"],
        "kind": spec["kind"],
        "title": spec["title"],
        "minutes": spec["minutes"],
    }
    if spec["status"] != PublishStatus.PUBLISHED:
        entry["status"] = spec["status"]
    if spec["body"]:
        entry["body"] = _write(folder, f"{stem}.md", spec["body"])
    if spec["kind"] == LessonKind.STORY:
        entry["story"] = {
            "outcome": spec["story_outcome"],
            "industry": spec["story_industry"],
            "deal_size": (
                None if spec["story_deal_size"] is None else float(spec["story_deal_size"])
            ),
            "cycle_days": spec["story_cycle_days"],
            "what_happened": _write(
                folder, f"{stem}.what-happened.md", spec["story_what_happened"]
            ),
            "what_we_learned": _write(
                folder, f"{stem}.what-we-learned.md", spec["story_what_we_learned"]
            ),
        }
    if spec["kind"] == LessonKind.VIDEO:
        entry["video_url"] = spec["video_url"]
    if spec["kind"] == LessonKind.QUIZ:
        entry["pass_mark_pct"] = spec["pass_mark_pct"]
        entry["max_attempts"] = spec["max_attempts"]
        questions = [
            {
                "prompt": q["prompt"],
                "kind": q["kind"],
                "choices": [
                    {"text": text, "correct": True} if correct else {"text": text}
                    for text, correct in q["choices"]
                ],
                "explanation": q["explanation"],
            }
            for q in spec["questions"]
        ]
        entry["questions"] = _write(folder, f"{stem}.questions.yaml", _dump(questions))
    return entry


def course_export(*, course: Course, into: Path) -> Path:
    """Write `course` as a folder `<into>/<slug>/` and return that folder."""
    folder = into / course.slug
    folder.mkdir(parents=True, exist_ok=True)
    # From the database, so values are plain (an in-memory instance may hold enum members).
    course = Course.objects.get(pk=course.pk)
    snapshot = _course_snapshot(course)
    lessons = [
        _lesson_export(folder, f"{number:02d}-{spec['slug']}", spec)
        for number, spec in enumerate(snapshot["lessons"], start=1)
    ]
    manifest = {
        "slug": course.slug,
        "title": snapshot["title"],
        "summary": snapshot["summary"],
        "tags": snapshot["tags"],
        "estimated_minutes": snapshot["estimated_minutes"],
        "status": snapshot["status"],
        "lessons": lessons,
    }
    _write(folder, MANIFEST, _dump(manifest))
    return folder


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text.rstrip() + "\n", encoding="utf-8")
    return name


def course_folders(root: Path) -> list[Path]:
    """`root` itself when it is a course folder, else its course subfolders in name order."""
    if (root / MANIFEST).is_file():
        return [root]
    return sorted(p for p in root.iterdir() if (p / MANIFEST).is_file())
