"""Single sign-on, independent of the protocol: the settings an admin keeps, who an identity
provider's answer signs in as (domain check, just-in-time creation, group -> role and team), the
"SSO required" rule, and the record of every sign-in and failure.

The protocol itself (OpenID Connect: authorization code with PKCE, ID token checks) is
authlib's, in accounts/oidc.py; nothing here parses or verifies tokens.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import (
    ExternalIdentity,
    SamlAssertionUse,
    SignInRecord,
    SingleSignOn,
    Team,
    User,
)
from accounts.roles import Role
from core.proxies import client_ip


class SignInRefused(Exception):
    """The identity provider vouched for someone Coachline will not sign in; `reason` says why
    in words for the person, and is recorded."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class GroupRule:
    group: str
    role: str
    team: str


@dataclass(frozen=True)
class VouchedIdentity:
    """What a provider said about the person, after the protocol library verified it."""

    issuer: str
    subject: str
    email: str
    full_name: str
    groups: tuple[str, ...]
    email_verified: bool | None


def sign_in_record(
    *,
    request: HttpRequest,
    method: str,
    succeeded: bool,
    user: User | None = None,
    email: str = "",
    provider: str = "",
    reason: str = "",
) -> SignInRecord:
    return SignInRecord.objects.create(
        user=user,
        email=(email or (user.email if user else ""))[:254],
        method=method,
        provider=provider[:500],
        ip_address=client_ip(request) or None,
        succeeded=succeeded,
        reason=reason[:200],
    )


def group_rules_parse(text: str) -> list[GroupRule]:
    """One rule a line, `group | role | team` (team optional); ValidationError names the line."""
    rules = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) not in (2, 3) or not parts[0]:
            raise ValidationError(
                _("Line %(n)d: write “group | role | team” (the team may be left out).")
                % {"n": number}
            )
        if parts[1] not in Role.values:
            raise ValidationError(
                _("Line %(n)d: the role must be one of %(roles)s.")
                % {"n": number, "roles": ", ".join(Role.values)}
            )
        team = parts[2] if len(parts) == 3 else ""
        if len(parts[0]) > 255 or len(team) > 120:
            raise ValidationError(_("Line %(n)d is too long.") % {"n": number})
        rules.append(GroupRule(group=parts[0], role=parts[1], team=team))
    return rules


def group_rules_text(mapping: list[dict[str, str]]) -> str:
    return "\n".join(
        " | ".join(p for p in (r["group"], r["role"], r.get("team", "")) if p) for r in mapping
    )


def domains_parse(text: str) -> list[str]:
    domains = sorted({d.strip().lower().lstrip("@") for d in text.replace("\n", ",").split(",")})
    domains = [d for d in domains if d]
    for domain in domains:
        if "." not in domain or " " in domain or len(domain) > 253:
            raise ValidationError(_("“%(domain)s” is not a domain name.") % {"domain": domain})
    return domains


