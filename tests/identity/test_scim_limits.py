"""SCIM tokens have the API keys' hourly budget (429 with Retry-After in the SCIM error format,
nothing written), and the SCIM lists load in a fixed number of queries whatever their size."""

import json

import pytest
from django.core.cache import cache

from accounts.models import ApiKey, Scope, User
from tests.factories import TeamFactory, UserFactory, make_api_key

pytestmark = pytest.mark.django_db

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture(autouse=True)
def _fresh_counters():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def _auth(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_a_scim_token_past_its_hourly_budget_gets_429_and_writes_nothing(client):
    key, raw = make_api_key(Scope.SCIM, name="Okta SCIM")
    ApiKey.objects.filter(pk=key.pk).update(requests_per_hour=2)
    other_key, other_raw = make_api_key(Scope.SCIM, name="Entra SCIM")

    assert client.get("/scim/v2/Users", **_auth(raw)).status_code == 200
    assert client.get("/scim/v2/Groups", **_auth(raw)).status_code == 200
    refused = client.post(
        "/scim/v2/Users",
        data=json.dumps(
            {
                "schemas": [USER],
                "userName": "new@example.com",
                "emails": [{"value": "new@example.com"}],
            }
        ),
        content_type="application/scim+json",
        **_auth(raw),
    )

    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert refused.json()["schemas"] == [ERROR]
    assert refused.json()["status"] == "429"
    assert not User.objects.filter(email="new@example.com").exists()
    # Each token has its own budget; the service description needs no token and is not counted.
    assert client.get("/scim/v2/Users", **_auth(other_raw)).status_code == 200
    assert client.get("/scim/v2/ServiceProviderConfig").status_code == 200


@pytest.mark.parametrize("people", [1, 15])
def test_the_users_list_queries_do_not_grow(client, django_assert_num_queries, people):
    _key, raw = make_api_key(Scope.SCIM)
    team = TeamFactory(name="EMEA")
    UserFactory.create_batch(people, team=team)
    client.get("/scim/v2/ServiceProviderConfig")  # the site's first request warms its caches

    # The key by prefix, its last use; the request's transaction and scim2-server's operation
    # (two savepoints inside the test's transaction, each opened and released: 4); the count;
    # the page with team and SCIM records joined.
    with django_assert_num_queries(8):
        answer = client.get("/scim/v2/Users", **_auth(raw))

    assert answer.status_code == 200
    assert answer.json()["totalResults"] == people
    assert len(answer.json()["Resources"]) == people


@pytest.mark.parametrize("teams", [1, 10])
def test_the_groups_list_queries_do_not_grow(client, django_assert_num_queries, teams):
    _key, raw = make_api_key(Scope.SCIM)
    for n in range(teams):
        UserFactory.create_batch(3, team=TeamFactory(name=f"Team {n}"))
    client.get("/scim/v2/ServiceProviderConfig")

    # As for Users (key, last use, 4 savepoint statements, count, page), then the members of
    # the page's teams in one prefetch.
    with django_assert_num_queries(9):
        answer = client.get("/scim/v2/Groups", **_auth(raw))

    assert answer.status_code == 200
    assert answer.json()["totalResults"] == teams
    assert [len(g["members"]) for g in answer.json()["Resources"]] == [3] * teams
