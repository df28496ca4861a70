"""The SSO page, "SSO required" with a break-glass admin, and the sign-in record."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.utils import timezone

from accounts.models import SignInRecord, SingleSignOn
from accounts.tasks import prune_sign_in_records
from tests.factories import PASSWORD
from tests.identity.conftest import DOWN_PORT

pytestmark = pytest.mark.django_db


def settings_post(issuer: str, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "oidc_enabled": "on",
        "provider_name": "Okta",
        "oidc_issuer": issuer,
        "oidc_client_id": "coachline",
        "oidc_client_secret": "s3cret-from-okta",
        "allowed_domains": "Example.com, @example.de",
        "groups_claim": "groups",
        "group_mapping": "Sales EMEA | rep | EMEA\nSales Leaders | leader",
        "jit_enabled": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("who", ["rep", "coach", "manager", "leader"])
def test_only_admins_see_sso_settings_and_sign_ins(cast, client, who, oidc_provider):
    client.force_login(cast[who])

    assert client.get("/accounts/sso/").status_code == 404
    assert client.post("/accounts/sso/", settings_post(oidc_provider.issuer)).status_code == 404
    assert client.get("/accounts/sign-ins/").status_code == 404
    assert not SingleSignOn.objects.filter(oidc_enabled=True).exists()


def test_an_admin_configures_oidc_the_secret_is_encrypted_and_kept(cast, client, oidc_provider):
    client.force_login(cast.admin)

    response = client.post("/accounts/sso/", settings_post(oidc_provider.issuer + "/"))

    assert response.status_code == 302
    sso = SingleSignOn.current()
    assert (sso.oidc_enabled, sso.oidc_issuer, sso.oidc_client_secret) == (
        True,
        oidc_provider.issuer,
        "s3cret-from-okta",
    )
    assert sso.allowed_domains == ["example.com", "example.de"]
    assert sso.group_mapping == [
        {"group": "Sales EMEA", "role": "rep", "team": "EMEA"},
        {"group": "Sales Leaders", "role": "leader", "team": ""},
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT oidc_client_secret FROM accounts_singlesignon")
        stored = cursor.fetchone()[0]
    assert stored.startswith("fernet:") and "s3cret" not in stored
    entry = LogEntry.objects.get_for_object(sso).latest("timestamp")
    assert entry.actor_id == cast.admin.pk
    assert "s3cret" not in str(entry.changes)

    client.post("/accounts/sso/", settings_post(oidc_provider.issuer, oidc_client_secret=""))
    assert SingleSignOn.current().oidc_client_secret == "s3cret-from-okta"
    assert "s3cret" not in client.get("/accounts/sso/").content.decode()


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"oidc_issuer": f"http://127.0.0.1:{DOWN_PORT}/o"}, "oidc_issuer"),
        ({"oidc_issuer": "not a url"}, "oidc_issuer"),
        ({"oidc_client_id": ""}, "oidc_client_id"),
        ({"allowed_domains": "example com"}, "allowed_domains"),
        ({"group_mapping": "Sales | king"}, "group_mapping"),
        ({"group_mapping": "just a group"}, "group_mapping"),
        ({"sso_required": "on"}, "break_glass_user"),
        ({"oidc_enabled": None, "sso_required": "on"}, "sso_required"),
    ],
)
def test_bad_sso_settings_are_refused_and_nothing_is_saved(
    cast, client, oidc_provider, changes, field
):
    client.force_login(cast.admin)

    response = client.post("/accounts/sso/", settings_post(oidc_provider.issuer, **changes))

    assert response.status_code == 200
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert not SingleSignOn.objects.filter(oidc_enabled=True).exists()
    assert not SingleSignOn.objects.filter(sso_required=True).exists()


def test_sso_required_turns_password_login_off_except_for_the_break_glass_admin(
    cast, client, oidc_sso
):
    SingleSignOn.objects.filter(pk=1).update(sso_required=True, break_glass_user=cast.admin)

    refused = client.post("/accounts/login/", {"username": "rep@example.com", "password": PASSWORD})
    glass = client.post("/accounts/login/", {"username": "admin@example.com", "password": PASSWORD})

    assert refused.status_code == 200
    assert "Your organisation signs in with single sign-on" in refused.content.decode()
    assert "Sign in with Test IdP" in refused.content.decode()
    assert glass.status_code == 302 and glass["Location"] == "/"
    records = list(SignInRecord.objects.order_by("pk").values_list("email", "succeeded", "reason"))
    assert records == [
        ("rep@example.com", False, "single sign-on required"),
        ("admin@example.com", True, ""),
    ]


def test_the_break_glass_admin_signs_in_while_the_provider_is_down(cast, client, oidc_sso):
    SingleSignOn.objects.filter(pk=1).update(
        sso_required=True,
        break_glass_user=cast.admin,
        oidc_issuer=f"http://127.0.0.1:{DOWN_PORT}/o",
    )

    assert client.get("/accounts/sso/oidc/login/").status_code == 502
    answer = client.post(
        "/accounts/login/", {"username": "admin@example.com", "password": PASSWORD}
    )

    assert answer.status_code == 302


def test_password_sign_ins_and_failures_are_recorded_with_the_address(cast, client):
    client.post(
        "/accounts/login/",
        {"username": "rep@example.com", "password": "wrong"},
        REMOTE_ADDR="198.51.100.7",
    )
    client.post(
        "/accounts/login/",
        {"username": "rep@example.com", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )

    rows = list(
        SignInRecord.objects.order_by("pk").values_list("user", "method", "ip_address", "succeeded")
    )
    assert rows == [
        (None, "password", "198.51.100.7", False),
        (cast.rep.pk, "password", "198.51.100.7", True),
    ]


@pytest.mark.parametrize("records", [1, 15])
def test_sign_ins_page_queries_do_not_grow(cast, client, django_assert_num_queries, records):
    SignInRecord.objects.bulk_create(
        SignInRecord(user=cast.rep, email="rep@example.com", method="password", succeeded=True)
        for _n in range(records)
    )
    client.force_login(cast.admin)

    # session, user, count, the page with people joined
    with django_assert_num_queries(4):
        response = client.get("/accounts/sign-ins/")

    assert response.content.decode().count("rep@example.com") == records


def test_sign_in_records_past_the_audit_retention_are_pruned(db, settings):
    settings.AUDITLOG_RETENTION_DAYS = 30
    now = timezone.now()
    old = SignInRecord.objects.create(method="password", succeeded=False, email="a@example.com")
    SignInRecord.objects.filter(pk=old.pk).update(at=now - dt.timedelta(days=31))
    kept = SignInRecord.objects.create(method="password", succeeded=True, email="b@example.com")

    assert prune_sign_in_records() == 1
    assert prune_sign_in_records() == 0
    assert list(SignInRecord.objects.values_list("pk", flat=True)) == [kept.pk]
