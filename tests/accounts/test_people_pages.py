"""The admin's People and API keys pages: who may use them, what they change, the audit rows."""

import datetime as dt
import re

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.utils import timezone

from accounts.models import ApiKey, CoachAssignment, CrmIdentity, Team, User
from accounts.roles import Role
from tests.factories import CrmIdentityFactory, TeamFactory, UserFactory, make_api_key

pytestmark = pytest.mark.django_db

NOT_ADMINS = ["rep", "coach", "manager", "leader"]


def person_post(user: User, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "full_name": user.full_name,
        "role": user.role,
        "team": user.team_id or "",
        "manager": user.manager_id or "",
        "coaches": [link.coach_id for link in user.coach_links.all()],
        "hire_date": "",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("who", NOT_ADMINS)
@pytest.mark.parametrize(
    "method,url",
    [
        ("get", "/accounts/people/invite/"),
        ("get", "/accounts/people/{rep}/"),
        ("post", "/accounts/people/{rep}/"),
        ("post", "/accounts/people/{rep}/active/"),
        ("post", "/accounts/people/{rep}/invite-again/"),
        ("get", "/accounts/teams/"),
        ("post", "/accounts/teams/"),
        ("get", "/accounts/teams/{team}/"),
        ("post", "/accounts/teams/{team}/"),
        ("post", "/accounts/people/{rep}/crm-ids/"),
        ("get", "/accounts/api-keys/"),
        ("post", "/accounts/api-keys/"),
        ("get", "/learn/people/{rep}/attempts/"),
        ("post", "/learn/people/{rep}/attempts/"),
    ],
)
def test_only_admins_manage_people_and_keys(cast, client, who, method, url):
    client.force_login(cast[who])
    before = list(User.objects.values_list("pk", "role", "is_active", "team_id"))
    teams_before = list(Team.objects.values_list("pk", "name", "manager_id"))
    data = {
        **person_post(cast.rep, role=Role.ADMIN),
        "name": "Hijacked",
        "source": "hubspot",
        "owner_id": "X1",
    }

    response = getattr(client, method)(url.format(rep=cast.rep.pk, team=cast.rep.team_id), data)

    assert response.status_code == 404
    assert list(User.objects.values_list("pk", "role", "is_active", "team_id")) == before
    assert list(Team.objects.values_list("pk", "name", "manager_id")) == teams_before
    assert ApiKey.objects.count() == 0
    assert not CrmIdentity.objects.exists()


def test_people_search_filters_by_name_role_team_and_status(cast, client):
    cast.other_rep.is_active = False
    cast.other_rep.save()
    client.force_login(cast.admin)

    def names(query: str) -> list[str]:
        body = client.get(f"/accounts/people/?{query}").content.decode()
        return sorted(p.full_name for p in User.objects.all() if f">{p.full_name}</a>" in body)

    assert names("q=remy") == ["Remy Rep"]
    assert names("q=PEER%40example") == ["Pat Peer"]
    assert names("role=coach") == ["Cole Coach", "Olga Coach"]
    assert names(f"team={cast.rep.team_id}&role=rep") == ["Pat Peer", "Remy Rep"]
    assert names("status=inactive") == ["Otto Rep"]


def test_people_search_with_a_bad_filter_shows_everyone_and_the_error(cast, client):
    client.force_login(cast.admin)

    response = client.get("/accounts/people/?team=99999999999999999999&role=king")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Remy Rep" in body and "Otto Rep" in body
    assert "Select a valid choice" in body


@pytest.mark.parametrize("extra_people", [0, 12])
def test_people_page_query_count_does_not_grow(
    cast, client, django_assert_num_queries, extra_people
):
    for _n in range(extra_people):
        person = UserFactory(team=cast.rep.team, manager=cast.manager)
        CrmIdentityFactory(user=person)
        CoachAssignment.objects.create(coach=cast.coach, coachee=person)
    client.force_login(cast.admin)

    # session, user, count, people (team and manager joined), their CRM ids, their coaches,
    # the team choices of the filter
    with django_assert_num_queries(7):
        response = client.get("/accounts/people/")

    assert len(re.findall(r'href="/accounts/people/\d+/"', response.content.decode())) == (
        9 + extra_people
    )


def test_an_admin_invites_someone_who_sets_a_password_and_logs_in(
    cast, client, django_capture_on_commit_callbacks
):
    client.force_login(cast.admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/people/invite/",
            {
                "email": "New.Person@Example.com",
                "full_name": "Nia New",
                "role": "rep",
                "team": cast.rep.team_id,
            },
        )

    person = User.objects.get(email="new.person@example.com")
    assert response.status_code == 302
    assert (person.role, person.team_id, person.has_usable_password()) == (
        "rep",
        cast.rep.team_id,
        False,
    )
    assert [m.to for m in mail.outbox] == [["new.person@example.com"]]
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    path = link[link.index("/accounts/reset/") :]
    client.logout()
    set_password_page = client.get(path, follow=True)
    form_url = set_password_page.redirect_chain[-1][0]
    client.post(
        form_url,
        {"new_password1": "a long new password 9", "new_password2": "a long new password 9"},
    )
    login = client.post(
        "/accounts/login/",
        {"username": "new.person@example.com", "password": "a long new password 9"},
    )
    assert login.status_code == 302 and login["Location"] == "/"


def test_inviting_an_email_already_here_is_refused(cast, client):
    client.force_login(cast.admin)

    response = client.post(
        "/accounts/people/invite/", {"email": "REP@example.com", "full_name": "X", "role": "rep"}
    )

    assert response.status_code == 200
    assert "Someone with this email is already here." in response.content.decode()
    assert User.objects.filter(email__iexact="rep@example.com").count() == 1
    assert mail.outbox == []


def test_an_admin_changes_role_team_manager_and_coaches_and_the_audit_log_says_who(cast, client):
    team_b = cast.other_rep.team
    client.force_login(cast.admin)

    response = client.post(
        f"/accounts/people/{cast.rep.pk}/",
        person_post(
            cast.rep,
            role=Role.COACH,
            team=team_b.pk,
            manager=cast.other_manager.pk,
            coaches=[cast.other_coach.pk],
            hire_date="2024-03-01",
        ),
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 302
    cast.rep.refresh_from_db()
    assert (cast.rep.role, cast.rep.team_id, cast.rep.manager_id, cast.rep.hire_date) == (
        Role.COACH,
        team_b.pk,
        cast.other_manager.pk,
        dt.date(2024, 3, 1),
    )
    assert list(
        CoachAssignment.objects.filter(coachee=cast.rep).values_list("coach_id", flat=True)
    ) == [cast.other_coach.pk]
    entry = LogEntry.objects.get_for_object(cast.rep).latest("timestamp")
    assert entry.actor_id == cast.admin.pk
    assert entry.remote_addr == "203.0.113.9"
    assert entry.changes_dict["role"] == ["rep", "coach"]


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"manager": "self"}, "manager"),
        ({"coaches": ["self"]}, "coaches"),
        ({"role": "king"}, "role"),
        ({"hire_date": "3000-01-01"}, "hire_date"),
        ({"full_name": ""}, "full_name"),
        ({"team": "99999999999999999999"}, "team"),
    ],
)
def test_bad_person_changes_are_refused_and_nothing_changes(cast, client, changes, field):
    client.force_login(cast.admin)
    changes = {
        k: (cast.rep.pk if v == "self" else [cast.rep.pk] if v == ["self"] else v)
        for k, v in changes.items()
    }
    before = User.objects.values().get(pk=cast.rep.pk)

    response = client.post(f"/accounts/people/{cast.rep.pk}/", person_post(cast.rep, **changes))

    assert response.status_code == 200
    assert response.context["form"].errors.get(field)
    assert User.objects.values().get(pk=cast.rep.pk) == before


