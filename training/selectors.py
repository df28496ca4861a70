"""Reads for training pages, the API and other apps. Each loads what it needs in a fixed number
of queries, whatever the number of courses, lessons, people or assignments."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Count,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.access import Principal, visible_users
from accounts.models import ApiKey, Role, User
from training.models import (
    Assignment,
    Completion,
    Course,
    CourseRating,
    Lesson,
    LessonKind,
    LessonProgress,
    Program,
    ProgramCourse,
    PublishStatus,
    Question,
    QuizAttempt,
)


class Status:
    DONE = "done"
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"
    OVERDUE = "overdue"

    LABELS = {
        DONE: _("Done"),
        IN_PROGRESS: _("In progress"),
        NOT_STARTED: _("Not started"),
        OVERDUE: _("Overdue"),
    }
    BADGES = {DONE: "ok", IN_PROGRESS: "info", NOT_STARTED: "", OVERDUE: "bad"}


# An assignment is "due soon" this many days ahead (the reminder email uses the same window).
DUE_SOON_DAYS = 3


def _percent(done: int, total: int) -> int:
    return 0 if total == 0 else min(100, round(100 * done / total))


# Building blocks


def _published_lesson_counts() -> QuerySet[Course]:
    """Courses annotated with their number of published lessons (a subquery, not a join, so it
    combines with other annotations without multiplying rows)."""
    lessons = (
        Lesson.objects.published()
        .filter(course=OuterRef("pk"))
        .order_by()
        .values("course")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Course.objects.annotate(
        lesson_count=Coalesce(Subquery(lessons, output_field=IntegerField()), Value(0))
    )


def _with_ratings(courses: QuerySet[Course]) -> QuerySet[Course]:
    ratings = CourseRating.objects.filter(course=OuterRef("pk")).order_by().values("course")
    return courses.annotate(
        rating_avg=Subquery(ratings.annotate(a=Avg("stars")).values("a")),
        rating_count=Coalesce(
            Subquery(ratings.annotate(n=Count("pk")).values("n"), output_field=IntegerField()),
            Value(0),
        ),
    )


@dataclass(frozen=True)
class CompletionFact:
    """A completion as pages need it (a plain row: cheaper than a model instance)."""

    pk: int
    user_id: int
    course_id: int
    completed_at: dt.datetime
    score: Decimal | None
    certificate_code: str


@dataclass(frozen=True)
class CourseInfo:
    """A published course as the catalog shows it."""

    pk: int
    slug: str
    title: str
    summary: str
    tags: list[str]
    estimated_minutes: int


@dataclass
class _LearnerFacts:
    """One learner's (or several learners') progress, loaded in two queries."""

    # (user id, course id) -> lesson ids done / viewed, and the last viewed lesson
    done: dict[tuple[int, int], set[int]] = field(default_factory=lambda: defaultdict(set))
    viewed: dict[tuple[int, int], set[int]] = field(default_factory=lambda: defaultdict(set))
    last_viewed: dict[tuple[int, int], tuple[dt.datetime, int]] = field(default_factory=dict)
    completed: dict[tuple[int, int], CompletionFact] = field(default_factory=dict)

    def done_count(self, user_id: int, course_id: int) -> int:
        return len(self.done.get((user_id, course_id), ()))


def _learner_facts(*, user_ids: Any, course_ids: Iterable[int] | None = None) -> _LearnerFacts:
    """Progress on published lessons and completions. Queries: progress rows, completions."""
    facts = _LearnerFacts()
    progress = LessonProgress.objects.filter(
        user_id__in=user_ids, lesson__status=PublishStatus.PUBLISHED
    )
    completions = Completion.objects.filter(user_id__in=user_ids)
    if course_ids is not None:
        course_ids = list(course_ids)
        progress = progress.filter(lesson__course_id__in=course_ids)
        completions = completions.filter(course_id__in=course_ids)
    rows = progress.values_list(
        "user_id", "lesson__course_id", "lesson_id", "last_viewed_at", "completed_at"
    )
    for user_id, course_id, lesson_id, viewed_at, completed_at in rows:
        key = (user_id, course_id)
        facts.viewed[key].add(lesson_id)
        if completed_at is not None:
            facts.done[key].add(lesson_id)
        if key not in facts.last_viewed or viewed_at > facts.last_viewed[key][0]:
            facts.last_viewed[key] = (viewed_at, lesson_id)
    for row in completions.values_list(
        "pk", "user_id", "course_id", "completed_at", "score", "certificate_code"
    ):
        fact = CompletionFact(*row)
        facts.completed[(fact.user_id, fact.course_id)] = fact
    return facts


@dataclass(frozen=True)
class LessonStub:
    pk: int
    slug: str
    title: str
    kind: str
    minutes: int
    position: int


def _lesson_stubs(course_ids: Iterable[int]) -> dict[int, list[LessonStub]]:
    """Published lessons per course, in order. One query."""
    out: dict[int, list[LessonStub]] = defaultdict(list)
    rows = (
        Lesson.objects.published()
        .filter(course_id__in=list(course_ids))
        .order_by("course_id", "position", "pk")
        .values_list("course_id", "pk", "slug", "title", "kind", "minutes", "position")
    )
    for course_id, pk, slug, title, kind, minutes, position in rows:
        out[course_id].append(LessonStub(pk, slug, title, kind, minutes, position))
    return out


def _resume_lesson(
    lessons: Sequence[LessonStub], done: set[int], last_viewed: tuple[dt.datetime, int] | None
) -> LessonStub | None:
    """Where to pick up: the lesson last opened if it is unfinished, else the next unfinished
    one after it, else the first unfinished one."""
    if not lessons:
        return None
    start = 0
    if last_viewed is not None:
        index = next((i for i, s in enumerate(lessons) if s.pk == last_viewed[1]), None)
        if index is not None:
            start = index
    for stub in [*lessons[start:], *lessons[:start]]:
        if stub.pk not in done:
            return stub
    return lessons[0]


# Assignments and their state


@dataclass(frozen=True)
class AssignmentState:
    status: str
    percent: int
    courses_done: int
    courses_total: int
    completed_at: dt.datetime | None
    # The course and lesson to continue with (None when done or empty).
    resume_course_slug: str | None = None
    resume_lesson_slug: str | None = None
    course_ids: tuple[int, ...] = ()

    @property
    def is_done(self) -> bool:
        return self.status == Status.DONE

    @property
    def label(self) -> str:
        return str(Status.LABELS[self.status])

    @property
    def badge(self) -> str:
        return Status.BADGES[self.status]


def _program_courses(program_ids: Iterable[int]) -> dict[int, list[CourseInfo]]:
    """Each program's courses in order. One query."""
    out: dict[int, list[CourseInfo]] = defaultdict(list)
    rows = (
        ProgramCourse.objects.filter(program_id__in=list(program_ids))
        .order_by("program_id", "position", "pk")
        .values_list(
            "program_id",
            "course_id",
            "course__slug",
            "course__title",
            "course__summary",
            "course__tags",
            "course__estimated_minutes",
        )
    )
    for program_id, *course in rows:
        out[program_id].append(CourseInfo(*course))
    return out


