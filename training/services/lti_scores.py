"""LTI Assignment and Grade Services: when a learner completes a course they launched from a
platform, the course's score goes to the line item of that launch, through PyLTI1p3's AGS
client (the client-assertion token request, the score POST). Coachline signs and sends nothing
of its own.

The send runs in a Celery task (`training.tasks.send_lti_score`), queued through the outbox in
the transaction that wrote the completion (or accepted a launch of a course already completed),
so it is sent at least once. It is idempotent: the task re-reads the launch and the completion,
sends nothing once the line item has the score, and every send carries the completion's own time
as the score's `timestamp`, so a repeat changes nothing on the platform.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import requests
from django.utils import timezone
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.service_connector import ServiceConnector

from core.outbox import outbox_enqueue
from core.retry import Backoff, retry_after_seconds
from training.lti.tool import SCORE_MAXIMUM, registration_of
from training.models import Completion, LtiLaunch

logger = logging.getLogger(__name__)

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SEND_TASK = "training.tasks.send_lti_score"
# Connect and read timeout of each call to the platform (PyLTI1p3 sets none).
SERVICE_TIMEOUT = (5, 30)
# A platform that is down or busy: retried with the repo's back-off (core/retry.py), honouring
# its Retry-After, for about two hours in all.
SEND_BACKOFF = Backoff(base=60, cap=30 * 60)
SEND_MAX_RETRIES = 8


class ScoreSendLater(Exception):
    """The platform could not take the score now (network, 429, 5xx): try again later."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class _TimeoutSession(requests.Session):
    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", SERVICE_TIMEOUT)
        return super().request(*args, **kwargs)


def lti_scores_enqueue(*, user_id: int, course_id: int) -> int:
    """Queue a score send for each line item this learner launched the course with that may take
    a score and has not had it: one per (platform, line item, learner), the latest launch. Call
    it inside the transaction that wrote the completion. Returns how many were queued."""
    launches = (
        LtiLaunch.objects.filter(user_id=user_id, course_id=course_id, score_sent_at__isnull=True)
        .exclude(lineitem_url="")
        .order_by("-pk")
        .values_list("pk", "platform_id", "lineitem_url", "subject", "ags_scopes")
    )
    queued: set[tuple[int, str, str]] = set()
    for pk, platform_id, lineitem_url, subject, scopes in launches:
        target = (platform_id, lineitem_url, subject)
        if SCORE_SCOPE in scopes and target not in queued:
            queued.add(target)
            outbox_enqueue(task=SEND_TASK, args=[pk])
    return len(queued)


@dataclass(frozen=True)
class ScoreSent:
    outcome: str  # "sent", "already sent", "not completed", "platform inactive", "refused"
    score: Decimal | None = None


def _grade(*, completion: Completion, subject: str) -> Grade:
    """The AGS score of a completion: its score in percent (a course without a scored lesson
    counts as 100), completed and fully graded, stamped with the completion's time."""
    score = completion.score if completion.score is not None else Decimal(SCORE_MAXIMUM)
    return (
        Grade()
        .set_score_given(float(score))
        .set_score_maximum(SCORE_MAXIMUM)
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_timestamp(completion.completed_at.isoformat())
        .set_user_id(subject)
    )


def _put_grade(launch: LtiLaunch, grade: Grade) -> None:
    service = AssignmentsGradesService(
        ServiceConnector(registration_of(launch.platform), requests_session=_TimeoutSession()),
        {"scope": list(launch.ags_scopes), "lineitem": launch.lineitem_url},
    )
    try:
        service.put_grade(grade)
    except requests.RequestException as exc:
        raise ScoreSendLater(f"{type(exc).__name__}: {exc}") from exc
    except LtiServiceException as exc:
        status = exc.response.status_code
        if status == 429 or status >= 500:
            raise ScoreSendLater(
                str(exc)[:500],
                retry_after=retry_after_seconds(exc.response.headers.get("Retry-After")),
            ) from exc
        raise


def lti_score_send(*, launch_id: int) -> ScoreSent:
    """Send the learner's course score to the launch's line item, unless it has it already.
    Raises ScoreSendLater when the platform cannot take it now; a refusal (4xx) is logged and
    not retried."""
    launch = LtiLaunch.objects.select_related("platform").filter(pk=launch_id).first()
    if launch is None or launch.score_sent_at is not None:
        return ScoreSent("already sent")
    same_item = LtiLaunch.objects.filter(
        platform_id=launch.platform_id, lineitem_url=launch.lineitem_url, subject=launch.subject
    )
    if same_item.filter(score_sent_at__isnull=False).exists():
        same_item.filter(score_sent_at__isnull=True).update(score_sent_at=timezone.now())
        return ScoreSent("already sent")
    completion = Completion.objects.filter(
        user_id=launch.user_id, course_id=launch.course_id
    ).first()
    if completion is None:
        return ScoreSent("not completed")
    if not launch.platform.is_active:
        return ScoreSent("platform inactive")
    grade = _grade(completion=completion, subject=launch.subject)
    try:
        _put_grade(launch, grade)
    except LtiException as exc:
        logger.warning("LTI score for launch %s refused by the platform: %s", launch.pk, exc)
        return ScoreSent("refused")
    same_item.filter(score_sent_at__isnull=True).update(score_sent_at=timezone.now())
    return ScoreSent("sent", score=Decimal(str(grade.get_score_given())))
