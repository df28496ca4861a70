import io

import pytest
from django.core.management import call_command

from accounts.models import ApiKey, User

pytestmark = pytest.mark.django_db


def test_create_api_key_prints_a_working_key_once(client):
    out = io.StringIO()

    call_command(
        "create_api_key",
        "crm",
        "--scope",
        "deals:write",
        "--scope",
        "reports:read",
        stdout=out,
        stderr=io.StringIO(),
    )

    raw = out.getvalue().strip()
    key = ApiKey.objects.get()
    assert key.scopes == ["deals:write", "reports:read"]
    assert key.hashed_key != raw and raw not in key.hashed_key
    assert ApiKey.objects.is_valid(raw)


def test_seed_demo_is_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    first = User.objects.count()

    call_command("seed_demo", stdout=io.StringIO())

    assert User.objects.count() == first
    # The accounts step builds 4 teams of 10 reps; later steps may add people of their own.
    for team in ("Enterprise East", "Enterprise West", "Mid-Market", "Commercial"):
        assert User.objects.filter(role="rep", team__name=team).count() == 10
    assert User.objects.filter(role="leader").count() == 1
