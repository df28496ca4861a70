"""The audit log: each listed change writes exactly one row naming who, from where, before and
after; a refused request writes none; old rows are pruned; only admins read it."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey
from core.tasks import prune_audit_log
from integrations.models import CrmConnection
from tests.factories import TeamFactory, make_api_key
from tests.fakes.fixtures import TEST_FIELD_ENCRYPTION_KEY
from tests.training.factories import AssignmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db
UPDATE, DELETE = LogEntry.Action.UPDATE, LogEntry.Action.DELETE


def signed_in(user, cls=APIClient):
    client = cls()
    client.force_login(user)  # through the session, as a browser: the middleware sees the user
    return client


def only_entry(model: str) -> LogEntry:
    app_label, name = model.split(".")
    assert LogEntry.objects.count() == 1, list(LogEntry.objects.values("content_type__model"))
    return LogEntry.objects.get(content_type__app_label=app_label, content_type__model=name)


def person_row(user, **changes):
    return {
        "email": user.email, "full_name": user.full_name, "role": user.role,
        "team": user.team.name if user.team else "",
        "manager_email": user.manager.email if user.manager else "", **changes,
    }  # fmt: skip


def test_a_role_change_is_one_row_with_who_before_after_and_address(cast):
    LogEntry.objects.all().delete()

    response = signed_in(cast.admin).post(
        "/api/v1/users/bulk", [person_row(cast.rep, role="coach")], format="json",
        REMOTE_ADDR="192.0.2.44",
    )  # fmt: skip

    assert response.status_code == 200, response.json()
    entry = only_entry("accounts.user")
    assert (entry.action, entry.object_pk, entry.changes_dict) == (
        UPDATE,
        str(cast.rep.pk),
        {"role": ["rep", "coach"]},
    )
    assert (entry.actor, entry.remote_addr) == (cast.admin, "192.0.2.44")


def test_a_team_change_is_one_row(cast):
    TeamFactory(name="Team B")  # exists already (cast), looked up by name
    LogEntry.objects.all().delete()

    signed_in(cast.admin).post(
        "/api/v1/users/bulk", [person_row(cast.rep, team="Team B")], format="json"
    )

    entry = only_entry("accounts.user")
    assert entry.changes_dict == {"team": [str(cast.rep.team_id), str(cast.other_rep.team_id)]}


def test_a_programs_costs_and_plan_changed_by_an_api_key_name_the_key(cast):
    program = ProgramFactory(slug="found", content_cost="12000", horizon_months=6)
    key, raw = make_api_key("training:write", name="LMS sync")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    LogEntry.objects.all().delete()

    response = client.patch(
        "/api/v1/programs/found/", {"content_cost": "9000", "horizon_months": 9}, format="json"
    )

    assert response.status_code == 200, response.json()
    entry = only_entry("training.program")
    assert entry.object_pk == str(program.pk)
    assert entry.changes_dict == {
        "content_cost": ["12000.00", "9000.00"],
        "horizon_months": ["6", "9"],
    }
    assert entry.actor is None
    assert entry.additional_data == {"api_key": {"id": key.pk, "name": "LMS sync"}}


def test_roi_settings_changed_by_an_admin(cast):
    client = signed_in(cast.admin)
    current = client.get("/api/v1/roi/settings").json()
    LogEntry.objects.all().delete()

    response = client.put(
        "/api/v1/roi/settings", {**current, "gross_margin_pct": "62.5"}, format="json"
    )

    assert response.status_code == 200, response.json()
    entry = only_entry("roi.roisettings")
    assert entry.changes_dict == {"gross_margin_pct": ["70.00", "62.50"]}
    assert entry.actor == cast.admin


def test_an_api_key_revoked_is_one_row(cast):
    key, _raw = make_api_key("deals:write", name="CRM bridge")
    LogEntry.objects.all().delete()

    key.revoked = True
    key.save()

    entry = only_entry("accounts.apikey")
    assert (entry.object_repr, entry.changes_dict) == ("CRM bridge", {"revoked": ["False", "True"]})


def test_a_crm_connection_change_records_that_the_secret_changed_never_the_secret(cast, settings):
    settings.FIELD_ENCRYPTION_KEY = TEST_FIELD_ENCRYPTION_KEY
    LogEntry.objects.all().delete()

    response = signed_in(cast.admin, Client).post(
        "/integrations/hubspot/settings",
        {
            "is_enabled": "on",
            "access_token": "pat-9",
            "client_secret": "cs-9",
            "api_base": "https://api.hubapi.com",
        },
    )

    assert response.status_code == 302
    entry = only_entry("integrations.crmconnection")
    assert entry.action == LogEntry.Action.CREATE
    assert entry.changes_dict["credentials"] == ["None", "(hidden)"]
    assert entry.changes_dict["is_enabled"] == ["None", "True"]
    assert "pat-9" not in str(entry.changes) + entry.changes_text
    assert CrmConnection.objects.get().is_enabled


def test_an_assignment_removed_by_a_manager(cast):
    assignment = AssignmentFactory(assignee=cast.rep, assigned_by=cast.manager)
    LogEntry.objects.all().delete()

    response = signed_in(cast.manager, Client).post(
        f"/learn/team/assignments/{assignment.pk}/remove/"
    )

    assert response.status_code == 302
    entry = only_entry("training.assignment")
    assert (entry.action, entry.actor, entry.object_pk) == (
        DELETE,
        cast.manager,
        str(assignment.pk),
    )
    assert entry.changes_dict["assignee"] == [str(cast.rep.pk), "None"]


@pytest.mark.parametrize("who", ["rep", "coach", "manager", "leader"])
def test_a_refused_change_writes_no_row(cast, who):
    ProgramFactory(slug="found", content_cost="12000")
    assignment = AssignmentFactory(assignee=cast.other_rep)
    LogEntry.objects.all().delete()
    api = signed_in(cast[who])
    page = signed_in(cast[who], Client)

    responses = [
        api.patch("/api/v1/programs/found/", {"content_cost": "1"}, format="json"),
        api.put("/api/v1/roi/settings", {"gross_margin_pct": "1"}, format="json"),
        api.post("/api/v1/users/bulk", [person_row(cast.rep, role="admin")], format="json"),
        page.post(f"/learn/team/assignments/{assignment.pk}/remove/"),
        page.post("/integrations/hubspot/settings", {"access_token": "x", "api_base": "x"}),
    ]

    assert all(r.status_code in (400, 403, 404) or (r.status_code == 200 and r.json()["errors"])
               for r in responses), [r.status_code for r in responses]  # fmt: skip
    assert LogEntry.objects.count() == 0
    assert ApiKey.objects.count() == 0


def test_rows_older_than_the_retention_are_pruned(cast, settings):
    settings.AUDITLOG_RETENTION_DAYS = 30
    key, _raw = make_api_key("deals:write", name="old")
    LogEntry.objects.all().delete()
    key.revoked = True
    key.save()
    key.name = "recent"
    key.save()
    old, recent = LogEntry.objects.order_by("pk")
    LogEntry.objects.filter(pk=old.pk).update(timestamp=timezone.now() - dt.timedelta(days=31))
    LogEntry.objects.filter(pk=recent.pk).update(timestamp=timezone.now() - dt.timedelta(days=29))

    assert prune_audit_log() == 1
    assert list(LogEntry.objects.values_list("pk", flat=True)) == [recent.pk]


def test_the_audit_page_lists_and_filters_for_admins(cast, django_assert_num_queries):
    make_api_key("deals:write", name="Key one")
    ProgramFactory(slug="found")
    # the cast's own creation (people and teams)
    LogEntry.objects.filter(content_type__model__in=["user", "team"]).delete()
    signed_in(cast.admin).post(
        "/api/v1/users/bulk", [person_row(cast.rep, role="coach")], format="json"
    )
    page = signed_in(cast.admin, Client)

    # Queries: the session, the admin, the count, the page (actor and model joined).
    with django_assert_num_queries(4):
        response = page.get("/accounts/audit/?what=accounts.user")

    assert response.status_code == 200
    rows = response.context["entries"]
    assert [(r.what, r.who, r.changes) for r in rows] == [
        ("user: Remy Rep", "Ada Admin <admin@example.com>", [("role", "rep", "coach")])
    ]
    everything = page.get("/accounts/audit/").context["page"].paginator.count
    assert everything == LogEntry.objects.count() == 3  # the key, the program, the role


@pytest.mark.parametrize("who", ["rep", "coach", "manager", "leader"])
def test_the_audit_page_is_for_admins_only(cast, who):
    assert signed_in(cast[who], Client).get("/accounts/audit/").status_code == 404
