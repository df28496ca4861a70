import pytest
import yaml

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_readyz_is_503_when_the_broker_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_openapi_schema_is_valid_openapi_3(client):
    from openapi_spec_validator import validate

    response = client.get("/api/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    validate(schema)
    assert "/api/v1/users/bulk" in schema["paths"]


def test_api_docs_are_served_from_local_assets(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in body
    assert "cdn" not in body.lower()


def test_unknown_api_path_answers_json_404_for_signed_in_users(cast, client_for):
    response = client_for("rep").get("/api/v1/users/999999/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found.", "errors": []}


def test_unauthenticated_api_gets_401_with_the_error_shape(client):
    response = client.get("/api/v1/users/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_the_menu_marks_only_the_closest_section(cast, client):
    client.force_login(cast.manager)

    body = client.get("/learn/team/").content.decode()

    assert body.count('aria-current="page"') == 1
    assert 'aria-current="page">Team progress<' in body
