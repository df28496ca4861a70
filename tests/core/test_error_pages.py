"""Styled error pages in the site's layout, each with a way back home."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils import translation
from django.views import defaults

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_styled_with_a_way_home(cast, client):
    client.force_login(cast.rep)

    response = client.get("/no-such-page/")

    body = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in body and 'href="/"' in body
    assert "css/app.css" in body


def test_a_missing_page_speaks_german_to_a_german_user(cast, client):
    cast.rep.language = "de"
    cast.rep.save()
    client.force_login(cast.rep)

    body = client.get("/learn/courses/no-such-course/").content.decode()

    assert "Seite nicht gefunden" in body


def test_forbidden_is_styled_with_a_way_home(cast):
    request = RequestFactory().get("/x/")
    request.user = cast.rep

    with translation.override("en"):
        response = defaults.permission_denied(request, PermissionDenied())

    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()
    assert 'href="/"' in response.content.decode()


def test_a_server_error_page_renders_without_a_request_context(django_assert_num_queries):
    request = RequestFactory().get("/x/")

    with django_assert_num_queries(0), translation.override("en"):
        response = defaults.server_error(request)

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