def _sso_settings_errors(*, changes: Mapping[str, Any], secret: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    needed = _("Needed for OpenID Connect sign-in.")
    if changes["oidc_enabled"]:
        for field in ("oidc_issuer", "oidc_client_id"):
            if not changes.get(field):
                errors.setdefault(field, []).append(needed)
        if not secret:
            errors.setdefault("oidc_client_secret", []).append(needed)
    if changes["saml_enabled"] and not changes.get("saml_idp_metadata_xml"):
        errors.setdefault("saml_idp_metadata_xml", []).append(
            _("Needed for SAML sign-in: paste the metadata or give its URL.")
        )
    if changes["sso_required"]:
        if not changes["oidc_enabled"] and not changes["saml_enabled"]:
            errors.setdefault("sso_required", []).append(
                _("Turn a single sign-on method on first.")
            )
        glass = changes.get("break_glass_user")
        if glass is None or not glass.is_active or not glass.is_admin_role:
            errors.setdefault("break_glass_user", []).append(
                _("Choose an active admin who may still use a password.")
            )
    return errors


def sso_settings_update(
    *, actor: User, changes: Mapping[str, Any], rules: list[GroupRule]
) -> SingleSignOn:
    """Save the SSO page. `changes` are the form's cleaned fields (an empty secret keeps the
    stored one; the SAML metadata as read and checked by the view). Refuses "SSO required"
    without a working sign-in method and an active admin to break glass with, so that nobody
    is locked out."""
    current = SingleSignOn.current()
    secret = changes.get("oidc_client_secret") or current.oidc_client_secret
    errors = _sso_settings_errors(changes=changes, secret=secret)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = SingleSignOn.objects.select_for_update().get(pk=current.pk)
        for field in (
            "oidc_enabled",
            "provider_name",
            "oidc_issuer",
            "oidc_client_id",
            "allowed_domains",
            "groups_claim",
            "jit_enabled",
            "sso_required",
            "break_glass_user",
            "saml_enabled",
            "saml_idp_metadata_url",
            "saml_idp_metadata_xml",
            "saml_idp_entity_id",
        ):
            setattr(row, field, changes[field])
        row.oidc_issuer = row.oidc_issuer.rstrip("/")
        row.oidc_client_secret = secret
        row.group_mapping = [{"group": r.group, "role": r.role, "team": r.team} for r in rules]
        row.updated_by = actor
        row.save()
    return row


def password_sign_in_allowed(*, user: User) -> bool:
    """With "SSO required", only the break-glass admin still signs in with a password."""
    sso = SingleSignOn.current()
    return not sso.sso_required or sso.break_glass_user_id == user.pk


def _mapped(sso: SingleSignOn, groups: tuple[str, ...]) -> dict[str, str] | None:
    held = set(groups)
    return next((rule for rule in sso.group_mapping if rule["group"] in held), None)


def sso_user_resolve(*, sso: SingleSignOn, identity: VouchedIdentity) -> User:
    """The person a verified identity signs in as: by (issuer, subject), else by email (then
    linked), else created when just-in-time creation is on. A matching group rule sets role and
    team at every sign-in (the provider is the source of truth). Raises SignInRefused, having
    written nothing, for an email outside the allowed domains, an unverified email, a
    deactivated person, or an unknown one without JIT."""
    email = identity.email.strip().lower()
    if not email or "@" not in email:
        raise SignInRefused(_("Your identity provider did not send an email address."))
    if identity.email_verified is False:
        raise SignInRefused(_("Your identity provider says this email address is not verified."))
    domain = email.rpartition("@")[2]
    if sso.allowed_domains and domain not in sso.allowed_domains:
        raise SignInRefused(_("Accounts at %(domain)s may not sign in here.") % {"domain": domain})
    rule = _mapped(sso, identity.groups)
    link = (
        ExternalIdentity.objects.select_related("user")
        .filter(issuer=identity.issuer, subject=identity.subject)
        .first()
    )
    user = link.user if link else User.objects.filter(email__iexact=email).first()
    if user is not None and not user.is_active:
        raise SignInRefused(_("Your Coachline account is deactivated. Ask an admin."))
    if user is None and not sso.jit_enabled:
        raise SignInRefused(
            _("There is no Coachline account for %(email)s yet. Ask an admin to invite you.")
            % {"email": email}
        )
    try:
        with transaction.atomic():
            team_name = rule.get("team", "") if rule else ""
            team = Team.objects.get_or_create(name=team_name)[0] if team_name else None
            if user is None:
                user = User(
                    email=email,
                    full_name=identity.full_name[:150] or email,
                    role=rule["role"] if rule else Role.REP,
                    team=team,
                )
                user.set_unusable_password()
                user.is_staff = user.role == Role.ADMIN
                user.save()
            elif rule and (user.role, user.team_id) != (rule["role"], team.pk if team else None):
                user.role = rule["role"]
                user.team = team
                user.is_staff = user.role == Role.ADMIN or user.is_superuser
                user.save()  # saved, not updated, so the audit log records the change
            if link is None:
                ExternalIdentity.objects.create(
                    user=user, issuer=identity.issuer, subject=identity.subject
                )
    except IntegrityError:
        # The same new person signing in twice at once: the other request created them.
        raise SignInRefused(_("Sign-in clashed with another one; try again.")) from None
    return user


def sign_in_records_prune(*, now: dt.datetime | None = None) -> int:
    """Delete sign-in records older than AUDITLOG_RETENTION_DAYS (the audit log's retention);
    returns how many went. Idempotent."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.AUDITLOG_RETENTION_DAYS)
    deleted, _by_model = SignInRecord.objects.filter(at__lt=cutoff).delete()
    # Used SAML assertions past their own validity can no longer be replayed anyway.
    SamlAssertionUse.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted


def launched_user_resolve(*, identity: VouchedIdentity, create: bool) -> User:
    """The person an LTI platform launched: by (issuer, subject) when linked before, else by
    email (then linked), else created as a rep when `create` (LTI_JIT_USERS). Raises
    SignInRefused, having written nothing, for a deactivated or unknown person, or for an
    unlinked one without an email address to match."""
    link = (
        ExternalIdentity.objects.select_related("user")
        .filter(issuer=identity.issuer, subject=identity.subject)
        .first()
    )
    email = identity.email.strip().lower()
    if link is None and "@" not in email:
        raise SignInRefused(
            _("The platform sent no email address, so the learner cannot be matched.")
        )
    user = link.user if link else User.objects.filter(email__iexact=email).first()
    if user is not None and not user.is_active:
        raise SignInRefused(_("Your Coachline account is deactivated. Ask an admin."))
    if user is None and not create:
        raise SignInRefused(
            _("There is no Coachline account for %(email)s yet. Ask an admin to invite you.")
            % {"email": email}
        )
    try:
        with transaction.atomic():
            if user is None:
                user = User(email=email, full_name=identity.full_name[:150] or email)
                user.set_unusable_password()
                user.save()
            if link is None:
                ExternalIdentity.objects.create(
                    user=user, issuer=identity.issuer, subject=identity.subject
                )
    except IntegrityError:
        raise SignInRefused(_("Sign-in clashed with another one; try again.")) from None
    return user