def _lesson_counts(course_ids: Iterable[int]) -> dict[int, int]:
    """Published lessons per course. One query (none for no courses)."""
    ids = list(course_ids)
    if not ids:
        return {}
    return dict(
        Lesson.objects.published()
        .filter(course_id__in=ids)
        .order_by()
        .values("course_id")
        .annotate(n=Count("pk"))
        .values_list("course_id", "n")
    )


def assignment_states(
    *,
    assignments: Sequence[Assignment],
    today: dt.date | None = None,
    with_resume: bool = False,
    facts: "_LearnerFacts | None" = None,
    lesson_counts: dict[int, int] | None = None,
) -> dict[int, AssignmentState]:
    """Status and progress of each assignment (select_related course), in 4 queries: program
    courses, lesson counts, progress rows, completions (+1 for lessons with_resume). A caller
    that already loaded the assignees' progress passes it as `facts`, and the lesson counts of
    courses it loaded as `lesson_counts` (fewer queries)."""
    today = today or timezone.localdate()
    if not assignments:
        return {}
    program_courses = _program_courses({a.program_id for a in assignments if a.program_id})
    courses_of: dict[int, list[Course | CourseInfo]] = {}
    for a in assignments:
        if a.program_id:
            courses_of[a.pk] = list(program_courses.get(a.program_id, []))
        else:
            assert a.course is not None
            courses_of[a.pk] = [a.course]
    all_course_ids = {c.pk for cs in courses_of.values() for c in cs}
    lesson_counts = dict(lesson_counts or {})
    lesson_counts.update(_lesson_counts(all_course_ids - set(lesson_counts)))
    if facts is None:
        facts = _learner_facts(
            user_ids=list({a.assignee_id for a in assignments}), course_ids=all_course_ids
        )
    stubs = _lesson_stubs(all_course_ids) if with_resume else {}
    states: dict[int, AssignmentState] = {}
    for a in assignments:
        courses = courses_of[a.pk]
        total = done = courses_done = 0
        touched = False
        last_completed: dt.datetime | None = None
        resume: tuple[str, str] | None = None
        for course in courses:
            key = (a.assignee_id, course.pk)
            count = lesson_counts.get(course.pk, 0)
            completion = facts.completed.get(key)
            total += count
            if completion is not None:
                done += count
                courses_done += 1
                touched = True
                if last_completed is None or completion.completed_at > last_completed:
                    last_completed = completion.completed_at
                continue
            done += min(count, facts.done_count(*key))
            touched = touched or bool(facts.viewed.get(key))
            if resume is None and with_resume:
                stub = _resume_lesson(
                    stubs.get(course.pk, []), facts.done.get(key, set()), facts.last_viewed.get(key)
                )
                if stub is not None:
                    resume = (course.slug, stub.slug)
        is_done = bool(courses) and courses_done == len(courses)
        if is_done:
            status = Status.DONE
        elif a.due_date < today:
            status = Status.OVERDUE
        elif touched:
            status = Status.IN_PROGRESS
        else:
            status = Status.NOT_STARTED
        states[a.pk] = AssignmentState(
            status=status,
            percent=100 if is_done else _percent(done, total),
            courses_done=courses_done,
            courses_total=len(courses),
            completed_at=last_completed if is_done else None,
            resume_course_slug=None if resume is None else resume[0],
            resume_lesson_slug=None if resume is None else resume[1],
            course_ids=tuple(c.pk for c in courses),
        )
    return states


