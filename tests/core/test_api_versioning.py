"""/api/v1/ changes only additively: nothing that docs/openapi-v1.json (the committed contract)
promises may disappear: no operation, no operation id (generated clients name their functions
after it), no field of a successful answer, no member of an event sent to subscribers.

Adding is fine and needs nothing. After an intended, additive change, refresh the committed copy
(docs/api.md, "Versioning"):

    env -u DATABASE_URL .venv/bin/python manage.py spectacular --format openapi-json \
        --file docs/openapi-v1.json --settings=config.test_settings
"""

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.api.deprecation import deprecated
from core.api.schema import AutoSchema

pytestmark = pytest.mark.django_db

BASELINE = Path(settings.BASE_DIR) / "docs" / "openapi-v1.json"


def _fields(node: Any, components: dict[str, Any], prefix: str, seen: frozenset[str]) -> set[str]:
    """Dotted paths of every property reachable from a schema node (`[]` for array items)."""
    if not isinstance(node, dict):
        return set()
    out: set[str] = set()
    ref = node.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            return out
        return _fields(components.get(name, {}), components, prefix, seen | {name})
    for key in ("allOf", "oneOf", "anyOf"):
        for part in node.get(key, []):
            out |= _fields(part, components, prefix, seen)
    for name, prop in node.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        out.add(path)
        out |= _fields(prop, components, path, seen)
    if "items" in node:
        out |= _fields(node["items"], components, f"{prefix}[]", seen)
    return out


def _contract(schema: dict[str, Any]) -> dict[str, Any]:
    """What a v1 client relies on: operation ids and the fields of 2xx answers and events."""
    components = schema.get("components", {}).get("schemas", {})
    contract: dict[str, Any] = {}
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            fields: set[str] = set()
            for code, response in operation.get("responses", {}).items():
                if not code.startswith("2"):
                    continue
                for media in response.get("content", {}).values():
                    fields |= {
                        f"{code} {f}"
                        for f in _fields(media.get("schema"), components, "", frozenset())
                    }
            contract[f"{method.upper()} {path}"] = (operation.get("operationId"), fields)
    for name, item in schema.get("webhooks", {}).items():
        body = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        contract[f"webhook {name}"] = (None, _fields(body, components, "", frozenset()))
    return contract


def _breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    before, after = _contract(old), _contract(new)
    problems = []
    for operation, (operation_id, fields) in sorted(before.items()):
        if operation not in after:
            problems.append(f"{operation}: the operation disappeared")
            continue
        new_id, new_fields = after[operation]
        if new_id != operation_id:
            problems.append(f"{operation}: operationId {operation_id!r} became {new_id!r}")
        problems += [f"{operation}: field {f} disappeared" for f in sorted(fields - new_fields)]
    return problems


def test_nothing_the_committed_v1_contract_promises_has_disappeared(client):
    committed = json.loads(BASELINE.read_text())
    current = client.get("/api/schema/?format=json").json()

    assert _breaking_changes(committed, current) == []


def test_the_check_notices_a_removed_field_operation_and_renamed_id():
    committed = json.loads(BASELINE.read_text())
    changed = json.loads(BASELINE.read_text())
    del changed["components"]["schemas"]["UserOutput"]["properties"]["team"]
    del changed["paths"]["/api/v1/deals/bulk"]
    changed["paths"]["/api/v1/courses/"]["get"]["operationId"] = "v1_courses_list"
    del changed["webhooks"]["course.completed"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]["properties"]["data"]["properties"]["score"]

    problems = _breaking_changes(committed, changed)

    assert "POST /api/v1/deals/bulk: the operation disappeared" in problems
    assert "GET /api/v1/users/: field 200 results[].team disappeared" in problems
    assert "GET /api/v1/users/{id}/: field 200 team disappeared" in problems
    assert "GET /api/v1/courses/: operationId 'courses_list' became 'v1_courses_list'" in problems
    assert "webhook course.completed: field data.score disappeared" in problems


# Deprecation


class _OldApi(APIView):
    permission_classes: list[type] = []
    authentication_classes: list[type] = []
    schema = AutoSchema()

    @deprecated(
        since=dt.date(2027, 1, 1), sunset=dt.date(2027, 7, 1), link="https://example.com/new"
    )
    def get(self, request):  # type: ignore[no-untyped-def]
        from rest_framework.response import Response

        return Response({"ok": True})


def test_a_deprecated_operation_says_so_and_when_it_ends():
    response = _OldApi.as_view()(APIRequestFactory().get("/api/v1/old"))

    assert response.status_code == 200
    assert response["Deprecation"] == "@1798761600"
    assert response["Sunset"] == "Thu, 01 Jul 2027 00:00:00 GMT"
    assert response["Link"] == '<https://example.com/new>; rel="deprecation"'


def test_a_deprecated_operation_is_marked_in_the_schema():
    from django.urls import path
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator(patterns=[path("api/v1/old", _OldApi.as_view())])
    schema = generator.get_schema(request=None, public=True)

    assert schema["paths"]["/api/v1/old"]["get"]["deprecated"] is True


def test_a_sunset_before_the_deprecation_is_a_programming_error():
    with pytest.raises(ValueError, match="sunset must come after"):
        deprecated(since=dt.date(2027, 1, 1), sunset=dt.date(2026, 1, 1), link="x")
