"""Every page's query count, pinned at two data sizes (house style: constant queries).

The pages are the access matrix's (tests/core/test_access_matrix.py): every GET row of its
table that someone in the cast opens with 200. Each is requested as the widest viewer who may
open it (admin, then leader, manager, coach, rep: whoever sees the most records sees the most
growth), once over the matrix's world and once after `_more_of_everything` has added more of
every record the world holds, the rep's and their team's as well as other people's. The count
must be the one in PINS at both sizes: a page whose count grows with the data fails, and so
does a page missing from PINS.
"""

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from coaching.models import SessionKind, SessionStatus
from deals.models import CsvUpload, IngestJob, IngestJobKind
from events.models import EventType, WebhookDelivery
from practice.models import PracticeScenario
from tests.coaching.factories import (
    ActionItemFactory,
    CommitmentFactory,
    PostMortemFactory,
    SessionFactory,
    tomorrow_at,
)
from tests.core.test_access_matrix import CAST, MATRIX, World, _world
from tests.deals.factories import ActivityFactory, DealFactory
from tests.events.factories import WebhookSubscriptionFactory
from tests.factories import CoachAssignmentFactory, UserFactory, make_api_key
from tests.fakes.fixtures import field_encryption_key  # noqa: F401
from tests.practice.factories import AttemptFactory
from tests.training.factories import (
    AssignmentFactory,
    CompletionFactory,
    CourseFactory,
    LessonFactory,
    ProgramFactory,
)
from tools.models import Tool, ToolCategory, ToolPricing
from training.models import Course, Lesson

pytestmark = pytest.mark.django_db

VIEWERS = ("admin", "leader", "manager", "coach", "rep")
COPIES = 4


@pytest.fixture(autouse=True)
def _secrets_need_a_key(field_encryption_key: str) -> None:  # noqa: F811
    pass


def _pages() -> dict[str, tuple[str, str]]:
    """url name -> (path template, the widest viewer who gets 200)."""
    pages = {}
    for name, (method, template, answers) in MATRIX.items():
        if method != "GET":
            continue
        by_who = dict(zip(CAST, answers, strict=True))
        viewer = next((who for who in VIEWERS if by_who[who] == 200), None)
        if viewer is not None:
            pages[name] = (template, viewer)
    return pages


PAGES = _pages()


def _more_of_everything(cast: Any, world: World, copies: int) -> None:
    """More of every record the world holds: the rep's own, new reps on the rep's team (coached
    by the coach), and records of nobody the viewers know."""
    course = Course.objects.get(slug=world["course"])
    scenario = PracticeScenario.objects.get(lesson_id=world["practice_lesson"])
    subscription = WebhookSubscriptionFactory()
    for n in range(copies):
        teammate = UserFactory(team=cast.rep.team, manager=cast.manager)
        CoachAssignmentFactory(coach=cast.coach, coachee=teammate)
        for owner in (cast.rep, teammate, cast.other_rep):
            DealFactory(owner=owner)
            ActivityFactory(deal=DealFactory(owner=owner))
        past = tomorrow_at(8) - dt.timedelta(days=10 + n)
        done = SessionFactory(
            coach=cast.coach,
            rep=cast.rep,
            kind=SessionKind.DEAL_POST_MORTEM,
            status=SessionStatus.COMPLETED,
            start=past,
            end=past + dt.timedelta(hours=1),
        )
        post_mortem = PostMortemFactory(session=done)
        CommitmentFactory(post_mortem=post_mortem)
        ActionItemFactory(session=done, owner=cast.rep)
        upcoming = tomorrow_at(12) + dt.timedelta(days=n)
        SessionFactory(
            coach=cast.coach, rep=teammate, start=upcoming, end=upcoming + dt.timedelta(hours=1)
        )
        LessonFactory(course=course)
        other_course = CourseFactory()
        LessonFactory(course=other_course)
        CourseFactory(status="draft")
        ProgramFactory()
        AssignmentFactory(assignee=cast.rep, course=other_course, assigned_by=cast.manager)
        AssignmentFactory(assignee=teammate, course=course, assigned_by=cast.manager)
        CompletionFactory(user=teammate, course=course)
        CompletionFactory(user=cast.rep, course=other_course)
        AttemptFactory(scenario=scenario, rep=teammate)
        IngestJob.objects.create(kind=IngestJobKind.CSV, created_by=cast.admin)
        CsvUpload.objects.create(
            source="csv", filename=f"d{n}.csv", content="a\n1\n", uploaded_by=cast.admin
        )
        WebhookDelivery.objects.create(
            subscription=subscription,
            event_id=uuid.uuid4(),
            event_type=EventType.values[0],
            body="{}",
        )
        Tool.objects.create(
            name=f"Tool {n}",
            category=ToolCategory.values[0],
            pricing=ToolPricing.values[0],
            monthly_cost=100,
            currency="EUR",
            starts_on=dt.date(2026, 1, 1),
        )
        make_api_key("deals:read", name=f"key {n}")
    assert Lesson.objects.filter(course=course).count() > copies


