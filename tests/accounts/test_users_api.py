import pytest

from accounts.models import CoachAssignment, CrmIdentity, Team, User

pytestmark = pytest.mark.django_db

ROWS = [
    {
        "email": "Nia.Boss@Example.com",
        "full_name": "Nia Boss",
        "role": "manager",
        "team": "Growth",
        "hire_date": "2020-02-01",
        "time_zone": "Europe/Berlin",
    },
    {
        "email": "sam.seller@example.com",
        "full_name": "Sam Seller",
        "role": "rep",
        "team": "Growth",
        "manager_email": "nia.boss@example.com",
        "coach_email": "coach@example.com",
        "hire_date": "2023-05-02",
        "time_zone": "America/Chicago",
        "crm_ids": {"salesforce": "005XYZ", "hubspot": 123},
    },
]


def test_bulk_creates_people_teams_and_links(cast, key_client):
    response = key_client("users:write").post("/api/v1/users/bulk", ROWS, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "received": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
    }
    sam = User.objects.get(email="sam.seller@example.com")
    assert sam.manager.email == "nia.boss@example.com"
    assert sam.team.name == "Growth"
    assert str(sam.hire_date) == "2023-05-02"
    assert CoachAssignment.objects.filter(coach=cast.coach, coachee=sam).count() == 1
    assert dict(sam.crm_identities.values_list("source", "owner_id")) == {
        "salesforce": "005XYZ",
        "hubspot": "123",
    }
    assert Team.objects.filter(name="Growth").count() == 1


def test_bulk_is_idempotent(cast, key_client):
    client = key_client("users:write")
    client.post("/api/v1/users/bulk", ROWS, format="json")

    again = client.post("/api/v1/users/bulk", ROWS, format="json").json()

    assert again == {"received": 2, "created": 0, "updated": 0, "unchanged": 2, "errors": []}


def test_bulk_counts_updates(cast, key_client):
    client = key_client("users:write")
    client.post("/api/v1/users/bulk", ROWS, format="json")
    changed = [ROWS[0], {**ROWS[1], "full_name": "Samantha Seller"}]

    result = client.post("/api/v1/users/bulk", changed, format="json").json()

    assert (result["updated"], result["unchanged"]) == (1, 1)
    assert User.objects.get(email="sam.seller@example.com").full_name == "Samantha Seller"


def test_bad_rows_are_reported_and_good_rows_land(cast, key_client):
    rows = [
        {"email": "not-an-email", "full_name": "X"},
        {"email": "a@example.com", "full_name": "A", "role": "wizard"},
        {"email": "b@example.com", "full_name": "B", "manager_email": "ghost@example.com"},
        {"email": "c@example.com", "full_name": "C", "hire_date": "yesterday"},
        {"email": "d@example.com", "full_name": "D", "crm_ids": {"salesforce": "005X"}},
        {"email": "e@example.com", "full_name": "E", "crm_ids": {"salesforce": "005X"}},
        {"email": "f@example.com", "full_name": "F", "time_zone": "Mars/Olympus"},
    ]

    result = key_client("users:write").post("/api/v1/users/bulk", rows, format="json").json()

    assert [(e["index"], e["field"]) for e in result["errors"]] == [
        (0, "email"),
        (1, "role"),
        (2, "manager_email"),
        (3, "hire_date"),
        (5, "crm_ids"),
        (6, "time_zone"),
    ]
    assert result["created"] == 1
    assert set(
        User.objects.filter(email__in=[r["email"] for r in rows]).values_list("email", flat=True)
    ) == {"d@example.com"}
    assert CrmIdentity.objects.filter(owner_id="005X").get().user.email == "d@example.com"


def test_a_row_pointing_at_a_failed_row_fails_too(cast, key_client):
    rows = [
        {"email": "boss@example.com", "full_name": "", "role": "manager"},
        {"email": "minion@example.com", "full_name": "M", "manager_email": "boss@example.com"},
    ]

    result = key_client("users:write").post("/api/v1/users/bulk", rows, format="json").json()

    assert [(e["index"], e["field"]) for e in result["errors"]] == [
        (0, "full_name"),
        (1, "manager_email"),
    ]
    assert not User.objects.filter(email__in=["boss@example.com", "minion@example.com"]).exists()


def test_bulk_body_must_be_a_list(cast, key_client):
    response = key_client("users:write").post("/api/v1/users/bulk", {"email": "x"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("rep", 403), ("manager", 403), ("leader", 403), ("admin", 200)],
)
def test_who_may_bulk_upsert_people(cast, client_for, who, status):
    before = User.objects.count()

    response = client_for(who).post("/api/v1/users/bulk", ROWS, format="json")

    assert response.status_code == status
    assert User.objects.count() == before + (2 if status == 200 else 0)


def test_keys_need_the_write_scope(cast, key_client):
    before = User.objects.count()

    response = key_client("users:read").post("/api/v1/users/bulk", ROWS, format="json")

    assert response.status_code == 403
    assert User.objects.count() == before


def test_wrong_or_revoked_key_is_401(cast, client):
    from tests.factories import make_api_key

    key, raw = make_api_key("users:read")
    key.revoked = True
    key.save()

    assert client.get("/api/v1/users/", HTTP_AUTHORIZATION="Bearer nope.nope").status_code == 401
    assert client.get("/api/v1/users/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_a_key_records_when_it_was_last_used(cast, key_client):
    from accounts.models import ApiKey

    key_client("users:read").get("/api/v1/users/")

    assert ApiKey.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    ("who", "count"), [("rep", 1), ("coach", 3), ("manager", 4), ("leader", 9), ("admin", 9)]
)
def test_user_list_is_limited_to_visible_people(cast, client_for, who, count):
    response = client_for(who).get("/api/v1/users/")

    assert response.status_code == 200
    assert response.json()["count"] == count


@pytest.mark.parametrize(
    ("who", "status"), [("rep", 404), ("coach", 200), ("other_manager", 404), ("leader", 200)]
)
def test_user_detail_answers_404_outside_visibility(cast, client_for, who, status):
    response = client_for(who).get(f"/api/v1/users/{cast.rep_peer.pk}/")

    assert response.status_code == status


def test_user_list_runs_constant_queries(cast, client_for, django_assert_max_num_queries):
    from tests.factories import CoachAssignmentFactory, CrmIdentityFactory, UserFactory

    for _ in range(30):
        person = UserFactory()
        CrmIdentityFactory(user=person)
        CoachAssignmentFactory(coachee=person)
    client = client_for("admin")

    # session user, count, page of users (+team, manager), crm ids, coaches
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/users/?page_size=100")
    assert response.json()["count"] == 69
