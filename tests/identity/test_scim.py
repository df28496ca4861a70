"""SCIM 2.0 at /scim/v2/: authentication by a `scim` key, Users and Groups (teams), filters,
paging, PATCH, ETags, soft deactivation and deletion, refusals in the SCIM error format."""

import json
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client

from accounts.models import ApiKey, Scope, SingleSignOn, Team, User
from coaching.models import CoachingSession
from deals.models import Deal
from tests.coaching.factories import SessionFactory
from tests.deals.factories import DealFactory
from tests.factories import TeamFactory, UserFactory, make_api_key
from tests.training.factories import CompletionFactory
from training.models import Completion

pytestmark = pytest.mark.django_db

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def patch_op(op: str, path: str, value: Any = None) -> dict[str, Any]:
    operation = {"op": op, "path": path} | ({} if value is None else {"value": value})
    return {"schemas": [PATCH], "Operations": [operation]}


class Scim:
    def __init__(self, client: Client, raw: str) -> None:
        self.client = client
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        response = getattr(self.client, method)(
            f"/scim/v2{path}",
            data=json.dumps(body) if body is not None else None,
            content_type="application/scim+json",
            **self.auth,
            **headers,
        )
        response.json_body = json.loads(response.content) if response.content else None
        return response

    def create_user(self, user_name: str, **extra: Any) -> Any:
        body = {
            "schemas": [USER],
            "userName": user_name,
            "emails": [{"value": user_name, "type": "work", "primary": True}],
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            **extra,
        }
        return self.call("post", "/Users", body)


@pytest.fixture
def scim(client: Client) -> Scim:
    _key, raw = make_api_key(Scope.SCIM, name="Okta SCIM")
    return Scim(client, raw)


def test_refuses_without_a_key_or_without_the_scim_scope(client):
    _key, raw = make_api_key(Scope.USERS_WRITE)

    anonymous = client.get("/scim/v2/Users")
    wrong_scope = client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {raw}")
    bad_key = client.get("/scim/v2/Users", HTTP_AUTHORIZATION="Bearer nope.nope")

    assert anonymous.status_code == 401
    assert anonymous.json()["schemas"] == [ERROR]
    assert "Bearer" in anonymous["WWW-Authenticate"]
    assert wrong_scope.status_code == 403
    assert wrong_scope.json()["schemas"] == [ERROR]
    assert bad_key.status_code == 401
    # The service description needs no credentials (RFC 7644 4).
    config = client.get("/scim/v2/ServiceProviderConfig")
    assert config.status_code == 200
    assert config.json()["etag"] == {"supported": True}
    assert config.json()["patch"] == {"supported": True}


def test_create_then_find_by_user_name_and_external_id(scim):
    created = scim.create_user("Ada@Example.com", externalId="okta-00u1")

    assert created.status_code == 201, created.json_body
    person = User.objects.get(email="ada@example.com")
    assert person.full_name == "Ada Lovelace"
    assert person.role == "rep"
    assert not person.has_usable_password()
    assert created["ETag"].startswith('W/"')
    assert created.json_body["id"] == str(person.pk)

    by_name = scim.call("get", '/Users?filter=userName eq "ada@example.COM"')
    by_external = scim.call("get", '/Users?filter=externalId eq "okta-00u1"')
    wrong_case_external = scim.call("get", '/Users?filter=externalId eq "OKTA-00U1"')

    assert by_name.json_body["totalResults"] == 1
    assert by_name.json_body["Resources"][0]["userName"] == "Ada@Example.com"
    assert by_external.json_body["Resources"][0]["id"] == str(person.pk)
    assert wrong_case_external.json_body["totalResults"] == 0  # externalId is case-exact


def test_people_from_before_scim_are_found_by_email_as_user_name(scim):
    existing = UserFactory(email="grace@example.com")

    found = scim.call("get", '/Users?filter=userName eq "grace@example.com"')

    assert found.json_body["Resources"][0]["id"] == str(existing.pk)


def test_pagination_counts_everyone_and_pages_by_start_index(scim):
    UserFactory.create_batch(5)

    first = scim.call("get", "/Users?startIndex=1&count=2").json_body
    third = scim.call("get", "/Users?startIndex=5&count=2").json_body

    assert first["totalResults"] == 5
    assert first["itemsPerPage"] == 2
    assert third["startIndex"] == 5
    assert len(third["Resources"]) == 1


def test_unknown_attribute_and_duplicate_user_name_are_refused_and_nothing_is_created(scim):
    scim.create_user("ada@example.com")
    before = User.objects.count()

    unknown = scim.create_user("bob@example.com", title="VP Sales")
    duplicate = scim.create_user("ADA@example.com")
    no_email = scim.call("post", "/Users", {"schemas": [USER], "userName": "bob"})
    bad_filter = scim.call("get", '/Users?filter=userName eq "x" and (')

    assert unknown.status_code == 400
    assert unknown.json_body["schemas"] == [ERROR]
    assert duplicate.status_code == 409
    assert duplicate.json_body["scimType"] == "uniqueness"
    assert no_email.status_code == 400
    assert bad_filter.status_code == 400
    assert bad_filter.json_body["scimType"] == "invalidFilter"
    assert User.objects.count() == before


