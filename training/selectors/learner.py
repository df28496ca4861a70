"""View models of the learner pages: my learning, course and lesson pages, quiz review, program
outline, the home summary."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, Max, Q
from django.utils import timezone

from accounts.access import may_assign
from accounts.models import User
from training.models import (
    Assignment,
    Course,
    CourseRating,
    Lesson,
    LessonKind,
    Program,
    PublishStatus,
    Question,
    QuizAttempt,
    RetakeRequest,
)
from training.selectors.assignments import AssignmentRow, AssignmentState, assignment_states
from training.selectors.catalog import CourseCard, catalog
from training.selectors.progress import (
    CompletionFact,
    LessonStub,
    Status,
    courses_of_programs,
    learner_facts,
    lesson_stubs,
    lesson_totals_by_course,
    percent_of,
    resume_lesson,
)
from training.selectors.retakes import quiz_attempt_limit, retake_granters
from training.selectors.team import team_progress_assignments


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
    facts = learner_facts(user_ids=[user.pk])
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
        return 100 if self.completion else percent_of(self.done_count, len(self.items))

    @property
    def minutes(self) -> int:
        return sum(i.lesson.minutes for i in self.items)

    @property
    def is_started(self) -> bool:
        return self.done_count > 0 or any(i.is_current for i in self.items)


def course_outline(*, user: User, course: Course) -> CourseOutline:
    """Queries: lessons, progress, completion, rating, quiz attempts, due date, programs."""
    stubs = lesson_stubs([course.pk]).get(course.pk, [])
    facts = learner_facts(user_ids=[user.pk], course_ids=[course.pk])
    key = (user.pk, course.pk)
    done = facts.done.get(key, set())
    attempts: dict[int, tuple[int, Decimal | None]] = {
        row["lesson_id"]: (row["n"], row["best"])
        for row in QuizAttempt.objects.filter(user=user, lesson__course=course)
        .values("lesson_id")
        .annotate(n=Count("pk"), best=Max("score"))
    }
    completion = facts.completed.get(key)
    resume = None if completion else resume_lesson(stubs, done, facts.last_viewed.get(key))
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
    # Quizzes only: the limit with retakes granted; once every attempt is used (and the quiz not
    # passed), whom to ask for a retake and the request already sent, if any.
    attempt_limit: int = 0
    retake_granters: list[User] = field(default_factory=list)
    retake_request: RetakeRequest | None = None

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
        return percent_of(self.done_count, len(self.outline))

    @property
    def attempts_left(self) -> int:
        return max(0, self.attempt_limit - len(self.attempts))

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
    """Queries: lessons, progress, completion, (quiz: questions, choices, attempts, retake
    grants; and once every attempt is used: whom to ask, the open request)."""
    stubs = lesson_stubs([course.pk]).get(course.pk, [])
    facts = learner_facts(user_ids=[user.pk], course_ids=[course.pk])
    done = facts.done.get((user.pk, course.pk), set())
    outline = [
        OutlineItem(lesson=s, is_done=s.pk in done, is_current=s.pk == lesson.pk) for s in stubs
    ]
    index = next((i for i, s in enumerate(stubs) if s.pk == lesson.pk), None)
    questions: list[Question] = []
    attempts: list[QuizAttempt] = []
    limit = 0
    granters: list[User] = []
    request: RetakeRequest | None = None
    if lesson.kind == LessonKind.QUIZ:
        questions = quiz_questions(lesson=lesson)
        attempts = list(QuizAttempt.objects.filter(user=user, lesson=lesson).order_by("number"))
        limit = quiz_attempt_limit(user=user, lesson=lesson)
        if len(attempts) >= limit and not any(a.passed for a in attempts):
            granters = list(retake_granters(user=user))
            request = RetakeRequest.objects.filter(
                user=user, lesson=lesson, resolved_at__isnull=True
            ).first()
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
        attempt_limit=limit,
        retake_granters=granters,
        retake_request=request,
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
        return percent_of(done, total)

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
    courses = courses_of_programs([program.pk]).get(program.pk, [])
    totals = lesson_totals_by_course(c.pk for c in courses)
    facts = learner_facts(user_ids=[user.pk], course_ids=[c.pk for c in courses])
    cards = [
        CourseCard(
            course=c,
            lesson_count=totals.get(c.pk, (0, 0))[0],
            lesson_minutes=totals.get(c.pk, (0, 0))[1],
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


@dataclass(frozen=True)
class HomeSummary:
    next_assignment: AssignmentRow | None = None
    open_count: int = 0
    overdue_count: int = 0


def home_summary(*, user: User, today: dt.date | None = None) -> HomeSummary:
    """For the home page. A rep: their most urgent open assignment (5 queries). A manager or
    admin: how many of their people's assignments are overdue (4 queries)."""
    today = today or timezone.localdate()
    if may_assign(user):
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


@dataclass(frozen=True)
class QuizAttemptSummary:
    lesson_id: int
    lesson_title: str
    course_title: str
    attempts: int
    max_attempts: int
    best_score: Decimal
    is_passed: bool


def learner_quiz_attempts(*, user: User) -> list[QuizAttemptSummary]:
    """Per quiz the learner attempted: attempts used, best score, passed (one query). The
    caller checked the viewer is an admin."""
    rows = (
        QuizAttempt.objects.filter(user=user)
        .values("lesson_id", "lesson__title", "lesson__course__title", "lesson__max_attempts")
        .annotate(n=Count("id"), best=Max("score"), passed_count=Count("id", filter=Q(passed=True)))
        .order_by("lesson__course__title", "lesson__title", "lesson_id")
    )
    return [
        QuizAttemptSummary(
            lesson_id=row["lesson_id"],
            lesson_title=row["lesson__title"],
            course_title=row["lesson__course__title"],
            attempts=row["n"],
            max_attempts=row["lesson__max_attempts"],
            best_score=row["best"],
            is_passed=row["passed_count"] > 0,
        )
        for row in rows
    ]
