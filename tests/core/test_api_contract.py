"""The API as generators and integrators meet it: JSON-only bodies, a schema that says what the
answers really are (nullable fields, lists), stable names for enums and operations."""

from typing import Any

import pytest

from tests.factories import make_api_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client: Any) -> dict[str, Any]:
    return client.get("/api/schema/?format=json").json()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


@pytest.mark.parametrize(
    ("url", "scope"),
    [
        ("/api/v1/courses/", "training:write"),
        ("/api/v1/users/bulk", "users:write"),
        ("/api/v1/deals/bulk", "deals:write"),
    ],
)
def test_a_form_body_on_a_json_endpoint_is_415_naming_json(url: str, scope: str, client) -> None:
    _key, raw = make_api_key(scope)

    response = client.post(
        url, {"slug": "x", "title": "X"}, HTTP_AUTHORIZATION=f"Bearer {raw}"
    )  # multipart, as a browser form would send

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert response.json()["detail"].startswith('Unsupported media type "multipart/form-data')
    assert response.json()["detail"].endswith("Send application/json.")


def test_request_bodies_are_json_only(schema: dict[str, Any]) -> None:
    media_types = {
        media
        for _method, _path, operation in _operations(schema)
        for media in operation.get("requestBody", {}).get("content", {})
    }

    assert media_types == {"application/json"}


def test_time_zones_are_a_documented_string_not_an_enum(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]

    assert "TimeZoneEnum" not in components
    assert components["UserOutput"]["properties"]["time_zone"] == {
        "type": "string",
        "description": "An IANA time zone name, e.g. Europe/Berlin or America/Chicago.",
    }


def test_enum_names_are_the_choices_names(schema: dict[str, Any]) -> None:
    enums = sorted(name for name in schema["components"]["schemas"] if name.endswith("Enum"))

    assert enums == [
        "ActivityKindEnum",
        "CommitmentMetricEnum",
        "CommitmentStatusEnum",
        "DealFieldEnum",
        "DealStatusEnum",
        "EfficiencyPeriodEnum",
        "EvidenceGradeEnum",
        "IngestEntityEnum",
        "IngestJobKindEnum",
        "IngestJobStatusEnum",
        "LanguageEnum",
        "LessonKindEnum",
        "MethodologyEnum",
        "PrimaryMetricEnum",
        "PublishStatusEnum",
        "ReportStatusEnum",
        "RoleEnum",
        "SessionKindEnum",
        "SessionOutcomeEnum",
        "SessionStatusEnum",
        "ToolCategoryEnum",
        "ToolPricingEnum",
    ]


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("UserOutput", "team"),
        ("UserOutput", "manager_email"),
        ("AssignmentOutput", "course"),
        ("AssignmentOutput", "program"),
        ("DealOutput", "owner_email"),
    ],
)
def test_fields_that_can_be_null_are_nullable(
    schema: dict[str, Any], component: str, field: str
) -> None:
    prop = schema["components"]["schemas"][component]["properties"][field]

    assert "null" in prop["type"]


def test_the_lessons_list_is_described_as_a_paginated_list(schema: dict[str, Any]) -> None:
    operation = schema["paths"]["/api/v1/courses/{slug}/lessons/"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]

    assert operation["operationId"] == "courses_lessons_list"
    assert ref == "#/components/schemas/PaginatedLessonOutputList"


def test_operation_ids_read_well_in_a_client(schema: dict[str, Any]) -> None:
    ids = {operation["operationId"] for _method, _path, operation in _operations(schema)}

    assert {"users_bulk_upsert", "deals_bulk_upsert", "completions_bulk_import"} <= ids
    assert {"coaching_sessions_create", "coaching_sessions_cancel", "courses_list"} <= ids
    assert not [i for i in ids if i.startswith("v1_") or i.endswith("_create_create")]
    assert len(ids) == len(_operations(schema))


def test_every_operation_documents_its_errors_in_the_one_shape(schema: dict[str, Any]) -> None:
    for method, path, operation in _operations(schema):
        for code in ("400", "401", "403", "404"):
            content = operation["responses"][code].get("content")
            if content:  # the HubSpot webhook describes its own 400 and 401
                assert content["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }, (method, path, code)


# Found by the fuzzer (schemathesis in .ci/api-clients)


@pytest.mark.parametrize(
    "path", ["/api/v1/coaching/sessions/-5/reschedule", "/api/v1/courses/not%20a%20slug/"]
)
def test_an_api_path_that_matches_no_route_answers_the_json_404(path: str, client) -> None:
    _key, raw = make_api_key("coaching:write", "training:read")

    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "detail": "Not found.", "errors": []}


def test_a_page_that_matches_no_route_stays_html(client) -> None:
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"full_name": "Nul\x00Name"}, "full_name"),
        ({"crm_ids": {"hubspot": "12\x003"}}, "crm_ids"),
        ({"crm_ids": {"hubspot": "9" * 129}}, "crm_ids"),
        ({"crm_ids": {"s" * 33: "1"}}, "crm_ids"),
    ],
)
def test_users_bulk_refuses_text_the_database_cannot_hold_per_row(row, field, client) -> None:
    _key, raw = make_api_key("users:write")
    rows = [
        {"email": "bad@example.com", "full_name": "Bad", "role": "rep", **row},
        {"email": "good@example.com", "full_name": "Good", "role": "rep"},
    ]

    response = client.post(
        "/api/v1/users/bulk",
        rows,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )

    assert response.status_code == 200
    assert response.json()["created"] == 1
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(0, field)]