def test_patch_active_false_deactivates_ends_sessions_and_keys_and_keeps_history(scim, client):
    person = UserFactory(email="rep@example.com")
    own_key, own_raw = make_api_key(Scope.DEALS_READ)
    ApiKey.objects.filter(pk=own_key.pk).update(created_by=person)
    CompletionFactory(user=person)
    SessionFactory(rep=person)
    DealFactory(owner=person)
    browser = Client()
    browser.force_login(person)
    assert browser.get("/").status_code == 200

    patched = scim.call(
        "patch",
        f"/Users/{person.pk}",
        {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]},
    )

    assert patched.status_code == 200, patched.json_body
    assert patched.json_body["active"] is False
    person.refresh_from_db()
    assert not person.is_active
    assert ApiKey.objects.get(pk=own_key.pk).revoked
    assert browser.get("/").status_code == 302  # the open session ended
    assert Completion.objects.filter(user=person).count() == 1
    assert CoachingSession.objects.filter(rep=person).count() == 1
    assert Deal.objects.filter(owner=person).count() == 1
    entry = LogEntry.objects.get_for_object(person).latest("timestamp")
    assert entry.changes_dict["is_active"] == ["True", "False"]
    assert entry.additional_data["api_key"]["name"] == "Okta SCIM"


def test_etag_if_match_refuses_a_stale_write(scim):
    created = scim.create_user("ada@example.com")
    path = f"/Users/{created.json_body['id']}"
    stale = created["ETag"]
    scim.call(
        "patch",
        path,
        patch_op("replace", "displayName", "A"),
    )

    refused = scim.call(
        "patch",
        path,
        patch_op("replace", "displayName", "B"),
        HTTP_IF_MATCH=stale,
    )
    current = scim.call("get", path)
    unchanged = scim.call("get", path, HTTP_IF_NONE_MATCH=current["ETag"])

    assert refused.status_code == 412
    assert current.json_body["displayName"] == "A"
    assert unchanged.status_code == 304


def test_delete_deactivates_hides_and_a_new_post_brings_the_person_back(scim):
    created = scim.create_user("ada@example.com")
    person = User.objects.get(email="ada@example.com")
    CompletionFactory(user=person)

    deleted = scim.call("delete", f"/Users/{person.pk}")

    assert deleted.status_code == 204
    assert scim.call("get", f"/Users/{person.pk}").status_code == 404
    person.refresh_from_db()
    assert not person.is_active
    assert Completion.objects.filter(user=person).exists()

    again = scim.create_user("ada@example.com")

    assert again.status_code == 201
    assert again.json_body["id"] == created.json_body["id"]
    person.refresh_from_db()
    assert person.is_active


def test_the_break_glass_admin_cannot_be_deactivated_by_provisioning(scim):
    admin = UserFactory(role="admin")
    SingleSignOn.objects.filter(pk=SingleSignOn.current().pk).update(break_glass_user=admin)

    refused = scim.call(
        "patch",
        f"/Users/{admin.pk}",
        {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]},
    )

    assert refused.status_code == 400
    assert refused.json_body["schemas"] == [ERROR]
    admin.refresh_from_db()
    assert admin.is_active


def test_groups_are_teams_and_members_move_between_them(scim):
    ada, bob = UserFactory(), UserFactory()
    old = TeamFactory(name="Old")
    bob.team = old
    bob.save()

    created = scim.call(
        "post",
        "/Groups",
        {"schemas": [GROUP], "displayName": "EMEA", "members": [{"value": str(ada.pk)}]},
    )
    team = Team.objects.get(name="EMEA")
    added = scim.call(
        "patch",
        f"/Groups/{team.pk}",
        {
            "schemas": [PATCH],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": str(bob.pk)}]}],
        },
    )
    removed = scim.call(
        "patch",
        f"/Groups/{team.pk}",
        patch_op("remove", f'members[value eq "{ada.pk}"]'),
    )

    assert created.status_code == 201, created.json_body
    assert added.status_code == 200, added.json_body
    assert removed.status_code == 200, removed.json_body
    ada.refresh_from_db()
    bob.refresh_from_db()
    assert ada.team is None
    assert bob.team == team
    group = scim.call("get", f"/Groups/{team.pk}").json_body
    assert [m["value"] for m in group["members"]] == [str(bob.pk)]
    bob_scim = scim.call("get", f"/Users/{bob.pk}").json_body
    assert bob_scim["groups"][0]["display"] == "EMEA"
    by_name = scim.call("get", '/Groups?filter=displayName eq "emea"').json_body
    assert by_name["totalResults"] == 1
    unknown_member = scim.call(
        "post", "/Groups", {"schemas": [GROUP], "displayName": "X", "members": [{"value": "999"}]}
    )
    assert unknown_member.status_code == 400
    assert not Team.objects.filter(name="X").exists()


def test_deleting_a_group_keeps_the_team(scim):
    team = TeamFactory(name="APAC")
    member = UserFactory(team=team)

    assert scim.call("delete", f"/Groups/{team.pk}").status_code == 204
    assert scim.call("get", f"/Groups/{team.pk}").status_code == 404
    member.refresh_from_db()
    assert member.team == team


def test_the_sso_page_gives_the_scim_url_and_creates_a_token_shown_once(client, cast):
    client.force_login(cast["admin"])

    page = client.get("/accounts/sso/")
    created = client.post("/accounts/sso/scim-token/", {"name": "Okta"})

    assert page.status_code == 200
    assert "http://testserver/scim/v2" in page.content.decode()
    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    key = ApiKey.objects.get(name="Okta")
    assert key.scopes == [Scope.SCIM]
    assert key.created_by == cast["admin"]
    raw = created.context["token"]
    answer = client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == 200
    listed = client.get("/accounts/sso/").content.decode()
    assert key.prefix in listed
    assert raw not in listed


@pytest.mark.parametrize("who", ["rep", "coach", "manager", "leader"])
def test_only_admins_create_provisioning_tokens(client, cast, who):
    client.force_login(cast[who])

    assert client.post("/accounts/sso/scim-token/", {"name": "x"}).status_code == 404
    assert not ApiKey.objects.exists()
