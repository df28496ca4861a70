"""The SCORM run-time on the server: opening an attempt, the data a SCO starts with, and the
commits scorm-again sends (suspend data, bookmark, status, score, session time).

A commit that reports the lesson completed or passed completes it through the same path as
native lessons (lesson progress, then the course completion with its events), so SCORM
completions reach the learner's page, xAPI statements and the ROI panel alike.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from training.models import Completion, Lesson, ScormAttempt, ScormVersion
from training.services.learning import _course_complete_if_done, _progress_mark_done

CENT = Decimal("0.01")
MAX_SUSPEND_DATA = 64_000  # SCORM 2004 4th edition's smallest permitted maximum
_HMS = re.compile(r"^(\d{1,4}):([0-5]?\d):([0-5]?\d)(?:\.\d{1,2})?$")
_ISO = re.compile(
    r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
# Exits after which the next launch starts a new attempt ("suspend" keeps the attempt open).
_ENDING_EXITS = {"normal", "logout", "time-out", "timeout"}


@dataclass(frozen=True)
class CommitResult:
    attempt: ScormAttempt
    is_lesson_done: bool
    completion: Completion | None  # the course completion this commit created, if any


def _bad(message: str) -> ValidationError:
    return ValidationError({"cmi": ValidationError(message, code="invalid")})


def scorm_attempt_open(*, user: User, lesson: Lesson) -> ScormAttempt:
    """The learner's open attempt at the lesson, or a new one after a finished attempt."""
    if not lesson.is_scorm:
        raise ValidationError({"lesson": [_("This lesson is not a SCORM module.")]})
    latest = ScormAttempt.objects.filter(user=user, lesson=lesson).order_by("-number").first()
    if latest is not None and latest.finished_at is None:
        return latest
    number = 1 if latest is None else latest.number + 1
    try:
        with transaction.atomic():
            return ScormAttempt.objects.create(user=user, lesson=lesson, number=number)
    except IntegrityError:  # another tab opened it at the same moment
        return ScormAttempt.objects.get(user=user, lesson=lesson, number=number)


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours:04d}:{rest // 60:02d}:{rest % 60:02d}"


def scorm_initial_cmi(*, attempt: ScormAttempt, version: str) -> dict[str, Any]:
    """What the SCO finds when it starts: who the learner is, and where it left off."""
    user, is_resume = attempt.user, bool(attempt.suspend_data or attempt.location)
    entry = "resume" if is_resume else "ab-initio"
    name = user.full_name or user.email
    if version == ScormVersion.SCORM_12:
        core: dict[str, Any] = {
            "student_id": str(user.pk),
            "student_name": name,
            "lesson_location": attempt.location,
            "entry": entry,
            "total_time": _clock(attempt.total_seconds),
        }
        if attempt.completion_status:
            core["lesson_status"] = attempt.completion_status
        return {"core": core, "suspend_data": attempt.suspend_data}
    cmi: dict[str, Any] = {
        "learner_id": str(user.pk),
        "learner_name": name,
        "location": attempt.location,
        "suspend_data": attempt.suspend_data,
        "entry": entry,
        "total_time": f"PT{attempt.total_seconds}S",
    }
    if attempt.completion_status:
        cmi["completion_status"] = attempt.completion_status
    if attempt.success_status:
        cmi["success_status"] = attempt.success_status
    return cmi


def _seconds(value: Any, version: str) -> int:
    """A SCORM timespan in whole seconds: 1.2's HHHH:MM:SS.SS, 2004's ISO 8601 duration."""
    text = str(value or "").strip()
    if not text:
        return 0
    if version == ScormVersion.SCORM_12:
        match = _HMS.match(text)
        if match is None:
            raise _bad(_("The session time %(value)s is not a SCORM time.") % {"value": text[:40]})
        hours, minutes, seconds = (int(part) for part in match.groups())
        return hours * 3600 + minutes * 60 + seconds
    iso = _ISO.match(text)
    if iso is None or text in ("P", "PT"):
        raise _bad(_("The session time %(value)s is not a SCORM time.") % {"value": text[:40]})
    years, months, days, hours, minutes = (int(part or 0) for part in iso.groups()[:5])
    fraction = float(iso.group(6) or 0)
    # A month is 30 days and a year 365 here: SCORM sessions are minutes or hours long.
    days += years * 365 + months * 30
    return int(days * 86400 + hours * 3600 + minutes * 60 + fraction)


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _bad(_("The score %(value)s is not a number.") % {"value": str(value)[:40]}) from None
    return number if number.is_finite() else None


def _percent(score: Mapping[str, Any]) -> Decimal | None:
    """The score in percent: 2004's scaled score when given, else raw within min and max
    (0 and 100 when the SCO does not say), clamped to 0..100."""
    scaled = _decimal(score.get("scaled"))
    if scaled is not None:
        percent = scaled * 100
    else:
        raw = _decimal(score.get("raw"))
        if raw is None:
            return None
        low = _decimal(score.get("min")) or Decimal(0)
        high = _decimal(score.get("max"))
        high = Decimal(100) if high is None or high <= low else high
        percent = (raw - low) / (high - low) * 100
    return min(max(percent, Decimal(0)), Decimal(100)).quantize(CENT)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class CmiFacts:
    location: str
    suspend_data: str
    completion_status: str
    success_status: str
    score: Decimal | None
    session_seconds: int
    exit: str


def cmi_facts(*, cmi: Mapping[str, Any], version: str) -> CmiFacts:
    """The facts the server keeps, read from a committed `cmi` object of either version."""
    if version == ScormVersion.SCORM_12:
        core = _mapping(cmi.get("core"))
        status = str(core.get("lesson_status") or "")
        return CmiFacts(
            location=str(core.get("lesson_location") or ""),
            suspend_data=str(cmi.get("suspend_data") or ""),
            completion_status=status,
            success_status=status if status in ("passed", "failed") else "",
            score=_percent(_mapping(core.get("score"))),
            session_seconds=_seconds(core.get("session_time"), version),
            exit=str(core.get("exit") or ""),
        )
    return CmiFacts(
        location=str(cmi.get("location") or ""),
        suspend_data=str(cmi.get("suspend_data") or ""),
        completion_status=str(cmi.get("completion_status") or ""),
        success_status=str(cmi.get("success_status") or ""),
        score=_percent(_mapping(cmi.get("score"))),
        session_seconds=_seconds(cmi.get("session_time"), version),
        exit=str(cmi.get("exit") or ""),
    )


def _is_done(facts: CmiFacts) -> bool:
    return facts.completion_status in ("completed", "passed") or facts.success_status == "passed"


def _attempt_apply(
    attempt: ScormAttempt, cmi: Mapping[str, Any], facts: CmiFacts, *, is_final: bool
) -> None:
    attempt.cmi = dict(cmi)
    attempt.location = facts.location[:1000]
    attempt.suspend_data = facts.suspend_data
    attempt.completion_status = facts.completion_status[:16]
    attempt.success_status = facts.success_status[:16]
    if facts.score is not None:
        attempt.score = facts.score
    attempt.exit = facts.exit[:16]
    attempt.session_seconds = facts.session_seconds
    if is_final:
        # The session ended: its time joins the total, and a normal exit ends the attempt.
        attempt.total_seconds += facts.session_seconds
        attempt.session_seconds = 0
        if facts.exit in _ENDING_EXITS or (not facts.exit and _is_done(facts)):
            attempt.finished_at = timezone.now()


def scorm_commit(*, user: User, token: str, cmi: Any, is_final: bool = False) -> CommitResult:
    """Store what the SCO committed to the attempt named by `token` (which must be the
    user's). `is_final` marks the commit sent on Terminate/LMSFinish. Safe to repeat: the
    attempt row is locked, and completing a completed lesson changes nothing."""
    if not isinstance(cmi, Mapping):
        raise _bad(_("The run-time data must be an object."))
    with transaction.atomic():
        attempt = (
            ScormAttempt.objects.select_for_update(of=("self",))
            .select_related("lesson__course", "lesson__scorm_package", "user")
            .filter(commit_token=token, user=user)
            .first()
        )
        if attempt is None or attempt.finished_at is not None:
            raise ValidationError(
                {
                    "token": ValidationError(
                        _("This attempt is over; open the lesson again."), code="closed"
                    )
                }
            )
        package = attempt.lesson.scorm_package
        assert package is not None  # a SCORM lesson has one (database check)
        facts = cmi_facts(cmi=cmi, version=package.version)
        if len(facts.suspend_data) > MAX_SUSPEND_DATA:
            raise _bad(
                _("The suspend data is longer than %(n)d characters.") % {"n": MAX_SUSPEND_DATA}
            )
        _attempt_apply(attempt, cmi, facts, is_final=is_final)
        now = timezone.now()
        if _is_done(facts):
            attempt.completed_at = attempt.completed_at or now
        attempt.save()  # before the course completion, which reads the attempt's score
        completion = None
        if _is_done(facts):
            _progress_mark_done(user=user, lesson=attempt.lesson, at=now)
            completion = _course_complete_if_done(user=user, course=attempt.lesson.course, at=now)
    return CommitResult(attempt=attempt, is_lesson_done=_is_done(facts), completion=completion)
