"""Completions imported from a previous LMS, and learning records out as xAPI statements."""

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from tests.factories import UserFactory
from tests.record_checks import disagreements
from tests.training.factories import CompletionFactory, CourseFactory, answers, make_quiz
from training.api.serializers import CompletionRowSerializer
from training.models import Completion, CompletionSource, Course, QuizAttempt
from training.services import quiz_submit
from training.services.completions_import import COMPLETION, CompletionIn

pytestmark = pytest.mark.django_db

URL = "/api/v1/completions/bulk"


@pytest.fixture
def people(db):
    return UserFactory(email="ana@example.com"), UserFactory(email="ben@example.com")


ROWS = [
    {"email": "Ana@Example.com", "course": "qualify", "completed_at": "2024-03-01", "score": 91},
    {"email": "ben@example.com", "course": "qualify", "completed_at": "2024-05-02T09:30:00Z"},
]


def test_bulk_import_creates_completions_with_their_dates(cast, key_client, people):
    CourseFactory(slug="qualify")

    response = key_client("training:write").post(URL, ROWS, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "received": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
    }
    ana = Completion.objects.get(user__email="ana@example.com")
    assert ana.completed_at == dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    assert (ana.score, ana.source) == (Decimal("91.00"), CompletionSource.IMPORT)
    assert Completion.objects.get(user__email="ben@example.com").score is None


def test_bulk_import_is_idempotent_and_counts_updates(cast, key_client, people):
    CourseFactory(slug="qualify")
    client = key_client("training:write")
    client.post(URL, ROWS, format="json")

    again = client.post(URL, ROWS, format="json").json()
    changed = client.post(URL, [ROWS[0], {**ROWS[1], "score": 70}], format="json").json()

    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert (changed["created"], changed["updated"], changed["unchanged"]) == (0, 1, 1)
    assert Completion.objects.count() == 2


def test_bad_rows_are_reported_and_the_others_land(cast, key_client, people):
    CourseFactory(slug="qualify")
    rows = [
        {"email": "ghost@example.com", "course": "qualify", "completed_at": "2024-01-01"},
        {"email": "ana@example.com", "course": "no-such-course", "completed_at": "2024-01-01"},
        {"email": "ana@example.com", "course": "qualify", "completed_at": "yesterday"},
        {"email": "ana@example.com", "course": "qualify", "completed_at": "2999-01-01"},
        {
            "email": "ana@example.com",
            "course": "qualify",
            "completed_at": "2024-01-01",
            "score": 101,
        },
        "not an object",
        {"email": "ben@example.com", "course": "qualify", "completed_at": "2024-01-01"},
    ]

    result = key_client("training:write").post(URL, rows, format="json").json()

    assert [(e["index"], e["field"]) for e in result["errors"]] == [
        (0, "email"),
        (1, "course"),
        (2, "completed_at"),
        (3, "completed_at"),
        (4, "score"),
        (5, ""),
    ]
    assert result["created"] == 1
    assert list(Completion.objects.values_list("user__email", flat=True)) == ["ben@example.com"]


def test_an_import_never_overwrites_a_completion_earned_in_coachline(cast, key_client, people):
    course = CourseFactory(slug="qualify")
    earned = CompletionFactory(user=people[0], course=course, score=Decimal("100.00"))

    result = key_client("training:write").post(URL, ROWS[:1], format="json").json()

    assert (result["updated"], result["unchanged"]) == (0, 1)
    earned.refresh_from_db()
    assert (earned.score, earned.source) == (Decimal("100.00"), CompletionSource.BROWSER)


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("rep", 403), ("manager", 403), ("leader", 403), ("admin", 200)],
)
def test_who_may_import_completions(cast, client_for, people, who, status):
    CourseFactory(slug="qualify")

    response = client_for(who).post(URL, ROWS, format="json")

    assert response.status_code == status
    assert Completion.objects.count() == (2 if status == 200 else 0)


def test_a_body_that_is_not_a_list_is_400(cast, key_client):
    response = key_client("training:write").post(URL, {"email": "x"}, format="json")

    assert response.status_code == 400


# xAPI

XAPI = "/api/v1/xapi/statements"


def _records():
    user = UserFactory(full_name="Ana Learner")
    course = CourseFactory(slug="qualify", title="Qualify")
    quiz = make_quiz(course, slug="check", questions=2, pass_mark_pct=100)
    quiz_submit(user=user, lesson=quiz, answers=answers(quiz, right=1))
    quiz_submit(user=user, lesson=quiz, answers=answers(quiz))
    return user, Completion.objects.get(user=user)


