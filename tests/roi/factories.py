"""Factories for the ROI tests: deals, history, rates, programs and completions, coaching.

Kept here (not borrowed from the other apps' test folders) so the ROI tests build exactly the
facts they assert on.
"""

import datetime as dt
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.roles import Role
from coaching.models import CoachingSession, SessionKind, SessionStatus
from deals.models import Deal, DealChange, DealField, DealStatus, ExchangeRate
from tests.factories import UserFactory
from tests.training.factories import LessonFactory
from training.models import (
    Completion,
    Course,
    CourseRating,
    Program,
    ProgramCourse,
    PublishStatus,
)

UTC = dt.UTC


def at(year: int, month: int, day: int = 15, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=UTC)


class RepFactory(UserFactory):
    role = Role.REP
    hire_date = dt.date(2020, 1, 1)


class DealFactory(DjangoModelFactory[Deal]):
    class Meta:
        model = Deal

    source = "csv"
    external_id = factory.Sequence(lambda n: f"D-{n:06d}")
    owner = factory.SubFactory(RepFactory)
    name = factory.Sequence(lambda n: f"Deal {n}")
    account_name = "Acme"
    amount = Decimal("1000.00")
    currency = "USD"
    stage = "Discovery"
    status = DealStatus.OPEN
    created_at = factory.LazyFunction(lambda: at(2024, 1, 10))
    expected_close_date = None
    closed_at = None
    source_updated_at = factory.LazyAttribute(lambda d: d.closed_at or d.created_at)


class ExchangeRateFactory(DjangoModelFactory[ExchangeRate]):
    class Meta:
        model = ExchangeRate

    currency = "EUR"
    rate = Decimal("1.1")
    valid_from = dt.date(2020, 1, 1)


class DealChangeFactory(DjangoModelFactory[DealChange]):
    class Meta:
        model = DealChange

    deal = factory.SubFactory(DealFactory)
    field = DealField.EXPECTED_CLOSE_DATE
    old_value = ""
    new_value = ""
    changed_at = factory.LazyFunction(lambda: at(2024, 1, 10))


class CourseFactory(DjangoModelFactory[Course]):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")
    status = PublishStatus.PUBLISHED


class ProgramFactory(DjangoModelFactory[Program]):
    class Meta:
        model = Program

    slug = factory.Sequence(lambda n: f"program-{n}")
    title = factory.Sequence(lambda n: f"Program {n}")
    status = PublishStatus.PUBLISHED
    primary_metric = "bookings"


def _course_with_lesson() -> Course:
    course = CourseFactory()
    LessonFactory(course=course)
    return course


def program_with_courses(n_courses: int = 1, **fields: object) -> Program:
    """A program of `n_courses` courses, each with one published lesson (an assignable
    program)."""
    program = ProgramFactory(**fields)
    for position in range(n_courses):
        ProgramCourse.objects.create(
            program=program, course=_course_with_lesson(), position=position
        )
    return program


class CompletionFactory(DjangoModelFactory[Completion]):
    class Meta:
        model = Completion

    user = factory.SubFactory(RepFactory)
    course = factory.SubFactory(CourseFactory)
    completed_at = factory.LazyFunction(lambda: at(2024, 6, 1))


def complete_program(program: Program, user: object, when: dt.datetime) -> None:
    """Completes every course of `program` for `user`, the last one at `when`."""
    courses = list(program.courses.order_by("program_links__position"))
    for offset, course in enumerate(reversed(courses)):
        Completion.objects.create(
            user=user, course=course, completed_at=when - dt.timedelta(days=offset)
        )


class CourseRatingFactory(DjangoModelFactory[CourseRating]):
    class Meta:
        model = CourseRating

    user = factory.SubFactory(RepFactory)
    course = factory.SubFactory(CourseFactory)
    stars = 4


class CoachingSessionFactory(DjangoModelFactory[CoachingSession]):
    class Meta:
        model = CoachingSession

    coach = factory.SubFactory(UserFactory, role=Role.COACH)
    rep = factory.SubFactory(RepFactory)
    kind = SessionKind.ROLE_PLAY
    status = SessionStatus.COMPLETED
    start = factory.LazyFunction(lambda: at(2024, 3, 5, 10))
    end = factory.LazyAttribute(lambda s: s.start + dt.timedelta(hours=1))
