"""LTI 1.3 writes: registering a platform, and accepting a verified resource-link launch (who it
signs in, which course it opens, where the grade goes back). The protocol checks are
PyLTI1p3's (training/lti/tool.py); nothing here verifies a signature."""

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.sso import SignInRefused, VouchedIdentity, launched_user_resolve
from training.lti.tool import platform_key_set, tool_private_key_new
from training.models import Completion, Course, LtiLaunch, LtiPlatform, PublishStatus
from training.services.lti_scores import lti_scores_enqueue

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
PLATFORM_FIELDS = (
    "name",
    "issuer",
    "client_id",
    "auth_login_url",
    "auth_token_url",
    "auth_audience",
    "key_set_url",
    "public_key",
    "deployment_ids",
    "is_active",
)


class LaunchRefused(Exception):
    """A launch that verified but that Coachline will not accept; `reason` is for the person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def deployment_ids_parse(text: str) -> list[str]:
    """One deployment id a line or comma-separated; order kept, duplicates dropped."""
    ids = [part.strip() for part in text.replace("\n", ",").split(",")]
    return list(dict.fromkeys(i for i in ids if i))


def _platform_check(changes: Mapping[str, Any], *, pk: int | None) -> None:
    errors: dict[str, list[str]] = {}
    key_text = changes["public_key"].strip()
    if not changes["key_set_url"] and not key_text:
        errors["key_set_url"] = [_("Give the platform's key set URL or paste its public key.")]
    if key_text:
        try:
            key_set = platform_key_set(key_text)
        except ValueError:
            key_set = {}
        bad_set = key_set is not None and not key_set.get("keys")
        bad_pem = key_set is None and "BEGIN PUBLIC KEY" not in key_text
        if bad_set or bad_pem:
            errors["public_key"] = [_("This is neither a PEM public key nor a JSON key set.")]
    if not changes["deployment_ids"]:
        errors["deployment_ids"] = [_("Give at least one deployment id.")]
    clash = LtiPlatform.objects.filter(issuer=changes["issuer"], client_id=changes["client_id"])
    if pk is not None:
        clash = clash.exclude(pk=pk)
    if clash.exists():
        errors["client_id"] = [_("This issuer and client id are registered already.")]
    if errors:
        raise ValidationError(errors)


def lti_platform_save(
    *, changes: Mapping[str, Any], platform: LtiPlatform | None = None
) -> LtiPlatform:
    """Register a platform (a new key pair for Coachline towards it) or update one.
    ValidationError by field; nothing saved then."""
    changes = {**changes, "issuer": changes["issuer"].strip().rstrip("/")}
    _platform_check(changes, pk=platform.pk if platform else None)
    row = platform or LtiPlatform()
    for field in PLATFORM_FIELDS:
        setattr(row, field, changes[field])
    row.public_key = row.public_key.strip()
    if not row.tool_private_key:
        row.tool_private_key = tool_private_key_new()
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ValidationError(
            {"client_id": [_("This issuer and client id are registered already.")]}
        ) from None
    return row


def _course_slug(data: Mapping[str, Any]) -> str:
    """The course a resource link opens: its custom parameter `course`, else `course` in the
    target link URI's query."""
    custom = data.get(CLAIM + "custom") or {}
    slug = str(custom.get("course", "")).strip() if isinstance(custom, dict) else ""
    if slug:
        return slug
    query = parse_qs(urlsplit(str(data.get(CLAIM + "target_link_uri", ""))).query)
    return (query.get("course") or [""])[0].strip()


def _course_for_launch(data: Mapping[str, Any]) -> Course:
    slug = _course_slug(data)
    course = (
        Course.objects.filter(slug=slug, status=PublishStatus.PUBLISHED).first() if slug else None
    )
    if course is None:
        raise LaunchRefused(
            _("This link names no published Coachline course (“%(slug)s”). Ask the course admin.")
            % {"slug": slug}
        )
    return course


def _identity(platform: LtiPlatform, data: Mapping[str, Any]) -> VouchedIdentity:
    return VouchedIdentity(
        issuer=platform.issuer,
        subject=str(data.get("sub", "")),
        email=str(data.get("email", "")),
        full_name=str(data.get("name", "")),
        groups=(),
        email_verified=None,
    )


def launch_accept(*, platform: LtiPlatform, data: Mapping[str, Any]) -> LtiLaunch:
    """Record a launch PyLTI1p3 verified: the learner (matched by `sub`, then email; created
    when LTI_JIT_USERS is on) and the course it opens. Raises LaunchRefused, having written
    nothing, for a replayed id token (its nonce was used), an unknown course, or a learner
    Coachline will not sign in."""
    if data.get(CLAIM + "message_type") != "LtiResourceLinkRequest":
        raise LaunchRefused(_("Coachline accepts resource-link launches only."))
    if not data.get("sub"):
        raise LaunchRefused(_("The platform sent an anonymous launch; Coachline needs a learner."))
    nonce = str(data.get("nonce", ""))
    replayed = LaunchRefused(_("This launch was used already. Start it again from your LMS."))
    course = _course_for_launch(data)
    ags = data.get(AGS_CLAIM) or {}
    try:
        with transaction.atomic():
            if LtiLaunch.objects.filter(platform=platform, nonce=nonce).exists():
                raise replayed
            user: User = launched_user_resolve(
                identity=_identity(platform, data), create=settings.LTI_JIT_USERS
            )
            launch = LtiLaunch.objects.create(
                platform=platform,
                user=user,
                course=course,
                nonce=nonce[:255],
                deployment_id=str(data.get(CLAIM + "deployment_id", ""))[:255],
                subject=str(data["sub"])[:255],
                resource_link_id=str((data.get(CLAIM + "resource_link") or {}).get("id", ""))[:255],
                lineitem_url=str(ags.get("lineitem", ""))[:1000],
                ags_scopes=list(ags.get("scope", [])),
            )
            if Completion.objects.filter(user=user, course=course).exists():
                lti_scores_enqueue(user_id=user.pk, course_id=course.pk)  # completed before
            return launch
    except SignInRefused as exc:
        raise LaunchRefused(exc.reason) from None
    except IntegrityError:
        raise replayed from None