# Learner pages


@dataclass(frozen=True)
class CourseCard:
    course: Course | CourseInfo
    lesson_count: int
    done_count: int
    completion: CompletionFact | None
    rating_avg: float | None = None
    rating_count: int = 0

    @property
    def percent(self) -> int:
        return 100 if self.completion else _percent(self.done_count, self.lesson_count)

    @property
    def status(self) -> str:
        if self.completion:
            return Status.DONE
        return Status.IN_PROGRESS if self.done_count else Status.NOT_STARTED

    @property
    def facts(self) -> list[str]:
        """ "6 lessons", "45 min": built here once, because a catalog renders many cards and
        template tags per card are what a catalog page spends its time on."""
        return [
            ngettext("%(n)d lesson", "%(n)d lessons", self.lesson_count) % {"n": self.lesson_count},
            gettext("%(n)d min") % {"n": self.course.estimated_minutes},
        ]

    @property
    def rating_display(self) -> str:
        return "" if self.rating_avg is None else number_format(self.rating_avg, 1)


@dataclass(frozen=True)
class AssignmentRow:
    assignment: Assignment
    state: AssignmentState

    @property
    def is_program(self) -> bool:
        return self.assignment.program_id is not None

    @property
    def is_due_soon(self) -> bool:
        days = (self.assignment.due_date - timezone.localdate()).days
        return not self.state.is_done and 0 <= days <= DUE_SOON_DAYS


