"""Who may do what, for every page and API endpoint, in one table (docs/decisions: the access
policy record).

Every URL pattern of the project (Django's own admin aside: one row stands for it, see
ADMIN_ROWS) is requested as each member of the cast, and the answer is compared with MATRIX.
A new URL that is not in the table fails `test_every_url_pattern_is_in_the_table`.

Each request targets the rep's own records (their deal, session, post-mortem, certificate,
history), so the answer says whether the caller may see that rep: rep yes, rep_peer no (same
team, not theirs), coach yes (their coachee), manager yes (their team), other_manager no,
leader and admin yes. Pages that act (POST-only) are posted with an empty form: whoever may act
gets the form's answer (400, 200 with errors, or a redirect), whoever may not gets 403 or 404,
and nobody changes anything with an empty form.
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from coaching.access import feed_token_hash
from coaching.models import CalendarFeed
from deals.models import CsvUpload, IngestJob, IngestJobKind
from events.models import EventType, WebhookDelivery
from tests.coaching.factories import (
    ActionItemFactory,
    CommitmentFactory,
    PostMortemFactory,
    SessionFactory,
)
from tests.deals.factories import DealFactory
from tests.events.factories import WebhookSubscriptionFactory
from tests.factories import make_api_key
from tests.fakes.fixtures import field_encryption_key  # noqa: F401
from tests.practice.factories import AttemptFactory, make_scenario
from tests.training.factories import (
    AssignmentFactory,
    CompletionFactory,
    CourseFactory,
    LessonFactory,
    ProgramFactory,
    make_quiz,
)
from tools.models import Tool, ToolCategory, ToolPricing
from training.models import LtiPlatform, RetakeRequest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _secrets_need_a_key(field_encryption_key: str) -> None:  # noqa: F811
    pass


CAST = ("anonymous", "rep", "rep_peer", "coach", "manager", "other_manager", "leader", "admin")


@dataclass(frozen=True)
class World:
    values: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


def _world(cast: Any) -> World:
    deal = DealFactory(owner=cast.rep)
    session = SessionFactory(coach=cast.coach, rep=cast.rep)
    post_mortem = PostMortemFactory(session=session)
    CommitmentFactory(post_mortem=post_mortem)
    item = ActionItemFactory(session=session, owner=cast.rep)
    course = CourseFactory(slug="published")
    lesson = LessonFactory(course=course, slug="first")
    quiz = make_quiz(course)
    CourseFactory(slug="draft", status="draft")
    program = ProgramFactory(slug="found")
    assignment = AssignmentFactory(assignee=cast.rep, course=course, assigned_by=cast.manager)
    completion = CompletionFactory(user=cast.rep, course=course)
    job = IngestJob.objects.create(kind=IngestJobKind.CSV, created_by=cast.admin)
    upload = CsvUpload.objects.create(
        source="csv", filename="d.csv", content="a\n1\n", uploaded_by=cast.admin
    )
    subscription = WebhookSubscriptionFactory()
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event_id=uuid.uuid4(), event_type=EventType.values[0], body="{}"
    )
    retake_request = RetakeRequest.objects.create(user=cast.rep, lesson=quiz)
    tool = Tool.objects.create(
        name="Outreach",
        category=ToolCategory.values[0],
        pricing=ToolPricing.values[0],
        monthly_cost=100,
        currency="EUR",
        starts_on=dt.date(2026, 1, 1),
    )
    api_key, _raw = make_api_key("deals:read")
    lti_platform = LtiPlatform.objects.create(
        name="Moodle",
        issuer="https://moodle.example",
        client_id="c",
        auth_login_url="https://moodle.example/auth",
        auth_token_url="https://moodle.example/token",
        key_set_url="https://moodle.example/jwks",
        deployment_ids=["1"],
    )
    token = "feed-token-of-the-rep"
    CalendarFeed.objects.create(
        user=cast.rep, token_hash=feed_token_hash(token), token_prefix="feed"
    )
    scenario = make_scenario(lesson__course=course)
    practice_attempt = AttemptFactory(scenario=scenario, rep=cast.rep)
    return World(
        {
            "practice_lesson": scenario.lesson_id,
            "practice_attempt": practice_attempt.pk,
            "deal": deal.pk,
            "session": session.pk,
            "post_mortem": post_mortem.pk,
            "action_item": item.pk,
            "course": course.slug,
            "lesson": lesson.slug,
            "quiz": quiz.slug,
            "lesson_id": lesson.pk,
            "question_id": quiz.questions.first().pk,
            "program": program.slug,
            "assignment": assignment.pk,
            "certificate": completion.certificate_code,
            "team": cast.manager.team_id,
            "rep": cast.rep.pk,
            # a real person's id in a reset link (pk 1 exists only in a fresh database, and a
            # missing person answers the page with one query less)
            "rep_uid": urlsafe_base64_encode(force_bytes(cast.rep.pk)),
            "job": job.pk,
            "upload": upload.pk,
            "subscription": subscription.pk,
            "delivery": delivery.pk,
            "token": token,
            "quiz_id": quiz.pk,
            "retake_request": retake_request.pk,
            "tool": tool.pk,
            "api_key": api_key.pk,
            "lti_platform": lti_platform.pk,
        }
    )


def _all_patterns() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                ns = entry.namespace or ""
                if ns == "admin":
                    continue
                walk(entry.url_patterns, f"{namespace}{ns}:" if ns else namespace)
            elif isinstance(entry, URLPattern):
                names.add(f"{namespace}{entry.name or str(entry.pattern)}")

    walk(get_resolver().url_patterns, "")
    return names


# url name -> (method, path filled from the world, the answer for each member of the cast in
# this order):
#   anonymous, rep, rep_peer, coach, manager, other_manager, leader, admin
# 404: may not see it (the same as missing); 403: sees it, may not do this; 302 for anonymous:
# to the login page; 401: the API wants credentials.
Row = tuple[str, str, tuple[int, int, int, int, int, int, int, int]]

MATRIX: dict[str, Row] = {
    # Practice recordings: the rep, their coach and their manager chain only (leaders and
    # admins not); only the coach reviews (the rep and the manager see it: 403).
    "practice:lesson": ("GET", "/practice/lessons/{practice_lesson}/", (302, *[200] * 7)),
    "practice:attempt_start": (
        "POST",
        "/practice/lessons/{practice_lesson}/attempts/",
        (302, *[400] * 7),
    ),
    # Without a file: 400 for whoever may open the lesson.
    "practice:upload": (
        "POST",
        "/practice/lessons/{practice_lesson}/upload/",
        (302, *[400] * 7),
    ),
    "practice:attempt": (
        "GET",
        "/practice/attempts/{practice_attempt}/",
        (302, 200, 404, 200, 200, 404, 404, 404),
    ),
    "practice:chunk": (
        "POST",
        "/practice/attempts/{practice_attempt}/chunks/",
        (302, 400, 404, 404, 404, 404, 404, 404),
    ),
    # The world's attempt has no file: nobody gets one.
    "practice:recording": (
        "GET",
        "/practice/attempts/{practice_attempt}/recording",
        (302, *[404] * 7),
    ),
    "practice:comment": (
        "POST",
        "/practice/attempts/{practice_attempt}/comments/",
        (302, 403, 404, 400, 403, 404, 404, 404),
    ),
    "practice:review": (
        "POST",
        "/practice/attempts/{practice_attempt}/review/",
        (302, 403, 404, 400, 403, 404, 404, 404),
    ),
    "practice:queue": ("GET", "/practice/reviews/", (302, *[200] * 7)),
    # Only the rep deletes their attempt (before review); everyone else: not theirs, 404.
    "practice:delete": (
        "POST",
        "/practice/attempts/{practice_attempt}/delete/",
        (302, 302, *[404] * 6),
    ),
    "notifications:badge": (
        "GET",
        "/notifications/badge/",
        (302, 200, 200, 200, 200, 200, 200, 200),
    ),
    "notifications:centre": ("GET", "/notifications/", (302, 200, 200, 200, 200, 200, 200, 200)),
    "notifications:open": (
        "POST",
        "/notifications/999999/open/",
        (302, 404, 404, 404, 404, 404, 404, 404),
    ),  # nobody's notification: 404 for all
    "notifications:read_all": (
        "POST",
        "/notifications/read-all/",
        (302, 302, 302, 302, 302, 302, 302, 302),
    ),
    "notifications:settings": (
        "GET",
        "/notifications/settings/",
        (302, 200, 200, 200, 200, 200, 200, 200),
    ),
    "training:nudge": (
        "POST",
        "/learn/team/assignments/{assignment}/nudge/",
        (302, 404, 404, 404, 302, 404, 404, 302),
    ),
    "training:person_progress": (
        "GET",
        "/learn/team/people/{rep}/",
        (302, 404, 404, 404, 200, 404, 200, 200),
    ),
    "training:person_retake": (
        "POST",
        "/learn/team/people/{rep}/quizzes/{quiz_id}/retake/",
        # The rep (for themselves) and the leader see the person but coach nobody: refused.
        (302, 403, 404, 302, 302, 404, 403, 302),
    ),
    "training:team_progress_csv": (
        "GET",
        "/learn/team/progress.csv",
        (302, 404, 404, 404, 200, 200, 200, 200),
    ),
    "accounts:person_crm_identity": (
        "POST",
        "/accounts/people/{rep}/crm-ids/",
        (302, 404, 404, 404, 404, 404, 404, 302),
    ),
    "accounts:team": ("GET", "/accounts/teams/{team}/", (302, 404, 404, 404, 404, 404, 404, 200)),
    "accounts:teams": ("GET", "/accounts/teams/", (302, 404, 404, 404, 404, 404, 404, 200)),
    "accounts:oidc_callback": (
        "GET",
        "/accounts/sso/oidc/callback/",
        (404, 404, 404, 404, 404, 404, 404, 404),
    ),  # no single sign-on configured: 404 for all
    "accounts:oidc_login": (
        "GET",
        "/accounts/sso/oidc/login/",
        (404, 404, 404, 404, 404, 404, 404, 404),
    ),  # no single sign-on configured: 404 for all
    # Coachline's SAML SP metadata is public: the identity provider imports it.
    "accounts:saml_metadata": (
        "GET",
        "/accounts/sso/saml/metadata/",
        (200, 200, 200, 200, 200, 200, 200, 200),
    ),
    "accounts:saml_login": (
        "GET",
        "/accounts/sso/saml/login/",
        (404, 404, 404, 404, 404, 404, 404, 404),
    ),  # SAML not configured: 404 for all
    "accounts:saml_acs": (
        "POST",
        "/accounts/sso/saml/acs/",
        (404, 404, 404, 404, 404, 404, 404, 404),
    ),  # SAML not configured: 404 for all
    "accounts:sign_ins": ("GET", "/accounts/sign-ins/", (302, 404, 404, 404, 404, 404, 404, 200)),
    "accounts:sso_settings": ("GET", "/accounts/sso/", (302, 404, 404, 404, 404, 404, 404, 200)),
    # An empty form creates no token: the admin is sent back to the SSO page.
    "accounts:scim_token_create": (
        "POST",
        "/accounts/sso/scim-token/",
        (302, 404, 404, 404, 404, 404, 404, 302),
    ),
    # SCIM takes only a bearer key with the scim scope; a signed-in session is not enough.
    "scim_root": ("GET", "/scim/v2", (401, 401, 401, 401, 401, 401, 401, 401)),
    "scim": ("GET", "/scim/v2/Users", (401, 401, 401, 401, 401, 401, 401, 401)),
    "tool-bulk": ("POST", "/api/v1/tools/bulk", (401, 403, 403, 403, 403, 403, 403, 400)),
    # LTI tool endpoints answer the platform, not a person: an empty login or launch is a 400
    # for everyone, the key set is public, a course picker exists only after a deep-linking
    # launch (an unknown one is 404 for everyone); registering platforms is for admins.
    "lti:login": ("GET", "/lti/login/", (400, 400, 400, 400, 400, 400, 400, 400)),
    "lti:launch": ("POST", "/lti/launch/", (400, 400, 400, 400, 400, 400, 400, 400)),
    "lti:jwks": ("GET", "/lti/jwks/", (200, 200, 200, 200, 200, 200, 200, 200)),
    "lti:deep_link": (
        "GET",
        "/lti/deep-link/lti1p3-launch-made-up/",
        (404, 404, 404, 404, 404, 404, 404, 404),
    ),
    "lti:platforms": ("GET", "/lti/platforms/", (302, 404, 404, 404, 404, 404, 404, 200)),
    "lti:platform_new": ("GET", "/lti/platforms/new/", (302, 404, 404, 404, 404, 404, 404, 200)),
    "lti:platform": (
        "GET",
        "/lti/platforms/{lti_platform}/",
        (302, 404, 404, 404, 404, 404, 404, 200),
    ),
    "tools:delete": ("POST", "/tools/{tool}/delete", (302, 404, 404, 404, 404, 404, 404, 302)),
    "tools:edit": ("GET", "/tools/{tool}/", (302, 404, 404, 404, 404, 404, 404, 200)),
    "tools:import": ("POST", "/tools/import/", (302, 404, 404, 404, 404, 404, 404, 400)),
    "tools:list": ("GET", "/tools/", (302, 404, 404, 404, 404, 404, 404, 200)),
    "tools:new": ("POST", "/tools/new/", (302, 404, 404, 404, 404, 404, 404, 400)),
    "accounts:api_key_revoke": (
        "POST",
        "/accounts/api-keys/{api_key}/revoke/",
        (302, 404, 404, 404, 404, 404, 404, 302),
    ),
    "accounts:api_keys": ("GET", "/accounts/api-keys/", (302, 404, 404, 404, 404, 404, 404, 200)),
    "accounts:person": ("GET", "/accounts/people/{rep}/", (302, 404, 404, 404, 404, 404, 404, 200)),
    "accounts:person_invite": (
        "GET",
        "/accounts/people/invite/",
        (302, 404, 404, 404, 404, 404, 404, 200),
    ),
    "accounts:person_invite_again": (
        "POST",
        "/accounts/people/{rep}/invite-again/",
        (302, 404, 404, 404, 404, 404, 404, 302),
    ),
    "accounts:person_set_active": (
        "POST",
        "/accounts/people/{rep}/active/",
        (302, 404, 404, 404, 404, 404, 404, 302),
    ),
    "activity-bulk": ("POST", "/api/v1/activities/bulk", (401, 403, 403, 403, 403, 403, 403, 400)),
    "roi:costs": ("GET", "/impact/costs/", (302, 404, 404, 404, 404, 404, 404, 200)),
    "training:learner_attempts": (
        "GET",
        "/learn/people/{rep}/attempts/",
        (302, 404, 404, 404, 404, 404, 404, 200),
    ),
    "training:retake_grant": (
        "POST",
        "/learn/team/retakes/{retake_request}/grant/",
        (302, 404, 404, 302, 302, 404, 404, 302),
    ),
    "training:retake_request": (
        "POST",
        "/learn/courses/{course}/{quiz}/retake/",
        (302, 302, 302, 302, 302, 302, 302, 302),
    ),
    "training:retakes": ("GET", "/learn/team/retakes/", (302, 404, 404, 200, 200, 200, 404, 200)),
    "accounts:audit_log": ("GET", "/accounts/audit/", (302, 404, 404, 404, 404, 404, 404, 200)),
    "accounts:login": ("GET", "/accounts/login/", (200, 302, 302, 302, 302, 302, 302, 302)),
    "accounts:logout": ("POST", "/accounts/logout/", (302, 302, 302, 302, 302, 302, 302, 302)),
    "accounts:password_reset": (
        "GET",
        "/accounts/password-reset/",
        (200, 200, 200, 200, 200, 200, 200, 200),
    ),
    "accounts:password_reset_complete": (
        "GET",
        "/accounts/reset/done/",
        (200, 200, 200, 200, 200, 200, 200, 200),
    ),
    "accounts:password_reset_confirm": (
        "GET",
        "/accounts/reset/{rep_uid}/bad-token/",
        (200, 200, 200, 200, 200, 200, 200, 200),
    ),
    "accounts:password_reset_done": (
        "GET",
        "/accounts/password-reset/sent/",
        (200, 200, 200, 200, 200, 200, 200, 200),
    ),
    "accounts:people": ("GET", "/accounts/people/", (302, 200, 200, 200, 200, 200, 200, 200)),
    "accounts:profile": ("GET", "/accounts/profile/", (302, 200, 200, 200, 200, 200, 200, 200)),
    "accounts:two_factor": (
        "GET",
        "/accounts/two-factor/",
        (302, 404, 404, 404, 404, 404, 200, 200),
    ),
    "accounts:two_factor_verify": (
        "GET",
        "/accounts/login/code/",
        (302, 302, 302, 302, 302, 302, 302, 302),
    ),
    "admin/login/": ("GET", "/admin/login/", (302, 302, 302, 302, 302, 302, 302, 302)),
    "api-docs": ("GET", "/api/docs/", (200, 200, 200, 200, 200, 200, 200, 200)),
    "coaching:action_item_add": (
        "POST",
        "/coaching/sessions/{session}/action-items/",
        (302, 403, 404, 400, 403, 404, 403, 400),
    ),
    "coaching:action_item_toggle": (
        "POST",
        "/coaching/action-items/{action_item}/done/",
        (302, 302, 404, 302, 403, 404, 403, 302),
    ),
    "coaching:availability": (
        "GET",
        "/coaching/availability/",
        (302, 403, 403, 200, 200, 200, 403, 200),
    ),
    "coaching:book": ("GET", "/coaching/book/", (302, 403, 403, 200, 200, 200, 403, 200)),
    "coaching:booking_rep_fields": (
        "GET",
        "/coaching/book/rep-fields/",
        (302, 403, 403, 200, 200, 200, 403, 200),
    ),
    "coaching:calendar": ("GET", "/coaching/calendar/", (302, 200, 200, 200, 200, 200, 200, 200)),
    "coaching:calendar_feed": (
        "GET",
        "/coaching/calendar-feed/",
        (302, 200, 200, 200, 200, 200, 200, 200),
    ),
    "coaching:cancel": (
        "GET",
        "/coaching/sessions/{session}/cancel/",
        (302, 200, 404, 200, 403, 404, 403, 200),
    ),
    "coaching:commitment_add": (
        "POST",
        "/coaching/post-mortems/{post_mortem}/commitments/",
        (302, 403, 404, 400, 403, 404, 403, 400),
    ),
    "coaching:complete": (
        "POST",
        "/coaching/sessions/{session}/complete/",
        (302, 403, 404, 400, 403, 404, 403, 400),
    ),
    "coaching:dashboard": ("GET", "/coaching/", (302, 200, 200, 200, 200, 200, 302, 200)),
    "coaching:feed": (
        "GET",
        "/coaching/feed/{token}.ics",
        (200, 200, 200, 200, 200, 200, 200, 200),
    ),
    "coaching:find_slot": (
        "GET",
        "/coaching/find-a-slot/",
        (302, 403, 403, 200, 200, 200, 403, 200),
    ),
    "coaching:post_mortem": (
        "POST",
        "/coaching/sessions/{session}/post-mortem/",
        (302, 403, 404, 400, 403, 404, 403, 400),
    ),
    "coaching:rep_history": (
        "GET",
        "/coaching/people/{rep}/",
        (302, 200, 404, 200, 200, 404, 200, 200),
    ),
    "coaching:reschedule": (
        "GET",
        "/coaching/sessions/{session}/reschedule/",
        (302, 403, 404, 200, 403, 404, 403, 200),
    ),
    "coaching:scorecard": (
        "POST",
        "/coaching/sessions/{session}/scorecard/",
        (302, 403, 404, 302, 403, 404, 403, 302),
    ),
    "coaching:session_detail": (
        "GET",
        "/coaching/sessions/{session}/",
        (302, 200, 404, 200, 200, 404, 200, 200),
    ),
    "coaching:session_ics": (
        "GET",
        "/coaching/sessions/{session}/calendar.ics",
        (302, 200, 404, 200, 200, 404, 200, 200),
    ),
    "coaching:story_lesson": (
        "POST",
        "/coaching/post-mortems/{post_mortem}/story/",
        (302, 403, 404, 302, 403, 404, 403, 302),
    ),
    "coaching:trends": ("GET", "/coaching/trends/", (302, 200, 200, 200, 200, 200, 200, 200)),
    "csp-report": ("POST", "/csp-report/", (400, 400, 400, 400, 400, 400, 400, 400)),
    "deals:detail": ("GET", "/deals/{deal}/", (302, 200, 404, 200, 200, 404, 200, 200)),
    "deals:hygiene": ("GET", "/deals/hygiene/", (302, 200, 200, 200, 200, 200, 200, 200)),
    "deals:import": ("GET", "/deals/import/", (302, 404, 404, 404, 404, 404, 404, 200)),
    "deals:import_job": (
        "GET",
        "/deals/import/jobs/{job}/",
        (302, 404, 404, 404, 404, 404, 404, 200),
    ),
    "deals:import_job_errors": (
        "GET",
        "/deals/import/jobs/{job}/errors.csv",
        (302, 404, 404, 404, 404, 404, 404, 200),
    ),
    "deals:import_map": (
        "GET",
        "/deals/import/{upload}/",
        (302, 404, 404, 404, 404, 404, 404, 200),
    ),
    "deals:list": ("GET", "/deals/", (302, 200, 200, 200, 200, 200, 200, 200)),
    "healthz": ("GET", "/healthz", (200, 200, 200, 200, 200, 200, 200, 200)),
    "home": ("GET", "/", (302, 200, 200, 200, 200, 200, 200, 200)),
    "search": ("GET", "/search/?q=pipeline", (302, 200, 200, 200, 200, 200, 200, 200)),
    "integrations:connection": (
        "GET",
        "/integrations/hubspot/",
        (302, 404, 404, 404, 404, 404, 404, 200),
    ),
    "integrations:connection_import_stages": (
        "POST",
        "/integrations/hubspot/import-stages",
        (302, 404, 404, 404, 404, 404, 404, 302),
    ),
    "integrations:connection_maps": (
        "POST",
        "/integrations/hubspot/maps",
        (302, 404, 404, 404, 404, 404, 404, 302),
    ),
    "integrations:connection_settings": (
        "POST",
        "/integrations/hubspot/settings",
        (302, 404, 404, 404, 404, 404, 404, 400),
    ),
    "integrations:connection_sync": (
        "POST",
        "/integrations/hubspot/sync",
        (302, 404, 404, 404, 404, 404, 404, 302),
    ),
    "integrations:connection_test": (
        "POST",
        "/integrations/hubspot/test",
        (302, 404, 404, 404, 404, 404, 404, 302),
    ),
    "integrations:delivery_redeliver": (
        "POST",
        "/integrations/webhooks/{subscription}/deliveries/{delivery}/redeliver",
        (302, 404, 404, 404, 404, 404, 404, 302),
    ),
    "integrations:index": ("GET", "/integrations/", (302, 404, 404, 404, 404, 404, 404, 200)),
    "integrations:subscription": (
        "GET",
        "/integrations/webhooks/{subscription}/",
        (302, 404, 404, 404, 404, 404, 404, 200),
    ),
    "integrations:subscription_new": (
        "GET",
        "/integrations/webhooks/new/",
        (302, 404, 404, 404, 404, 404, 404, 200),
    ),
    "integrations:subscription_rotate_secret": (
        "POST",
        "/integrations/webhooks/{subscription}/rotate-secret",
        (302, 404, 404, 404, 404, 404, 404, 302),
    ),
    "integrations:subscription_send_test": (
        "POST",
        "/integrations/webhooks/{subscription}/send-test",
        (302, 404, 404, 404, 404, 404, 404, 302),
    ),
    "readyz": ("GET", "/readyz", (200, 200, 200, 200, 200, 200, 200, 200)),
    "roi:coaching": (
        "GET",
        "/impact/coaching/one_on_one/",
        (302, 404, 404, 404, 200, 200, 200, 200),
    ),
    "roi:coaching_csv": (
        "GET",
        "/impact/coaching/one_on_one/bookings/effects.csv",
        (302, 404, 404, 404, 404, 404, 404, 404),
    ),  # no snapshot in this world: the page row says who reads
    "roi:dashboard": ("GET", "/impact/", (302, 302, 302, 302, 200, 200, 200, 200)),
    "roi:dashboard_csv": (
        "GET",
        "/impact/dashboard/programs.csv",
        (302, 404, 404, 404, 200, 200, 200, 200),
    ),
    "roi:efficiency": (
        "GET",
        "/impact/efficiency/",
        (302, 404, 404, 404, 200, 200, 200, 200),
    ),  # managers see their own teams only (tests/roi/test_efficiency.py)
    "roi:efficiency_csv": (
        "GET",
        "/impact/efficiency/groups.csv",
        (302, 404, 404, 404, 200, 200, 200, 200),
    ),
    "roi:people": ("GET", "/impact/reps/", (302, 200, 200, 200, 200, 200, 200, 200)),
    "roi:program": ("GET", "/impact/programs/{program}/", (302, 404, 404, 404, 200, 200, 200, 200)),
    "roi:program_csv": (
        "GET",
        "/impact/programs/{program}/bookings/effects.csv",
        (302, 404, 404, 404, 404, 404, 404, 404),
    ),  # no snapshot in this world: the page row says who reads
    "roi:program_rollout": (
        "POST",
        "/impact/programs/{program}/rollout/",
        (302, 404, 404, 404, 404, 404, 404, 200),
    ),
    "roi:rep": ("GET", "/impact/reps/{rep}/", (302, 200, 404, 200, 200, 404, 200, 200)),
    "roi:rep_csv": (
        "GET",
        "/impact/reps/{rep}/rep_months.csv",
        (302, 200, 404, 200, 200, 404, 200, 200),
    ),
    "roi:settings": ("GET", "/impact/settings/", (302, 404, 404, 404, 404, 404, 404, 200)),
    "roi:team": ("GET", "/impact/teams/{team}/", (302, 404, 404, 404, 200, 404, 200, 200)),
    "roi:team_csv": (
        "GET",
        "/impact/teams/{team}/team_months.csv",
        (302, 404, 404, 404, 200, 404, 200, 200),
    ),
    "schema": ("GET", "/api/schema/", (200, 200, 200, 200, 200, 200, 200, 200)),
    "set_language": ("POST", "/i18n/setlang/", (302, 302, 302, 302, 302, 302, 302, 302)),
    "training:assign": ("GET", "/learn/team/assign/", (302, 404, 404, 404, 200, 200, 404, 200)),
    "training:catalog": ("GET", "/learn/catalog/", (302, 200, 200, 200, 200, 200, 200, 200)),
    "training:certificate": (
        "GET",
        "/learn/certificates/{certificate}/",
        (302, 200, 404, 200, 200, 404, 200, 200),
    ),
    "training:certificate_verify": (
        "GET",
        "/learn/verify/{certificate}/",
        (200, 200, 200, 200, 200, 200, 200, 200),
    ),
    "training:course_completed": (
        "GET",
        "/learn/courses/{course}/completed/",
        (302, 200, 302, 302, 302, 302, 302, 302),
    ),
    "training:course_detail": (
        "GET",
        "/learn/courses/draft/",
        (302, 404, 404, 404, 200, 200, 404, 200),
    ),
    "training:course_rating": (
        "POST",
        "/learn/courses/{course}/rating/",
        (302, 302, 302, 302, 302, 302, 302, 302),
    ),
    "training:lesson_detail": (
        "GET",
        "/learn/courses/{course}/{lesson}/",
        (302, 200, 200, 200, 200, 200, 200, 200),
    ),
    "training:lesson_done": (
        "POST",
        "/learn/courses/{course}/{lesson}/done/",
        (302, 302, 302, 302, 302, 302, 302, 302),
    ),
    "training:my_learning": ("GET", "/learn/", (302, 200, 200, 200, 200, 200, 200, 200)),
    "training:program_detail": (
        "GET",
        "/learn/programs/{program}/",
        (302, 200, 200, 200, 200, 200, 200, 200),
    ),
    "training:quiz_attempt": (
        "POST",
        "/learn/courses/{course}/{quiz}/quiz/",
        (302, 400, 400, 400, 400, 400, 400, 400),
    ),
    "training:studio": ("GET", "/learn/studio/", (302, 404, 404, 404, 200, 200, 404, 200)),
    "training:studio_course": (
        "GET",
        "/learn/studio/courses/{course}/",
        (302, 404, 404, 404, 200, 200, 404, 200),
    ),
    "training:studio_course_new": (
        "GET",
        "/learn/studio/courses/new/",
        (302, 404, 404, 404, 200, 200, 404, 200),
    ),
    "training:studio_lesson": (
        "GET",
        "/learn/studio/lessons/{lesson_id}/",
        (302, 404, 404, 404, 200, 200, 404, 200),
    ),
    "training:studio_lesson_delete": (
        "POST",
        "/learn/studio/lessons/{lesson_id}/delete/",
        (302, 404, 404, 404, 302, 302, 404, 302),
    ),
    "training:studio_lesson_move": (
        "POST",
        "/learn/studio/lessons/{lesson_id}/move/",
        (302, 404, 404, 404, 400, 400, 404, 400),
    ),
    "training:studio_lesson_new": (
        "GET",
        "/learn/studio/courses/{course}/lessons/new/method/",
        (302, 404, 404, 404, 200, 200, 404, 200),
    ),
    # No package or attempt in the world: whoever is signed in learns only that it is not there.
    "training:scorm_file": (
        "GET",
        "/learn/scorm/00000000-0000-4000-8000-000000000000/index.html",
        (302, 404, 404, 404, 404, 404, 404, 404),
    ),
    "training:scorm_commit": (
        "POST",
        "/learn/scorm-commits/no-such-token/",
        (302, 400, 400, 400, 400, 400, 400, 400),
    ),
    "training:studio_scorm_import": (
        "POST",
        "/learn/studio/courses/{course}/scorm/",
        (302, 404, 404, 404, 400, 400, 404, 400),
    ),
    "training:studio_preview": (
        "POST",
        "/learn/studio/preview/",
        (302, 404, 404, 404, 200, 200, 404, 200),
    ),
    "training:studio_program": (
        "GET",
        "/learn/studio/programs/{program}/",
        (302, 404, 404, 404, 200, 200, 404, 200),
    ),
    "training:studio_program_courses": (
        "POST",
        "/learn/studio/programs/{program}/courses/",
        (302, 404, 404, 404, 400, 400, 404, 400),
    ),
    "training:studio_program_new": (
        "GET",
        "/learn/studio/programs/new/",
        (302, 404, 404, 404, 200, 200, 404, 200),
    ),
    "training:studio_question": (
        "GET",
        "/learn/studio/questions/{question_id}/",
        (302, 404, 404, 404, 200, 200, 404, 200),
    ),
    "training:studio_question_delete": (
        "POST",
        "/learn/studio/questions/{question_id}/delete/",
        (302, 404, 404, 404, 302, 302, 404, 302),
    ),
    "training:studio_question_move": (
        "POST",
        "/learn/studio/questions/{question_id}/move/",
        (302, 404, 404, 404, 400, 400, 404, 400),
    ),
    "training:studio_question_new": (
        "GET",
        "/learn/studio/lessons/{quiz_id}/questions/new/",
        (302, 404, 404, 404, 200, 200, 404, 200),
    ),
    "training:team_progress": ("GET", "/learn/team/", (302, 404, 404, 404, 200, 200, 200, 200)),
    "training:unassign": (
        "POST",
        "/learn/team/assignments/{assignment}/remove/",
        (302, 404, 404, 404, 302, 404, 404, 302),
    ),
    "assignment-list": ("GET", "/api/v1/assignments/", (401, 200, 200, 200, 200, 200, 200, 200)),
    "coaching-calendar-feed": (
        "POST",
        "/api/v1/coaching/calendar-feed",
        (401, 201, 201, 201, 201, 201, 201, 201),
    ),
    "coaching-commitment-create": (
        "POST",
        "/api/v1/coaching/post-mortems/{post_mortem}/commitments",
        (401, 403, 404, 400, 403, 404, 403, 400),
    ),
    "coaching-commitment-list": (
        "GET",
        "/api/v1/coaching/commitments/",
        (401, 200, 200, 200, 200, 200, 200, 200),
    ),
    "coaching-rubric-list": (
        "GET",
        "/api/v1/coaching/rubrics/",
        (401, 200, 200, 200, 200, 200, 200, 200),
    ),
    "coaching-session-cancel": (
        "POST",
        "/api/v1/coaching/sessions/{session}/cancel",
        (401, 400, 404, 400, 403, 404, 403, 400),
    ),
    "coaching-session-complete": (
        "POST",
        "/api/v1/coaching/sessions/{session}/complete",
        (401, 403, 404, 400, 403, 404, 403, 400),
    ),
    "coaching-session-detail": (
        "GET",
        "/api/v1/coaching/sessions/{session}/",
        (401, 200, 404, 200, 200, 404, 200, 200),
    ),
    "coaching-session-list": (
        "GET",
        "/api/v1/coaching/sessions/",
        (401, 200, 200, 200, 200, 200, 200, 200),
    ),
    "coaching-session-post-mortem": (
        "GET",
        "/api/v1/coaching/sessions/{session}/post-mortem",
        (401, 200, 404, 200, 200, 404, 200, 200),
    ),
    "coaching-session-reschedule": (
        "POST",
        "/api/v1/coaching/sessions/{session}/reschedule",
        (401, 403, 404, 400, 403, 404, 403, 400),
    ),
    "coaching-session-scorecard": (
        "GET",
        "/api/v1/coaching/sessions/{session}/scorecard",
        (401, 404, 404, 404, 404, 404, 404, 404),
    ),  # no scorecard yet: 404 for all who pass the gate
    "coaching-slot-list": (
        "GET",
        "/api/v1/coaching/slots/",
        (401, 403, 403, 400, 400, 400, 403, 400),
    ),
    "completion-bulk": (
        "POST",
        "/api/v1/completions/bulk",
        (401, 403, 403, 403, 403, 403, 403, 400),
    ),
    "course-detail": ("GET", "/api/v1/courses/draft/", (401, 404, 404, 404, 200, 200, 404, 200)),
    "course-list": (
        "GET",
        "/api/v1/courses/?page_size=100",
        (401, 200, 200, 200, 200, 200, 200, 200),
    ),
    "deal-bulk": ("POST", "/api/v1/deals/bulk", (401, 403, 403, 403, 403, 403, 403, 400)),
    "deal-detail": ("GET", "/api/v1/deals/{deal}/", (401, 200, 404, 200, 200, 404, 200, 200)),
    "deal-job": ("GET", "/api/v1/deals/jobs/{job}", (401, 403, 403, 403, 403, 403, 403, 200)),
    "deal-list": ("GET", "/api/v1/deals/", (401, 200, 200, 200, 200, 200, 200, 200)),
    "event-schema": (
        "GET",
        "/api/v1/events/schemas/course.completed.json",
        (200, 200, 200, 200, 200, 200, 200, 200),
    ),
    "event-schema-list": (
        "GET",
        "/api/v1/events/schemas/",
        (200, 200, 200, 200, 200, 200, 200, 200),
    ),
    "integrations-hubspot-webhook": (
        "POST",
        "/api/v1/integrations/hubspot/webhook",
        (401, 401, 401, 401, 401, 401, 401, 401),
    ),  # signed by the CRM, never by a person
    "lesson-list": (
        "GET",
        "/api/v1/courses/{course}/lessons/",
        (401, 200, 200, 200, 200, 200, 200, 200),
    ),
    "my-assignments": ("GET", "/api/v1/me/assignments/", (401, 200, 200, 200, 200, 200, 200, 200)),
    "my-progress": ("GET", "/api/v1/me/progress/", (401, 200, 200, 200, 200, 200, 200, 200)),
    "program-detail": (
        "GET",
        "/api/v1/programs/{program}/",
        (401, 200, 200, 200, 200, 200, 200, 200),
    ),
    "program-list": ("GET", "/api/v1/programs/", (401, 200, 200, 200, 200, 200, 200, 200)),
    "quiz-attempt": (
        "POST",
        "/api/v1/courses/{course}/lessons/{quiz}/attempts/",
        (401, 400, 400, 400, 400, 400, 400, 400),
    ),
    "roi-coaching-impact": (
        "GET",
        "/api/v1/roi/coaching/one_on_one/impact",
        (401, 403, 403, 403, 403, 403, 200, 200),
    ),
    "roi-efficiency": ("GET", "/api/v1/roi/efficiency", (401, 403, 403, 403, 403, 403, 200, 200)),
    "roi-program-impact": (
        "GET",
        "/api/v1/roi/programs/{program}/impact",
        (401, 403, 403, 403, 403, 403, 200, 200),
    ),
    "roi-settings": ("GET", "/api/v1/roi/settings", (401, 403, 403, 403, 403, 403, 403, 200)),
    "user-bulk": ("POST", "/api/v1/users/bulk", (401, 403, 403, 403, 403, 403, 403, 400)),
    "user-detail": ("GET", "/api/v1/users/{rep}/", (401, 200, 404, 200, 200, 404, 200, 200)),
    "user-list": ("GET", "/api/v1/users/", (401, 200, 200, 200, 200, 200, 200, 200)),
    "xapi-statements": ("GET", "/api/v1/xapi/statements", (401, 403, 403, 403, 403, 403, 200, 200)),
}


def _client(cast: Any, who: str) -> Client:
    client = Client(raise_request_exception=True)
    if who != "anonymous":
        client.force_login(cast[who])
    return client


def _request(client: Client, method: str, path: str) -> int:
    """One request, rolled back: what one member does never changes what the next one gets."""
    with transaction.atomic():
        if method == "GET":
            status = client.get(path).status_code
        elif path.startswith("/api/"):
            status = client.post(path, "{}", content_type="application/json").status_code
        else:
            status = client.post(path, {}).status_code
        transaction.set_rollback(True)
    return status


def test_every_url_pattern_is_in_the_table():
    assert _all_patterns() - set(MATRIX) == set()
    assert set(MATRIX) - _all_patterns() == set()


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_member_of_the_cast_gets_the_answer_the_table_gives(cast, name):
    method, template, expected = MATRIX[name]
    world = _world(cast)
    path = template.format(**world.values)
    answers = {who: _request(_client(cast, who), method, path) for who in CAST}
    assert answers == dict(zip(CAST, expected, strict=True)), (name, path)
