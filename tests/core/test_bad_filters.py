"""Every list filter answers a clear error for values no query can use, never a 500
(issue #11, item 4). API filters: 400 naming the parameter. Pages: 400, or the page with the
form error; never 5xx."""

import pytest
from django.test import Client

from tests.coaching.factories import RubricFactory
from tests.events.factories import WebhookSubscriptionFactory
from tests.training.factories import ProgramFactory

pytestmark = pytest.mark.django_db

NUL = "ab\x00c"
HUGE = "1" + "0" * 30
DATETIMES = {
    "year 9999": "9999-12-31T23:59:59Z",
    "year 1899": "1899-12-31T00:00:00Z",
    "offset +15:00": "2025-01-01T00:00:00+15:00",
    "NUL": NUL,
}
DATES = {"year 9999": "9999-12-31", "year 1899": "1899-12-31", "NUL": NUL}
NUMBERS = {
    "huge": HUGE,
    "negative huge": "-" + HUGE,
    "NaN": "NaN",
    "Infinity": "Infinity",
    "NUL": NUL,
    "superscript one": "\u00b9",  # str.isdigit() says yes, int() says no
}
TEXTS = {"NUL": NUL, "NUL alone": "\x00"}

# (path, parameter, kind of value, scopes of the key that asks)
API_FILTERS = [
    ("/api/v1/deals/", "closed_after", DATETIMES, "deals:read"),
    ("/api/v1/deals/", "closed_before", DATETIMES, "deals:read"),
    ("/api/v1/deals/", "updated_since", DATETIMES, "deals:read"),
    ("/api/v1/deals/", "closing_after", DATES, "deals:read"),
    ("/api/v1/deals/", "closing_before", DATES, "deals:read"),
    ("/api/v1/deals/", "owner", NUMBERS, "deals:read"),
    ("/api/v1/deals/", "q", TEXTS, "deals:read"),
    ("/api/v1/deals/", "stage", TEXTS, "deals:read"),
    ("/api/v1/deals/", "source", TEXTS, "deals:read"),
    ("/api/v1/deals/", "status", TEXTS, "deals:read"),
    ("/api/v1/deals/", "slipped", TEXTS, "deals:read"),
    ("/api/v1/deals/", "lacking", TEXTS, "deals:read"),
    ("/api/v1/users/", "role", TEXTS, "users:read"),
    ("/api/v1/users/", "team__name", TEXTS, "users:read"),
    ("/api/v1/users/", "is_active", TEXTS, "users:read"),
    ("/api/v1/xapi/statements", "since", DATETIMES, "reports:read"),
    ("/api/v1/xapi/statements", "limit", NUMBERS, "reports:read"),
    ("/api/v1/xapi/statements", "cursor", TEXTS, "reports:read"),
    ("/api/v1/coaching/sessions/", "start_after", DATETIMES, "coaching:read"),
    ("/api/v1/coaching/sessions/", "start_before", DATETIMES, "coaching:read"),
    ("/api/v1/coaching/sessions/", "rep_id", NUMBERS, "coaching:read"),
    ("/api/v1/coaching/sessions/", "coach_id", NUMBERS, "coaching:read"),
    ("/api/v1/coaching/sessions/", "status", TEXTS, "coaching:read"),
    ("/api/v1/coaching/commitments/", "rep_id", NUMBERS, "coaching:read"),
    ("/api/v1/coaching/commitments/", "status", TEXTS, "coaching:read"),
    ("/api/v1/coaching/slots/?rep_id={rep}&", "coach_id", NUMBERS, "coaching:read"),
    ("/api/v1/coaching/slots/?coach_id={coach}&", "rep_id", NUMBERS, "coaching:read"),
    ("/api/v1/coaching/slots/?rep_id={rep}&coach_id={coach}&", "days", NUMBERS, "coaching:read"),
    (
        "/api/v1/coaching/slots/?rep_id={rep}&coach_id={coach}&",
        "duration",
        NUMBERS,
        "coaching:read",
    ),
    ("/api/v1/roi/programs/{program}/impact", "metric", TEXTS, "reports:read"),
    ("/api/v1/roi/coaching/overall/impact", "metric", TEXTS, "reports:read"),
    ("/api/v1/courses/", "page", NUMBERS, "training:read"),
]