@dataclass
class MyLearning:
    assignments: list[AssignmentRow]
    continue_courses: list[CourseCard]
    catalog: list[CourseCard]  # a few suggestions; the catalog page has them all
    catalog_size: int
    tags: list[str]
    completed: list[CourseCard]  # most recent first

    @property
    def open_assignments(self) -> list[AssignmentRow]:
        return [r for r in self.assignments if not r.state.is_done]

    @property
    def done_assignments(self) -> list[AssignmentRow]:
        return [r for r in self.assignments if r.state.is_done]


def _catalog_courses() -> list[tuple[CourseInfo, int, float | None, int]]:
    """Published courses with (lesson count, mean rating, ratings). Three plain queries (the
    courses, lessons per course, ratings per course): much cheaper than correlated subqueries
    once a catalog has a few dozen courses."""
    published = PublishStatus.PUBLISHED
    courses = [
        CourseInfo(*row)
        for row in Course.objects.filter(status=published)
        .order_by("title", "pk")
        .values_list("pk", "slug", "title", "summary", "tags", "estimated_minutes")
    ]
    lessons = dict(
        Lesson.objects.filter(status=published, course__status=published)
        .order_by()
        .values("course_id")
        .annotate(n=Count("pk"))
        .values_list("course_id", "n")
    )
    ratings = {
        course_id: (avg, n)
        for course_id, avg, n in CourseRating.objects.filter(course__status=published)
        .order_by()
        .values("course_id")
        .annotate(avg=Avg("stars"), n=Count("pk"))
        .values_list("course_id", "avg", "n")
    }
    return [(c, lessons.get(c.pk, 0), *ratings.get(c.pk, (None, 0))) for c in courses]


# How many catalog courses "My learning" shows; the catalog page has them all.
MY_LEARNING_CATALOG_CARDS = 6


def my_learning(*, user: User, today: dt.date | None = None) -> MyLearning:
    """Queries: assignments, progress rows, completions, catalog courses, their lesson counts and
    ratings, program courses, lessons for resume links."""
    assignments = list(
        Assignment.objects.filter(assignee=user)
        .select_related("program", "course", "assigned_by")
        .order_by("due_date", "pk")
    )
    facts = _learner_facts(user_ids=[user.pk])
    found = catalog(user=user, facts=facts)
    states = assignment_states(
        assignments=assignments,
        today=today,
        with_resume=True,
        facts=facts,
        lesson_counts={card.course.pk: card.lesson_count for card in found.cards},
    )
    rows = [AssignmentRow(a, states[a.pk]) for a in assignments]
    # Open assignments first, the most urgent on top; finished ones after.
    rows.sort(key=lambda r: (r.state.is_done, r.assignment.due_date))
    # Courses an assignment already leads to are not offered twice.
    assigned = {pk for state in states.values() for pk in state.course_ids}
    continue_courses = [
        card
        for card in found.cards
        if card.status == Status.IN_PROGRESS and card.course.pk not in assigned
    ]
    completed = sorted(
        (card for card in found.cards if card.completion is not None),
        key=lambda card: card.completion.completed_at,  # type: ignore[union-attr]
        reverse=True,
    )
    # From the catalog: what this person has not finished, not started first.
    shown = {card.course.pk for card in continue_courses}
    suggestions = sorted(
        (c for c in found.cards if c.completion is None and c.course.pk not in shown),
        key=lambda card: (card.course.pk in assigned, card.status != Status.NOT_STARTED),
    )
    return MyLearning(
        assignments=rows,
        continue_courses=continue_courses,
        catalog=suggestions[:MY_LEARNING_CATALOG_CARDS],
        catalog_size=len(found.cards),
        tags=found.tags,
        completed=completed,
    )


@dataclass
class Catalog:
    cards: list[CourseCard]  # the ones matching the search
    tags: list[str]  # every tag of a published course, for the filter