def test_an_admin_cannot_demote_or_deactivate_themself(cast, client):
    client.force_login(cast.admin)

    demote = client.post(f"/accounts/people/{cast.admin.pk}/", person_post(cast.admin, role="rep"))
    deactivate = client.post(f"/accounts/people/{cast.admin.pk}/active/", {"active": "0"})

    assert demote.status_code == 200
    assert deactivate.status_code == 302
    cast.admin.refresh_from_db()
    assert (cast.admin.role, cast.admin.is_active) == (Role.ADMIN, True)


def test_deactivation_ends_sign_in_keeps_history_and_reactivation_restores(cast, client):
    rep_client = client.__class__()
    rep_client.force_login(cast.rep)
    CoachAssignment.objects.get(coachee=cast.rep)
    own_key, _raw = make_api_key("deals:read")
    ApiKey.objects.filter(pk=own_key.pk).update(created_by=cast.rep)
    client.force_login(cast.admin)

    client.post(f"/accounts/people/{cast.rep.pk}/active/", {"active": "0"})

    cast.rep.refresh_from_db()
    assert cast.rep.is_active is False
    assert rep_client.get("/").status_code == 302  # their open session ended
    assert CoachAssignment.objects.filter(coachee=cast.rep).count() == 1
    assert ApiKey.objects.get(pk=own_key.pk).revoked  # keys they created end with them
    entry = LogEntry.objects.get_for_object(cast.rep).latest("timestamp")
    assert (entry.actor_id, entry.changes_dict["is_active"]) == (cast.admin.pk, ["True", "False"])

    client.post(f"/accounts/people/{cast.rep.pk}/active/", {"active": "1"})
    cast.rep.refresh_from_db()
    assert cast.rep.is_active is True


