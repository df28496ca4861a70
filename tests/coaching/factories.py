"""Coaching test data. Sessions made by the factory hold their slot like booked ones do."""

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.roles import Role
from coaching.models import (
    ActionItem,
    AvailabilityWindow,
    CoachingSession,
    Commitment,
    Methodology,
    PostMortem,
    Rubric,
    RubricCriterion,
    SessionKind,
    SessionParticipant,
    SessionStatus,
)
from tests.factories import UserFactory


def tomorrow_at(hour: int, minute: int = 0) -> dt.datetime:
    day = timezone.now().astimezone(dt.UTC).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


class RubricFactory(DjangoModelFactory[Rubric]):
    class Meta:
        model = Rubric
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Rubric {n}")


class CriterionFactory(DjangoModelFactory[RubricCriterion]):
    class Meta:
        model = RubricCriterion

    rubric = factory.SubFactory(RubricFactory)
    name = factory.Sequence(lambda n: f"Criterion {n}")
    methodology = Methodology.MEDDIC
    weight = 1
    scale_min = 1
    scale_max = 5
    position = factory.Sequence(lambda n: n)


def discovery_rubric() -> tuple[Rubric, list[RubricCriterion]]:
    """Three criteria: two weighted 1 on 1-5, one weighted 2 on 0-10."""
    rubric = RubricFactory(name="Discovery call")
    criteria = [
        CriterionFactory(rubric=rubric, name="Identify pain", methodology=Methodology.SPIN),
        CriterionFactory(rubric=rubric, name="Economic buyer", methodology=Methodology.MEDDIC),
        CriterionFactory(
            rubric=rubric,
            name="Next step agreed",
            methodology=Methodology.GENERAL,
            weight=2,
            scale_min=0,
            scale_max=10,
        ),
    ]
    return rubric, criteria


class SessionFactory(DjangoModelFactory[CoachingSession]):
    class Meta:
        model = CoachingSession
        skip_postgeneration_save = True

    coach = factory.SubFactory(UserFactory, role=Role.COACH)
    rep = factory.SubFactory(UserFactory)
    kind = SessionKind.ONE_ON_ONE
    status = SessionStatus.SCHEDULED
    start = factory.LazyFunction(lambda: tomorrow_at(10))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(hours=1))
    location = "https://meet.example.com/abc"
    cancelled_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == SessionStatus.CANCELLED else None
    )
    completed_at = factory.LazyAttribute(
        lambda o: o.end if o.status in (SessionStatus.COMPLETED, SessionStatus.NO_SHOW) else None
    )

    @factory.post_generation
    def participants(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        SessionParticipant.objects.bulk_create(
            SessionParticipant(
                session=self,
                user_id=user_id,
                start=self.start,
                end=self.end,
                is_active=self.status != SessionStatus.CANCELLED,
            )
            for user_id in sorted([self.coach_id, self.rep_id])
        )


class AvailabilityFactory(DjangoModelFactory[AvailabilityWindow]):
    class Meta:
        model = AvailabilityWindow

    coach = factory.SubFactory(UserFactory, role=Role.COACH)
    weekday = 0
    start_time = dt.time(9)
    end_time = dt.time(17)


class PostMortemFactory(DjangoModelFactory[PostMortem]):
    class Meta:
        model = PostMortem

    session = factory.SubFactory(
        SessionFactory, kind=SessionKind.DEAL_POST_MORTEM, status=SessionStatus.COMPLETED
    )
    went_well = "Found the pain early."
    to_improve = "Ask for the economic buyer."


class CommitmentFactory(DjangoModelFactory[Commitment]):
    class Meta:
        model = Commitment

    post_mortem = factory.SubFactory(PostMortemFactory)
    rep = factory.LazyAttribute(lambda o: o.post_mortem.session.rep)
    metric = "economic_buyer_share"
    target = Decimal("60.0")
    window_start = dt.date(2025, 1, 1)
    check_date = dt.date(2025, 3, 31)


class ActionItemFactory(DjangoModelFactory[ActionItem]):
    class Meta:
        model = ActionItem

    session = factory.SubFactory(SessionFactory)
    owner = factory.LazyAttribute(lambda o: o.session.rep)
    description = "Send the mutual action plan"
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