def catalog(
    *, user: User, query: str = "", tag: str = "", facts: _LearnerFacts | None = None
) -> Catalog:
    """Published courses as cards with this user's progress. Queries: courses, lesson counts,
    ratings, progress rows, completions. Filtering happens here, in Python: tags
    are a JSON list, and a catalog has hundreds of courses, not millions."""
    courses = _catalog_courses()
    if facts is None:
        facts = _learner_facts(user_ids=[user.pk])
    cards = []
    tags: dict[str, str] = {}
    needle = query.strip().casefold()
    wanted_tag = tag.strip().casefold()
    for course, lesson_count, rating_avg, rating_count in courses:
        folded = {t.casefold(): t for t in course.tags}
        for folded_tag, spelling in folded.items():
            tags.setdefault(folded_tag, spelling)
        if needle and needle not in f"{course.title} {course.summary}".casefold():
            continue
        if wanted_tag and wanted_tag not in folded:
            continue
        key = (user.pk, course.pk)
        cards.append(
            CourseCard(
                course=course,
                lesson_count=lesson_count,
                done_count=facts.done_count(*key),
                completion=facts.completed.get(key),
                rating_avg=rating_avg,
                rating_count=rating_count,
            )
        )
    return Catalog(cards=cards, tags=sorted(tags.values(), key=str.casefold))


def catalog_cards(*, user: User) -> list[CourseCard]:
    return catalog(user=user).cards


@dataclass(frozen=True)
class OutlineItem:
    lesson: LessonStub
    is_done: bool
    is_current: bool
    best_score: Decimal | None = None
    attempts: int = 0


@dataclass
class CourseOutline:
    course: Course
    items: list[OutlineItem]
    completion: CompletionFact | None
    rating: CourseRating | None
    due_date: dt.date | None
    resume: LessonStub | None
    programs: list[Program]

    @property
    def done_count(self) -> int:
        return sum(i.is_done for i in self.items)

    @property
    def percent(self) -> int:
        return 100 if self.completion else _percent(self.done_count, len(self.items))

    @property
    def minutes(self) -> int:
        return sum(i.lesson.minutes for i in self.items)

    @property
    def is_started(self) -> bool:
        return self.done_count > 0 or any(i.is_current for i in self.items)


def course_outline(*, user: User, course: Course) -> CourseOutline:
    """Queries: lessons, progress, completion, rating, quiz attempts, due date, programs."""
    stubs = _lesson_stubs([course.pk]).get(course.pk, [])
    facts = _learner_facts(user_ids=[user.pk], course_ids=[course.pk])
    key = (user.pk, course.pk)
    done = facts.done.get(key, set())
    attempts: dict[int, tuple[int, Decimal | None]] = {
        row["lesson_id"]: (row["n"], row["best"])
        for row in QuizAttempt.objects.filter(user=user, lesson__course=course)
        .values("lesson_id")
        .annotate(n=Count("pk"), best=Max("score"))
    }
    completion = facts.completed.get(key)
    resume = None if completion else _resume_lesson(stubs, done, facts.last_viewed.get(key))
    last = facts.last_viewed.get(key)
    items = [
        OutlineItem(
            lesson=stub,
            is_done=stub.pk in done,
            is_current=last is not None and last[1] == stub.pk,
            best_score=attempts.get(stub.pk, (0, None))[1],
            attempts=attempts.get(stub.pk, (0, None))[0],
        )
        for stub in stubs
    ]
    return CourseOutline(
        course=course,
        items=items,
        completion=completion,
        rating=CourseRating.objects.filter(user=user, course=course).first(),
        due_date=_due_date_for(user=user, course=course),
        resume=resume,
        programs=list(
            Program.objects.filter(program_courses__course=course, status=PublishStatus.PUBLISHED)
        ),
    )


