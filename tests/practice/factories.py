import factory
from factory.django import DjangoModelFactory

from practice.models import AttemptStatus, MediaType, PracticeAttempt, PracticeScenario
from tests.coaching.factories import CriterionFactory, RubricFactory
from tests.factories import UserFactory
from tests.training.factories import LessonFactory
from training.models import LessonKind

WEBM_HEAD = b"\x1a\x45\xdf\xa3" + b"\x00" * 12


class PracticeLessonFactory(LessonFactory):
    kind = LessonKind.PRACTICE
    body = "Practise the discovery call."


class ScenarioFactory(DjangoModelFactory[PracticeScenario]):
    class Meta:
        model = PracticeScenario

    lesson = factory.SubFactory(PracticeLessonFactory)
    scenario = "**Buyer:** a CFO with a deadline in March."
    rubric = factory.SubFactory(RubricFactory)
    max_attempts = 3


def make_scenario(**kwargs: object) -> PracticeScenario:
    """A scenario whose rubric has two criteria (1-5, weights 1 and 3)."""
    scenario = ScenarioFactory(**kwargs)
    CriterionFactory(rubric=scenario.rubric, name="Discovery", weight=1, position=1)
    CriterionFactory(rubric=scenario.rubric, name="Next step", weight=3, position=2)
    return scenario


class AttemptFactory(DjangoModelFactory[PracticeAttempt]):
    """A submitted attempt without a file (tests that need one upload it)."""

    class Meta:
        model = PracticeAttempt

    scenario = factory.SubFactory(ScenarioFactory)
    rep = factory.SubFactory(UserFactory)
    number = factory.Sequence(lambda n: n + 1)
    status = AttemptStatus.SUBMITTED
    media_type = MediaType.VIDEO_WEBM
    size_bytes = 100
    total_chunks = 1
    duration_seconds = 60