def test_person_page_shows_crm_owner_ids(cast, client):
    CrmIdentityFactory(user=cast.rep, source="hubspot", owner_id="HS-77")
    client.force_login(cast.admin)

    body = client.get(f"/accounts/people/{cast.rep.pk}/").content.decode()

    assert "hubspot: <code>HS-77</code>" in body


def test_an_admin_creates_a_key_sees_it_once_and_it_works_until_revoked(cast, client):
    client.force_login(cast.admin)
    tomorrow = timezone.localdate() + dt.timedelta(days=30)

    response = client.post(
        "/accounts/api-keys/",
        {
            "name": "HR sync",
            "scopes": ["users:read"],
            "expiry_date": tomorrow.isoformat(),
            "requests_per_hour": "500",
        },
    )

    assert response["Cache-Control"] == "no-store"
    raw = response.context["created_key"]
    key = ApiKey.objects.get(name="HR sync")
    assert (key.scopes, key.requests_per_hour, key.created_by_id) == (
        ["users:read"],
        500,
        cast.admin.pk,
    )
    assert key.expiry_date.date() == tomorrow
    assert raw not in client.get("/accounts/api-keys/").content.decode()
    api = client.__class__()
    assert api.get("/api/v1/users/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None

    client.post(f"/accounts/api-keys/{key.pk}/revoke/")

    assert api.get("/api/v1/users/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    entry = LogEntry.objects.get_for_object(key).latest("timestamp")
    assert (entry.actor_id, entry.changes_dict["revoked"]) == (cast.admin.pk, ["False", "True"])


@pytest.mark.parametrize(
    "data,field",
    [
        ({"name": "", "scopes": ["users:read"]}, "name"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["root"]}, "scopes"),
        ({"name": "x", "scopes": ["users:read"], "expiry_date": "2000-01-01"}, "expiry_date"),
        ({"name": "x", "scopes": ["users:read"], "expiry_date": "9999-01-01"}, "expiry_date"),
        ({"name": "x", "scopes": ["users:read"], "requests_per_hour": "0"}, "requests_per_hour"),
        ({"name": "x" * 51, "scopes": ["users:read"]}, "name"),
    ],
)
def test_bad_key_requests_are_refused_and_nothing_is_created(cast, client, data, field):
    client.force_login(cast.admin)
    data.setdefault("requests_per_hour", "100")

    response = client.post("/accounts/api-keys/", data)

    assert response.status_code == 200
    assert response.context["form"].errors.get(field)
    assert response.context["created_key"] is None
    assert ApiKey.objects.count() == 0


@pytest.mark.parametrize("extra_keys", [0, 8])
def test_api_keys_page_query_count_does_not_grow(
    cast, client, django_assert_num_queries, extra_keys
):
    for n in range(extra_keys):
        make_api_key("deals:read", name=f"key {n}")
    client.force_login(cast.admin)

    # session, user, keys (creators joined)
    with django_assert_num_queries(3):
        response = client.get("/accounts/api-keys/")

    assert response.content.decode().count("/revoke/") == extra_keys


def test_revoking_an_unknown_key_is_404(cast, client):
    client.force_login(cast.admin)

    assert client.post("/accounts/api-keys/nope/revoke/").status_code == 404


def test_menu_has_people_keys_and_costs_for_admins_only(cast, client):
    TeamFactory()
    client.force_login(cast.admin)
    admin_body = client.get("/").content.decode()
    client.force_login(cast.manager)
    manager_body = client.get("/").content.decode()

    assert 'href="/accounts/api-keys/"' in admin_body and 'href="/impact/costs/"' in admin_body
    assert 'href="/accounts/api-keys/"' not in manager_body
    assert 'href="/impact/costs/"' not in manager_body


def test_an_admin_creates_a_team_and_changes_its_manager(cast, client):
    client.force_login(cast.admin)

    created = client.post("/accounts/teams/", {"name": " EMEA ", "manager": cast.manager.pk})
    team = Team.objects.get(name="EMEA")
    changed = client.post(
        f"/accounts/teams/{team.pk}/", {"name": "EMEA North", "manager": cast.other_manager.pk}
    )

    assert (created.status_code, changed.status_code) == (302, 302)
    team.refresh_from_db()
    assert (team.name, team.manager_id) == ("EMEA North", cast.other_manager.pk)
    entry = LogEntry.objects.get_for_object(team).latest("timestamp")
    assert (entry.actor_id, entry.changes_dict["name"]) == (cast.admin.pk, ["EMEA", "EMEA North"])


@pytest.mark.parametrize("name", ["team a", "", "x" * 121, "a\x00b"])
def test_a_duplicate_or_bad_team_name_is_refused(cast, client, name):
    client.force_login(cast.admin)
    before = list(Team.objects.values_list("pk", "name"))

    response = client.post("/accounts/teams/", {"name": name})

    assert response.status_code == 200
    assert response.context["form"].errors.get("name")
    assert list(Team.objects.values_list("pk", "name")) == before


@pytest.mark.parametrize("extra_teams", [0, 9])
def test_teams_page_queries_do_not_grow(cast, client, django_assert_num_queries, extra_teams):
    for n in range(extra_teams):
        TeamFactory(name=f"Extra {n}", manager=cast.manager)
    client.force_login(cast.admin)

    # session, user, teams (manager joined, members counted), the manager choices
    with django_assert_num_queries(4):
        response = client.get("/accounts/teams/")

    assert len(re.findall(r'href="/accounts/teams/\d+/"', response.content.decode())) == (
        2 + extra_teams
    )


def test_an_admin_adds_and_removes_a_crm_owner_id(cast, client):
    CrmIdentityFactory(user=cast.other_rep, source="hubspot", owner_id="HS-1")
    client.force_login(cast.admin)

    client.post(
        f"/accounts/people/{cast.rep.pk}/crm-ids/", {"source": "salesforce", "owner_id": "005A"}
    )
    taken = client.post(
        f"/accounts/people/{cast.rep.pk}/crm-ids/",
        {"source": "hubspot", "owner_id": "HS-1"},
        follow=True,
    )

    identity = CrmIdentity.objects.get(user=cast.rep)
    assert (identity.source, identity.owner_id) == ("salesforce", "005A")
    assert "hubspot owner HS-1 already belongs to Otto Rep." in taken.content.decode()
    other = CrmIdentity.objects.get(user=cast.other_rep)

    client.post(f"/accounts/people/{cast.rep.pk}/crm-ids/", {"remove": other.pk})
    client.post(f"/accounts/people/{cast.rep.pk}/crm-ids/", {"remove": identity.pk})

    assert list(CrmIdentity.objects.values_list("owner_id", flat=True)) == ["HS-1"]