def _due_date_for(*, user: User, course: Course) -> dt.date | None:
    return (
        Assignment.objects.filter(
            Q(course=course) | Q(program__program_courses__course=course), assignee=user
        )
        .order_by("due_date")
        .values_list("due_date", flat=True)
        .first()
    )


@dataclass
class LessonPage:
    course: Course
    lesson: Lesson
    outline: list[OutlineItem]
    previous: LessonStub | None
    next: LessonStub | None
    is_done: bool
    course_completion: CompletionFact | None
    questions: list[Question]
    attempts: list[QuizAttempt]

    @property
    def index(self) -> int:
        return next(i for i, item in enumerate(self.outline) if item.lesson.pk == self.lesson.pk)

    @property
    def done_count(self) -> int:
        return sum(i.is_done for i in self.outline)

    @property
    def percent(self) -> int:
        if self.course_completion:
            return 100
        return _percent(self.done_count, len(self.outline))

    @property
    def attempts_left(self) -> int:
        return max(0, self.lesson.max_attempts - len(self.attempts))

    @property
    def has_passed(self) -> bool:
        return any(a.passed for a in self.attempts)

    @property
    def last_attempt(self) -> QuizAttempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def can_attempt(self) -> bool:
        return not self.has_passed and self.attempts_left > 0 and bool(self.questions)


def lesson_page(*, user: User, course: Course, lesson: Lesson) -> LessonPage:
    """Queries: lessons, progress, completion, (quiz: questions, choices, attempts)."""
    stubs = _lesson_stubs([course.pk]).get(course.pk, [])
    facts = _learner_facts(user_ids=[user.pk], course_ids=[course.pk])
    done = facts.done.get((user.pk, course.pk), set())
    outline = [
        OutlineItem(lesson=s, is_done=s.pk in done, is_current=s.pk == lesson.pk) for s in stubs
    ]
    index = next((i for i, s in enumerate(stubs) if s.pk == lesson.pk), None)
    questions: list[Question] = []
    attempts: list[QuizAttempt] = []
    if lesson.kind == LessonKind.QUIZ:
        questions = quiz_questions(lesson=lesson)
        attempts = list(QuizAttempt.objects.filter(user=user, lesson=lesson).order_by("number"))
    return LessonPage(
        course=course,
        lesson=lesson,
        outline=outline,
        previous=stubs[index - 1] if index is not None and index > 0 else None,
        next=stubs[index + 1] if index is not None and index + 1 < len(stubs) else None,
        is_done=lesson.pk in done,
        course_completion=facts.completed.get((user.pk, course.pk)),
        questions=questions,
        attempts=attempts,
    )


@dataclass(frozen=True)
class ReviewItem:
    question: Question
    chosen: frozenset[int]
    # Only filled in when the review may reveal the answers (see QuizReview.reveals_answers).
    correct: frozenset[int]
    is_correct: bool


@dataclass(frozen=True)
class QuizReview:
    attempt: QuizAttempt
    items: list[ReviewItem]
    # The right answers and explanations are shown once the quiz is passed or no attempt is
    # left; before that a learner sees which questions they got wrong, not what is right, so
    # a retry tests understanding rather than memory of the last screen.
    reveals_answers: bool

    @property
    def correct_count(self) -> int:
        return sum(i.is_correct for i in self.items)


def quiz_review(*, page: LessonPage, attempt: QuizAttempt) -> QuizReview:
    """Per-question feedback on an attempt, from its stored answers. No queries."""
    reveals = page.has_passed or page.attempts_left == 0
    items = []
    for question in page.questions:
        chosen = frozenset(int(c) for c in attempt.answers.get(str(question.pk), []))
        correct = frozenset(c.pk for c in question.choices.all() if c.is_correct)
        items.append(
            ReviewItem(
                question=question,
                chosen=chosen,
                correct=correct if reveals else frozenset(),
                is_correct=chosen == correct,
            )
        )
    return QuizReview(attempt=attempt, items=items, reveals_answers=reveals)