def _api_cases():
    for path, name, values, scope in API_FILTERS:
        for label, value in values.items():
            yield pytest.param(path, name, value, scope, id=f"{path}?{name}={label}")


@pytest.mark.parametrize("value", NUMBERS.values(), ids=NUMBERS.keys())
def test_a_bad_page_size_falls_back_to_the_default(cast, key_client, value):
    response = key_client("deals:read").get("/api/v1/deals/", {"page_size": value})

    assert response.status_code == (400 if "\x00" in value else 200)


@pytest.mark.parametrize(("path", "name", "value", "scope"), list(_api_cases()))
def test_an_api_filter_answers_400_naming_the_parameter(cast, key_client, path, name, value, scope):
    program = ProgramFactory()
    url, _sep, fixed = path.format(
        program=program.slug, rep=cast.rep.pk, coach=cast.coach.pk
    ).partition("?")
    params = dict(pair.split("=") for pair in fixed.split("&") if pair)

    response = key_client(scope).get(url, {**params, name: value})

    if name == "page":  # an out-of-range page is DRF's 404, as for any missing page
        assert response.status_code in (400, 404)
        return
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert [e["field"] for e in body["errors"]] == [name]
    assert body["errors"][0]["message"]


# (page, parameter, kind of value)
PAGE_FILTERS = [
    ("/deals/", "closed_after", DATETIMES),
    ("/deals/", "updated_since", DATETIMES),
    ("/deals/", "closing_before", DATES),
    ("/deals/", "owner", NUMBERS),
    ("/deals/", "q", TEXTS),
    ("/deals/", "status", TEXTS),
    ("/deals/", "page", NUMBERS),
    ("/deals/hygiene/", "team", NUMBERS),
    ("/learn/catalog/", "q", TEXTS),
    ("/learn/catalog/", "tag", TEXTS),
    ("/learn/team/", "team", NUMBERS),
    ("/learn/team/", "status", TEXTS),
    ("/learn/team/", "target", TEXTS),
    ("/coaching/calendar/", "user", NUMBERS),
    ("/coaching/calendar/", "week", DATES),
    ("/coaching/trends/", "rep", NUMBERS),
    ("/coaching/trends/", "rubric", NUMBERS),
    ("/coaching/book/", "rep", NUMBERS),
    ("/coaching/book/", "start", DATETIMES),
    ("/coaching/book/", "duration", NUMBERS),
    ("/coaching/find-a-slot/", "rep", NUMBERS),
    ("/coaching/find-a-slot/", "duration", NUMBERS),
    ("/impact/programs/{program}/", "metric", TEXTS),
    ("/integrations/webhooks/{subscription}/", "status", TEXTS),
    ("/accounts/people/", "page", NUMBERS),
]


def _page_cases():
    for path, name, values in PAGE_FILTERS:
        for label, value in values.items():
            yield pytest.param(path, name, value, id=f"{path}?{name}={label}")


@pytest.mark.parametrize(("path", "name", "value"), list(_page_cases()))
def test_a_page_filter_never_answers_5xx(cast, settings, path, name, value):
    settings.FIELD_ENCRYPTION_KEY = "q9R1Zk3yqjW3m0aL4C4l7mQJ5m3v8b2e1cXJ0hZ1Ykk="
    program = ProgramFactory()
    subscription = WebhookSubscriptionFactory()
    RubricFactory()
    client = Client(raise_request_exception=True)
    client.force_login(cast.admin)
    url = path.format(program=program.slug, subscription=subscription.pk)

    response = client.get(url, {name: value})

    assert response.status_code < 500
    if "\x00" in value:
        assert response.status_code == 400
        assert response.content.decode() == (
            f"The address has a bad parameter {name}: Must not contain NUL characters."
        )