def _queries(client: Client, path: str) -> int:
    client.get(path)  # warms per-process caches (content types, settings) once
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    assert status == 200, path
    return len(queries)


def test_every_page_is_pinned():
    assert set(PAGES) - set(PINS) == set()
    assert set(PINS) - set(PAGES) == set()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_page_costs_the_same_queries_with_more_data(cast, name):
    template, viewer = PAGES[name]
    world = _world(cast)
    path = template.format(**world.values)
    client = Client(raise_request_exception=True)
    client.force_login(cast[viewer])

    small = _queries(client, path)
    _more_of_everything(cast, world, COPIES)
    large = _queries(client, path)

    assert (small, large) == (PINS.get(name), PINS.get(name)), (name, viewer, path, small, large)


# url name -> queries, at both sizes (sessions, the user and the page's own).
PINS: dict[str, int] = {
    "accounts:api_keys": 3,
    "accounts:audit_log": 4,
    "accounts:password_reset": 3,
    "accounts:password_reset_complete": 2,
    "accounts:password_reset_confirm": 4,
    "accounts:password_reset_done": 2,
    "accounts:people": 7,
    "accounts:person": 8,
    "accounts:person_invite": 3,
    "accounts:profile": 2,
    "accounts:saml_metadata": 2,
    "accounts:sign_ins": 3,
    "accounts:sso_settings": 5,
    "accounts:team": 4,
    "accounts:teams": 4,
    "accounts:two_factor": 5,
    "api-docs": 2,
    "assignment-list": 7,
    "coaching-commitment-list": 4,
    "coaching-rubric-list": 5,
    "coaching-session-detail": 5,
    "coaching-session-list": 5,
    "coaching-session-post-mortem": 6,
    "coaching:availability": 3,
    "coaching:book": 6,
    "coaching:booking_rep_fields": 2,
    "coaching:calendar": 3,
    "coaching:calendar_feed": 3,
    "coaching:cancel": 3,
    "coaching:dashboard": 7,
    "coaching:feed": 4,
    "coaching:find_slot": 4,
    "coaching:rep_history": 11,
    "coaching:reschedule": 3,
    "coaching:session_detail": 7,
    "coaching:session_ics": 3,
    "coaching:trends": 7,
    "course-detail": 4,
    "course-list": 4,
    "deal-detail": 4,
    "deal-job": 3,
    "deal-list": 4,
    "deals:detail": 6,
    "deals:hygiene": 6,
    "deals:import": 2,
    "deals:import_job": 4,
    "deals:import_job_errors": 4,
    "deals:import_map": 4,
    "deals:list": 5,
    "event-schema": 2,
    "event-schema-list": 2,
    "healthz": 2,
    "home": 5,
    "integrations:connection": 3,
    "integrations:index": 4,
    "integrations:subscription": 4,
    "integrations:subscription_new": 2,
    "lesson-list": 7,
    "lti:jwks": 3,
    "lti:platform": 3,
    "lti:platform_new": 2,
    "lti:platforms": 3,
    "my-assignments": 4,
    "my-progress": 7,
    "notifications:badge": 3,
    "notifications:centre": 3,
    "notifications:settings": 4,
    "practice:attempt": 7,
    "practice:lesson": 5,  # + the organisation's practice settings (the longest recording)
    "practice:queue": 3,
    "program-detail": 5,
    "program-list": 5,
    "readyz": 3,
    "roi-coaching-impact": 4,
    "roi-efficiency": 31,
    "roi-program-impact": 5,
    "roi-settings": 4,
    "roi:coaching": 3,
    "roi:costs": 4,
    "roi:dashboard": 7,
    "roi:dashboard_csv": 7,
    "roi:efficiency": 31,
    "roi:efficiency_csv": 31,
    "roi:people": 3,
    "roi:program": 4,
    "roi:rep": 18,
    "roi:rep_csv": 18,
    "roi:settings": 4,
    "roi:team": 18,
    "roi:team_csv": 18,
    "schema": 2,
    "search": 8,
    "tools:edit": 4,
    "tools:list": 4,
    "training:assign": 6,
    "training:catalog": 7,
    "training:certificate": 3,
    "training:certificate_verify": 3,
    "training:course_completed": 10,
    "training:course_detail": 11,
    "training:learner_attempts": 4,
    "training:lesson_detail": 8,
    "training:my_learning": 8,
    "training:person_progress": 10,
    "training:program_detail": 5,
    "training:retakes": 3,
    "training:studio": 4,
    "training:studio_course": 5,
    "training:studio_course_new": 2,
    "training:studio_lesson": 3,
    "training:studio_lesson_new": 3,
    "training:studio_program": 6,
    "training:studio_program_new": 2,
    "training:studio_question": 4,
    "training:studio_question_new": 3,
    "training:team_progress": 9,
    "training:team_progress_csv": 8,
    "user-detail": 6,
    "user-list": 6,
    "xapi-statements": 4,
}
