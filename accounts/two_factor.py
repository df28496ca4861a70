"""Optional two-factor login (TOTP, django-otp) for admins and leaders, with recovery codes.

Enrolled people give a code after their password; until then they are not logged in at all (the
password step only remembers who passed it, for a few minutes, in the session). Codes are
throttled by django-otp (each failure doubles the wait); a recovery code works once.
"""

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Final

import segno
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.roles import Role

ENROLLING_ROLES: Final = frozenset({Role.ADMIN, Role.LEADER})
RECOVERY_CODES: Final = 10
# How long the password step is remembered while the person finds their phone.
PENDING_FOR: Final = dt.timedelta(minutes=5)
PENDING_KEY: Final = "two_factor_pending"


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    secret: str  # base32, for typing into an app instead of scanning
    qr_svg: str


def two_factor_may_enrol(*, user: User) -> bool:
    return user.role in ENROLLING_ROLES


def two_factor_is_on(*, user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def two_factor_enrolment_start(*, user: User) -> Enrolment:
    """The device being set up (created on the first visit, kept until confirmed)."""
    if not two_factor_may_enrol(user=user):
        raise PermissionDenied
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "Authenticator app"}
    )
    qr = segno.make(device.config_url, error="m")
    return Enrolment(
        device=device,
        secret=_base32(device.bin_key),
        qr_svg=qr.svg_inline(scale=4, title=_("QR code for your authenticator app")),
    )


def two_factor_enrolment_confirm(*, user: User, token: str) -> list[str]:
    """A first code from the app turns two-factor on; returns the recovery codes (shown once)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None or not device.verify_token(_clean(token)):
            raise ValidationError(
                _("That code is not right. Enter the 6 digits your app shows now.")
            )
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return _new_recovery_codes(user=user)


def two_factor_recovery_codes_renew(*, user: User, token: str) -> list[str]:
    with transaction.atomic():
        _check(user=user, token=token)
        return _new_recovery_codes(user=user)


def two_factor_disable(*, user: User, token: str) -> None:
    with transaction.atomic():
        _check(user=user, token=token)
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


def two_factor_pending_start(*, request: HttpRequest, user: User, backend: str) -> None:
    """The password was right: remember who, for PENDING_FOR, until the code comes."""
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "backend": backend,
        "until": (timezone.now() + PENDING_FOR).isoformat(),
    }


def two_factor_pending_user(*, request: HttpRequest) -> tuple[User, str] | None:
    pending = request.session.get(PENDING_KEY)
    if not pending or dt.datetime.fromisoformat(pending["until"]) < timezone.now():
        return None
    user = User.objects.filter(pk=pending["user_id"], is_active=True).first()
    return (user, pending["backend"]) if user is not None else None


def two_factor_verify(*, request: HttpRequest, user: User, token: str) -> bool:
    """Checks a code (app or recovery) for the pending login; logs the person in if right."""
    from django.contrib.auth import login
    from django_otp import login as otp_login

    device = match_token(user, _clean(token))
    if device is None:
        return False
    backend = request.session[PENDING_KEY]["backend"]
    login(request, user, backend=backend)  # a new session key, against fixation
    otp_login(request, device)
    request.session.pop(PENDING_KEY, None)
    return True


def _check(*, user: User, token: str) -> None:
    if match_token(user, _clean(token)) is None:
        raise ValidationError(_("That code is not right. Enter the 6 digits your app shows now."))


def _new_recovery_codes(*, user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": "Recovery codes", "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _n in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _clean(token: str) -> str:
    return "".join(token.split())


def _base32(key: bytes) -> str:
    return base64.b32encode(key).decode().rstrip("=")