def test_statements_are_valid_xapi_with_adl_verbs(cast, key_client, settings):
    settings.SITE_URL = "https://coach.example.com"
    user, completion = _records()

    response = key_client("reports:read").get(XAPI)

    assert response.status_code == 200
    assert response["X-Experience-API-Version"] == "1.0.3"
    body = response.json()
    assert body["more"] == ""
    failed, passed, completed = body["statements"]
    assert [s["verb"]["id"] for s in body["statements"]] == [
        "http://adlnet.gov/expapi/verbs/failed",
        "http://adlnet.gov/expapi/verbs/passed",
        "http://adlnet.gov/expapi/verbs/completed",
    ]
    assert completed["actor"] == {
        "objectType": "Agent",
        "name": "Ana Learner",
        "account": {"homePage": "https://coach.example.com", "name": str(user.pk)},
    }
    assert completed["object"]["id"] == "https://coach.example.com/learn/courses/qualify/"
    assert completed["object"]["definition"]["type"] == (
        "http://adlnet.gov/expapi/activities/course"
    )
    assert completed["result"] == {
        "completion": True,
        "score": {"scaled": 1.0, "raw": 100.0, "min": 0, "max": 100},
    }
    assert failed["result"]["success"] is False
    assert failed["result"]["score"]["scaled"] == 0.5
    assert passed["context"]["contextActivities"]["parent"][0]["id"].endswith("/courses/qualify/")
    for statement in body["statements"]:
        assert statement["version"] == "1.0.0"
        assert statement["timestamp"].endswith("Z") and statement["stored"].endswith("Z")
        assert len(statement["id"]) == 36


def test_statement_ids_are_stable(cast, key_client):
    _records()
    client = key_client("reports:read")

    first = [s["id"] for s in client.get(XAPI).json()["statements"]]
    second = [s["id"] for s in client.get(XAPI).json()["statements"]]

    assert first == second and len(set(first)) == 3


def test_since_and_more_page_through_every_statement_once(cast, key_client):
    people = [UserFactory() for _ in range(5)]
    course = CourseFactory()
    for person in people:
        CompletionFactory(user=person, course=course)
    client = key_client("reports:read")

    seen = []
    url = f"{XAPI}?limit=2"
    while url:
        body = client.get(url).json()
        seen += [s["id"] for s in body["statements"]]
        url = body["more"]

    assert len(seen) == 5 and len(set(seen)) == 5
    late = Completion.objects.order_by("created_at").last()
    since = late.created_at - dt.timedelta(microseconds=1)
    only_late = client.get(XAPI, {"since": since.isoformat()}).json()["statements"]
    assert len(only_late) == 1


@pytest.mark.parametrize("params", [{"since": "last week"}, {"limit": "0"}, {"cursor": "@@@"}])
def test_bad_xapi_parameters_are_400(cast, key_client, params):
    response = key_client("reports:read").get(XAPI, params)

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("who", "status"), [("rep", 403), ("manager", 403), ("leader", 200), ("admin", 200)]
)
def test_who_may_read_learning_records(cast, client_for, who, status):
    assert client_for(who).get(XAPI).status_code == status


def test_keys_need_reports_read_for_xapi(cast, key_client):
    assert key_client("training:read").get(XAPI).status_code == 403


def test_xapi_runs_constant_queries(cast, key_client, django_assert_max_num_queries):
    course = CourseFactory()
    quiz = make_quiz(course, questions=1)
    for _ in range(20):
        person = UserFactory()
        CompletionFactory(user=person, course=course)
        QuizAttempt.objects.create(user=person, lesson=quiz, number=1, score=100, passed=True)
    client = key_client("reports:read")

    # key, key update, completions (+user, course), attempts (+user, lesson, course)
    with django_assert_max_num_queries(4):
        response = client.get(XAPI, {"limit": 100})
    assert len(response.json()["statements"]) == 40


def test_the_completion_row_is_declared_once_and_agrees_with_the_model():
    # completed_at arrives as text (a date or a date-time) and is parsed to the stored time
    problems = disagreements(
        COMPLETION, not_stored={"completed_at"}, references={"email", "course"}
    )
    assert problems == []
    # the documented row is the declared row, with the model's limits
    fields: dict[str, Any] = CompletionRowSerializer().fields
    assert list(fields) == [f.name for f in msgspec.structs.fields(CompletionIn)]
    assert {n for n, f in fields.items() if f.required} == {"email", "course", "completed_at"}
    assert fields["course"].max_length == Course._meta.get_field("slug").max_length
    assert (fields["score"].max_digits, fields["score"].decimal_places) == (5, 2)


@pytest.mark.parametrize(
    ("score", "stored"), [("", None), (None, None), ("88.456", Decimal("88.46")), (0, Decimal(0))]
)
def test_a_score_is_rounded_to_the_stored_decimals_and_an_empty_one_is_none(
    cast, key_client, people, score, stored
):
    CourseFactory(slug="qualify")
    row = {"email": "ana@example.com", "course": "qualify", "completed_at": "2024-01-01"}

    result = key_client("training:write").post(URL, [{**row, "score": score}], format="json")

    assert result.json()["errors"] == []
    assert Completion.objects.get().score == stored


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"score": True}, "score"),
        ({"score": "1e400"}, "score"),
        ({"score": [1]}, "score"),
        ({"completed_at": 20240101}, "completed_at"),
        ({"email": 7}, "email"),
        ({"course": None}, "course"),
        ({"course": "   "}, "course"),
    ],
)
def test_a_wrongly_typed_completion_field_is_a_row_error_naming_it(
    cast, key_client, people, override, field
):
    CourseFactory(slug="qualify")
    row = {"email": "ana@example.com", "course": "qualify", "completed_at": "2024-01-01"}

    result = key_client("training:write").post(URL, [{**row, **override}], format="json").json()

    assert [(e["index"], e["field"]) for e in result["errors"]] == [(0, field)]
    assert not Completion.objects.exists()