def quiz_questions(*, lesson: Lesson) -> list[Question]:
    """Questions with their choices in order. Two queries."""
    return list(lesson.questions.order_by("position", "pk").prefetch_related("choices"))


@dataclass
class ProgramOutline:
    program: Program
    courses: list[CourseCard]
    assignment: Assignment | None
    state: AssignmentState | None

    @property
    def percent(self) -> int:
        total = sum(c.lesson_count for c in self.courses)
        done = sum(c.lesson_count if c.completion else c.done_count for c in self.courses)
        return _percent(done, total)

    @property
    def is_complete(self) -> bool:
        return bool(self.courses) and all(c.completion for c in self.courses)

    @property
    def completed_at(self) -> dt.datetime | None:
        if not self.is_complete:
            return None
        return max(c.completion.completed_at for c in self.courses if c.completion)


def program_outline(*, user: User, program: Program) -> ProgramOutline:
    """Queries: program courses, lesson counts, progress, completions, assignment (+ its
    state: 4)."""
    courses = _program_courses([program.pk]).get(program.pk, [])
    counts = _lesson_counts(c.pk for c in courses)
    facts = _learner_facts(user_ids=[user.pk], course_ids=[c.pk for c in courses])
    cards = [
        CourseCard(
            course=c,
            lesson_count=counts.get(c.pk, 0),
            done_count=facts.done_count(user.pk, c.pk),
            completion=facts.completed.get((user.pk, c.pk)),
        )
        for c in courses
    ]
    assignment = (
        Assignment.objects.filter(assignee=user, program=program).select_related("program").first()
    )
    state = None
    if assignment is not None:
        state = assignment_states(assignments=[assignment], with_resume=True)[assignment.pk]
    return ProgramOutline(program=program, courses=cards, assignment=assignment, state=state)


# Managers


@dataclass(frozen=True)
class TeamRow:
    assignment: Assignment
    state: AssignmentState


@dataclass
class TeamProgress:
    rows: list[TeamRow]
    counts: dict[str, int]
    targets: list[tuple[str, str]]  # (value for the filter, title)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def team_progress_assignments(*, viewer: User) -> QuerySet[Assignment]:
    """Assignments of the people `viewer` may see, except the viewer's own."""
    return (
        Assignment.objects.filter(assignee__in=visible_users(viewer).values("pk"))
        .exclude(assignee=viewer)
        .select_related("assignee", "assignee__team", "program", "course")
    )


def team_progress(
    *,
    viewer: User,
    target: str = "",
    status: str = "",
    team_id: int | None = None,
    today: dt.date | None = None,
) -> TeamProgress:
    """Who is done, in progress, not started or overdue. Queries: assignments (with person,
    team, target), program courses, progress rows, completions, targets for the filter."""
    assignments = team_progress_assignments(viewer=viewer)
    kind, _sep, slug = target.partition(":")
    if kind == "program" and slug:
        assignments = assignments.filter(program__slug=slug)
    elif kind == "course" and slug:
        assignments = assignments.filter(course__slug=slug)
    if team_id:
        assignments = assignments.filter(assignee__team_id=team_id)
    loaded = list(assignments.order_by("assignee__full_name", "assignee_id", "due_date", "pk"))
    states = assignment_states(assignments=loaded, today=today)
    counts = {s: 0 for s in Status.LABELS}
    rows = []
    for a in loaded:
        state = states[a.pk]
        counts[state.status] += 1
        if not status or state.status == status:
            rows.append(TeamRow(a, state))
    targets = sorted(
        {
            (f"program:{p}", t)
            for p, t in team_progress_assignments(viewer=viewer)
            .filter(program__isnull=False)
            .values_list("program__slug", "program__title")
        }
        | {
            (f"course:{c}", t)
            for c, t in team_progress_assignments(viewer=viewer)
            .filter(course__isnull=False)
            .values_list("course__slug", "course__title")
        },
        key=lambda pair: pair[1].casefold(),
    )
    return TeamProgress(rows=rows, counts=counts, targets=targets)


# Contracts for other apps


