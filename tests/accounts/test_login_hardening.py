"""Login hardening: lockout per account and per address (django-axes), admin unlock, two-factor
codes for enrolled admins and leaders (django-otp), proxy headers only from trusted proxies."""

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.two_factor import two_factor_enrolment_confirm, two_factor_enrolment_start
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def fail(client, email, times, **extra):
    """Wrong passwords; returns the status codes (the failure that reaches the limit is 429)."""
    return [
        client.post(LOGIN, {"username": email, "password": "wrong"}, **extra).status_code
        for _n in range(times)
    ]


def login(client, email, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": email, "password": password}, **extra)


def test_an_account_is_locked_after_five_failures_and_says_until_when(cast, client, settings):
    assert fail(client, "rep@example.com", settings.AXES_FAILURE_LIMIT - 1) == [200] * 4
    assert login(client, "rep@example.com").status_code == 302  # a success resets the count
    client.logout()

    fail(client, "REP@example.com", settings.AXES_FAILURE_LIMIT - 1)  # however the email is typed
    response = login(client, "rep@example.com", password="wrong")
    assert response.status_code == 429
    # The right password does not get in while locked.
    response = login(client, "rep@example.com")

    assert response.status_code == 429
    text = response.content.decode()
    assert "this account is locked until" in text
    assert "15 minutes after the last attempt" in text
    assert "ask an administrator to unlock it" in text
    assert "_auth_user_id" not in client.session
    # Another person at another address is not affected.
    assert login(client, "peer@example.com", REMOTE_ADDR="10.0.0.7").status_code == 302


def test_one_address_trying_many_accounts_is_locked(cast, client, settings):
    statuses = [
        fail(client, f"guess{n}@example.com", 1, REMOTE_ADDR="203.0.113.9")[0]
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]

    assert statuses == [200, 200, 200, 200, 429]
    assert login(client, "rep@example.com", REMOTE_ADDR="203.0.113.9").status_code == 429
    assert login(client, "rep@example.com", REMOTE_ADDR="203.0.113.10").status_code == 302


def test_the_unlock_command_lets_the_person_in_again(cast, client, settings):
    fail(client, "rep@example.com", settings.AXES_FAILURE_LIMIT)
    assert login(client, "rep@example.com").status_code == 429

    call_command("axes_reset_username", "rep@example.com")

    assert login(client, "rep@example.com").status_code == 302


def test_an_admin_unlocks_in_the_django_admin(cast, client, settings):
    fail(client, "rep@example.com", settings.AXES_FAILURE_LIMIT)
    attempt = AccessAttempt.objects.get(username="rep@example.com")
    cast.admin.is_superuser = True  # as `createsuperuser` and the demo make admins
    cast.admin.save()
    admin_client = type(client)()
    admin_client.force_login(cast.admin)

    response = admin_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="rep@example.com").exists()
    assert login(client, "rep@example.com").status_code == 302


def test_the_admin_login_page_sends_people_to_the_sites_login(client):
    response = client.get("/admin/login/?next=/admin/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/admin/")


# Two-factor ------------------------------------------------------------------------------------


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    enrolment = two_factor_enrolment_start(user=user)
    device = enrolment.device
    codes = two_factor_enrolment_confirm(user=user, token=current_code(device))
    device.refresh_from_db()
    # The confirming code may not be used again: move the device's memory back for the test.
    device.last_t = -1
    device.save()
    return device, codes


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_an_enrolled_admin_needs_the_code_after_the_password(cast, client):
    device, _codes = enrol(cast.admin)

    response = login(client, "admin@example.com")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/code/")
    assert "_auth_user_id" not in client.session  # not logged in yet
    assert client.get("/").status_code == 302

    wrong = client.post("/accounts/login/code/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    assert "_auth_user_id" not in client.session

    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    right = client.post("/accounts/login/code/", {"code": current_code(device), "next": "/"})

    assert (right.status_code, right["Location"]) == (302, "/")
    assert client.session["_auth_user_id"] == str(cast.admin.pk)
    assert client.get("/").status_code == 200


def test_a_recovery_code_logs_in_once(cast, client):
    _device, codes = enrol(cast.leader)

    login(client, "leader@example.com")
    assert client.post("/accounts/login/code/", {"code": codes[0]}).status_code == 302
    client.logout()
    login(client, "leader@example.com")
    again = client.post("/accounts/login/code/", {"code": codes[0]})

    assert again.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_code_page_without_a_password_step_sends_back_to_login(client):
    response = client.get("/accounts/login/code/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")


def test_people_without_two_factor_log_in_with_the_password_alone(cast, client):
    assert login(client, "admin@example.com")["Location"] == "/"


def test_enrolment_page_turns_two_factor_on_with_a_code_and_shows_recovery_codes(cast, client):
    client.force_login(cast.admin)
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=cast.admin, confirmed=False)

    response = client.post(
        "/accounts/two-factor/", {"action": "enable", "code": current_code(device)}
    )

    assert response.status_code == 200
    assert len(response.context["recovery_codes"]) == 10
    assert TOTPDevice.objects.get(user=cast.admin).confirmed


@pytest.mark.parametrize("role", ["rep", "coach", "manager"])
def test_two_factor_page_is_for_admins_and_leaders_only(cast, client, role):
    client.force_login(cast[role])

    assert client.get("/accounts/two-factor/").status_code == 404
    assert not TOTPDevice.objects.exists()


# Proxy headers ---------------------------------------------------------------------------------


@override_settings(SECURE_SSL_REDIRECT=True)
def test_x_forwarded_proto_is_ignored_by_default(client):
    response = client.get(LOGIN, HTTP_X_FORWARDED_PROTO="https")

    assert (response.status_code, response["Location"]) == (301, f"https://testserver{LOGIN}")


@override_settings(
    SECURE_SSL_REDIRECT=True,
    TRUSTED_PROXIES=["127.0.0.0/8"],
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
)
def test_x_forwarded_proto_is_believed_from_a_trusted_proxy(client):
    assert client.get(LOGIN, HTTP_X_FORWARDED_PROTO="https").status_code == 200
    # From any other peer the header is dropped, even with the setting on.
    response = client.get(LOGIN, HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 301


@override_settings(TRUSTED_PROXIES=["10.0.0.1"])
def test_the_lockout_counts_the_client_behind_a_trusted_proxy(cast, client, settings):
    fail(
        client, "rep@example.com", settings.AXES_FAILURE_LIMIT,
        REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5",
    )  # fmt: skip

    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"
