"""No privilege escalation by key: the admin and leader roles are granted or removed only by a
signed-in admin or a key with the users:admin scope (issue #11, item 3)."""

import pytest
from django.test import override_settings

from accounts.models import User
from accounts.roles import Role

pytestmark = pytest.mark.django_db

REFUSED = (
    "Granting or removing the admin or leader role needs a signed-in admin or an API key with "
    "the users:admin scope."
)
GOOD_ROW = {"email": "new.rep@example.com", "full_name": "New Rep", "role": "rep"}


def _row(email, role):
    return {"email": email, "full_name": "Changed Name", "role": role}


# (who is in the row: a new address or a cast member, the role the row asks for)
PRIVILEGE_CHANGES = [
    pytest.param("new.admin@example.com", "admin", id="create-admin"),
    pytest.param("new.leader@example.com", "leader", id="create-leader"),
    pytest.param("rep@example.com", "admin", id="promote-rep-to-admin"),
    pytest.param("coach@example.com", "leader", id="promote-coach-to-leader"),
    pytest.param("admin@example.com", "rep", id="demote-admin"),
    pytest.param("leader@example.com", "manager", id="demote-leader"),
    pytest.param("leader@example.com", "admin", id="leader-to-admin"),
]


def _snapshot():
    return sorted(User.objects.values_list("email", "full_name", "role", "is_staff"))


@pytest.mark.parametrize(("email", "role"), PRIVILEGE_CHANGES)
def test_a_users_write_key_cannot_grant_or_remove_admin_or_leader(cast, key_client, email, role):
    before = _snapshot()

    response = key_client("users:write").post(
        "/api/v1/users/bulk", [_row(email, role), GOOD_ROW], format="json"
    )

    assert response.status_code == 200
    assert response.json() == {
        "received": 2,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "errors": [{"index": 0, "field": "role", "message": REFUSED, "key": email}],
    }
    after = [row for row in _snapshot() if row[0] != GOOD_ROW["email"]]
    assert after == before


@pytest.mark.parametrize(("email", "role"), PRIVILEGE_CHANGES)
@pytest.mark.parametrize("who", ["users:admin key", "signed-in admin"])
def test_an_admin_or_a_users_admin_key_may(cast, key_client, client_for, who, email, role):
    client = (
        key_client("users:write", "users:admin")
        if who == "users:admin key"
        else client_for("admin")
    )

    response = client.post("/api/v1/users/bulk", [_row(email, role)], format="json")

    assert response.status_code == 200
    assert response.json()["errors"] == []
    person = User.objects.get(email=email)
    assert (person.role, person.is_staff) == (role, role == Role.ADMIN)


def test_a_users_write_key_may_still_edit_privileged_people_without_changing_their_role(
    cast, key_client
):
    rows = [_row("admin@example.com", "admin"), _row("leader@example.com", "leader")]

    result = key_client("users:write").post("/api/v1/users/bulk", rows, format="json").json()

    assert (result["updated"], result["errors"]) == (2, [])
    assert set(User.objects.filter(full_name="Changed Name").values_list("email", "role")) == {
        ("admin@example.com", "admin"),
        ("leader@example.com", "leader"),
    }


def test_a_refused_manager_row_fails_the_rows_that_point_at_it(cast, key_client):
    rows = [
        {"email": "boss@example.com", "full_name": "Boss", "role": "leader"},
        {"email": "minion@example.com", "full_name": "M", "manager_email": "boss@example.com"},
    ]

    result = key_client("users:write").post("/api/v1/users/bulk", rows, format="json").json()

    assert [(e["index"], e["field"]) for e in result["errors"]] == [
        (0, "role"),
        (1, "manager_email"),
    ]
    assert not User.objects.filter(email__in=["boss@example.com", "minion@example.com"]).exists()


def test_users_bulk_refuses_more_than_ten_thousand_rows_with_413(cast, key_client):
    rows = [
        {"email": f"p{n}@example.com", "full_name": f"P {n}", "role": "rep"} for n in range(10_001)
    ]
    before = User.objects.count()

    response = key_client("users:write").post("/api/v1/users/bulk", rows, format="json")

    assert response.status_code == 413
    assert response.json() == {
        "code": "payload_too_large",
        "detail": "At most 10000 rows per request; split the list.",
        "errors": [],
    }
    assert User.objects.count() == before


@override_settings(BULK_SYNC_MAX_ROWS=2)
def test_users_bulk_takes_exactly_the_limit(cast, key_client):
    rows = [{"email": f"p{n}@example.com", "full_name": f"P {n}"} for n in range(2)]

    response = key_client("users:write").post("/api/v1/users/bulk", rows, format="json")

    assert (response.status_code, response.json()["created"]) == (200, 2)