def program_completions(*, program: Program) -> dict[int, dt.datetime]:
    """{user id: when they completed the program}: a program is complete when all its courses
    are, at the time of the last one. The ROI engine treats this as "trained at". Two queries."""
    course_ids = list(program.program_courses.values_list("course_id", flat=True))
    if not course_ids:
        return {}
    rows = (
        Completion.objects.filter(course_id__in=course_ids)
        .values("user_id")
        .annotate(courses=Count("course_id", distinct=True), last=Max("completed_at"))
        .filter(courses=len(course_ids))
        .values_list("user_id", "last")
    )
    return dict(rows)


def _programs_with_courses() -> QuerySet[Program]:
    return Program.objects.prefetch_related(
        Prefetch(
            "program_courses",
            queryset=ProgramCourse.objects.select_related("course").order_by("position", "pk"),
        )
    ).order_by("title", "pk")


def program_with_courses(*, pk: int) -> Program:
    return _programs_with_courses().get(pk=pk)


def course_with_counts(*, pk: int) -> Course:
    return _published_lesson_counts().get(pk=pk)


def program_list(*, principal: Principal) -> QuerySet[Program]:
    """Programs with their ordered courses (two queries). Learners see published ones."""
    programs = _programs_with_courses()
    if content_editor(principal):
        return programs
    return programs.filter(status=PublishStatus.PUBLISHED)


def course_list(*, principal: Principal) -> QuerySet[Course]:
    """Courses with lesson counts (one query). Learners see published ones."""
    courses = _published_lesson_counts().order_by("title", "pk")
    if content_editor(principal):
        return courses
    return courses.filter(status=PublishStatus.PUBLISHED)


def content_editor(principal: Principal) -> bool:
    """Who sees drafts and costs: admins, managers, leaders (read only), and keys that read
    training."""
    if isinstance(principal, ApiKey):
        return principal.has_scope("training:read")
    return principal.is_authenticated and (
        principal.is_admin_role or principal.role in (Role.MANAGER, Role.LEADER)
    )


def assignment_list(*, principal: Principal) -> QuerySet[Assignment]:
    """Assignments of visible people (keys: with training:read, everyone's)."""
    assignments = Assignment.objects.select_related("assignee", "program", "course").order_by(
        "due_date", "pk"
    )
    if isinstance(principal, ApiKey):
        return assignments if principal.has_scope("training:read") else assignments.none()
    return assignments.filter(assignee__in=visible_users(principal).values("pk"))


@dataclass(frozen=True)
class HomeSummary:
    next_assignment: AssignmentRow | None = None
    open_count: int = 0
    overdue_count: int = 0


def home_summary(*, user: User, today: dt.date | None = None) -> HomeSummary:
    """For the home page. A rep: their most urgent open assignment (5 queries). A manager or
    admin: how many of their people's assignments are overdue (4 queries)."""
    today = today or timezone.localdate()
    if user.role in (Role.MANAGER, Role.ADMIN):
        assignments = list(team_progress_assignments(viewer=user).filter(due_date__lt=today))
        states = assignment_states(assignments=assignments, today=today)
        return HomeSummary(overdue_count=sum(s.status == Status.OVERDUE for s in states.values()))
    assignments = list(Assignment.objects.filter(assignee=user).select_related("program", "course"))
    states = assignment_states(assignments=assignments, today=today, with_resume=True)
    open_rows = sorted(
        (AssignmentRow(a, states[a.pk]) for a in assignments if not states[a.pk].is_done),
        key=lambda r: r.assignment.due_date,
    )
    return HomeSummary(
        next_assignment=open_rows[0] if open_rows else None,
        open_count=len(open_rows),
        overdue_count=sum(r.state.status == Status.OVERDUE for r in open_rows),
    )


def course_rating_summary(*, course: Course) -> tuple[float | None, int]:
    agg = CourseRating.objects.filter(course=course).aggregate(avg=Avg("stars"), n=Count("pk"))
    return agg["avg"], agg["n"]
