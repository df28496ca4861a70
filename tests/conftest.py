"""The named cast for permission tests, and API clients for each of them.

team A: manager, coach, rep (coached by coach), rep_peer (same team, same coach)
team B: other_rep (another team, another coach)
leader, admin: see everyone
"""

import os
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiKey, User
from accounts.roles import Role
from tests.factories import CoachAssignmentFactory, TeamFactory, UserFactory, make_api_key

# CI sets this so that a missing browser, Redis or PostgreSQL fails instead of skipping.
REQUIRE_ALL = os.environ.get("COACHLINE_REQUIRE_ALL_TESTS") == "1"


def skip_or_fail(reason: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(f"required test dependency missing: {reason}")
    pytest.skip(reason)


@dataclass
class Cast:
    manager: User
    coach: User
    rep: User
    rep_peer: User
    other_manager: User
    other_coach: User
    other_rep: User
    leader: User
    admin: User

    def __getitem__(self, name: str) -> User:
        return getattr(self, name)


@pytest.fixture
def cast(db: Any) -> Cast:
    manager = UserFactory(role=Role.MANAGER, full_name="Mia Manager", email="manager@example.com")
    team = TeamFactory(name="Team A", manager=manager)
    manager.team = team
    manager.save()
    coach = UserFactory(
        role=Role.COACH, full_name="Cole Coach", email="coach@example.com", team=team
    )
    rep = UserFactory(full_name="Remy Rep", email="rep@example.com", team=team, manager=manager)
    rep_peer = UserFactory(
        full_name="Pat Peer", email="peer@example.com", team=team, manager=manager
    )
    other_manager = UserFactory(
        role=Role.MANAGER, full_name="Omar Other", email="omanager@example.com"
    )
    team_b = TeamFactory(name="Team B", manager=other_manager)
    other_coach = UserFactory(
        role=Role.COACH, full_name="Olga Coach", email="ocoach@example.com", team=team_b
    )
    other_rep = UserFactory(
        full_name="Otto Rep", email="orep@example.com", team=team_b, manager=other_manager
    )
    CoachAssignmentFactory(coach=coach, coachee=rep)
    CoachAssignmentFactory(coach=coach, coachee=rep_peer)
    CoachAssignmentFactory(coach=other_coach, coachee=other_rep)
    leader = UserFactory(role=Role.LEADER, full_name="Lee Leader", email="leader@example.com")
    admin = UserFactory(
        role=Role.ADMIN, full_name="Ada Admin", email="admin@example.com", is_staff=True
    )
    return Cast(manager, coach, rep, rep_peer, other_manager, other_coach, other_rep, leader, admin)


@pytest.fixture
def client_for(cast: Cast):  # type: ignore[no-untyped-def]
    """client_for("rep") -> an APIClient logged in as that cast member (or None: anonymous)."""

    def make(name: str | None) -> APIClient:
        client = APIClient()
        if name is not None:
            client.force_authenticate(cast[name])
        return client

    return make


@pytest.fixture
def key_client(db: Any):  # type: ignore[no-untyped-def]
    """key_client("deals:write") -> an APIClient sending a fresh key with those scopes."""

    def make(*scopes: str) -> APIClient:
        _key, raw = make_api_key(*scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture
def api_key(db: Any) -> tuple[ApiKey, str]:
    return make_api_key("users:read")
