"""Factories shared across apps' tests; each app's own live in tests/<app>/factories.py."""

import factory
from factory.django import DjangoModelFactory

from accounts.models import ApiKey, CoachAssignment, CrmIdentity, Team, User
from accounts.roles import Role

PASSWORD = "correct horse battery"


class TeamFactory(DjangoModelFactory[Team]):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.REP
    time_zone = "UTC"
    password = factory.django.Password(PASSWORD)


class CoachAssignmentFactory(DjangoModelFactory[CoachAssignment]):
    class Meta:
        model = CoachAssignment

    coach = factory.SubFactory(UserFactory, role=Role.COACH)
    coachee = factory.SubFactory(UserFactory)


class CrmIdentityFactory(DjangoModelFactory[CrmIdentity]):
    class Meta:
        model = CrmIdentity

    user = factory.SubFactory(UserFactory)
    source = "salesforce"
    owner_id = factory.Sequence(lambda n: f"005OWNER{n:05d}")


def make_api_key(*scopes: str, name: str = "integration") -> tuple[ApiKey, str]:
    return ApiKey.objects.create_key(name=name, scopes=list(scopes))
