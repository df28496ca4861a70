"""An admin manages people in Coachline itself: invite, change role and relations, deactivate.

Every change saves the User row (never `QuerySet.update`), so the audit log (django-auditlog,
settings.AUDITLOG_INCLUDE_TRACKING_MODELS) records role, team, manager and active changes with
the admin who made them. Deactivation is soft: the person can no longer sign in, and everything
they did (completions, sessions, deals) stays for the ROI reports.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts.models import ApiKey, CoachAssignment, CrmIdentity, Team, User
from accounts.roles import Role
from accounts.sso import password_sign_in_allowed


@dataclass(frozen=True)
class PersonChanges:
    full_name: str
    role: str
    team: Team | None
    manager: User | None
    coaches: Sequence[User]
    hire_date: dt.date | None


def _refuse_self_lockout(*, actor: User, user: User, role: str, is_active: bool) -> None:
    # An admin who takes away their own admin role or account has nobody to undo it.
    if actor.pk == user.pk and (role != Role.ADMIN or not is_active) and not actor.is_superuser:
        raise ValidationError(
            {"role": [_("You cannot take away your own admin role or deactivate yourself.")]}
        )


def user_invite(
    *, actor: User, email: str, full_name: str, role: str, team: Team | None = None
) -> User:
    """Create the person without a usable password and email them a link to set one (or they
    sign in with single sign-on). A taken email (in any case) raises ValidationError."""
    email = email.strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": [_("Choose a role from the list.")]})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": [_("Someone with this email is already here.")]})
    try:
        with transaction.atomic():
            user = User(
                email=email,
                full_name=full_name.strip(),
                role=role,
                team=team,
                is_staff=role == Role.ADMIN,
            )
            user.set_unusable_password()
            user.save()
    except IntegrityError:  # the same email invited twice at once
        raise ValidationError({"email": [_("Someone with this email is already here.")]}) from None
    transaction.on_commit(lambda: invitation_send(user=user, invited_by=actor))
    return user


def invitation_link(*, user: User) -> str:
    """The page where the invitee sets a password: Django's reset link (valid for
    PASSWORD_RESET_TIMEOUT, and only until the password is set)."""
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return f"{settings.SITE_URL}{path}"


def invitation_send(*, user: User, invited_by: User) -> None:
    """With "SSO required" the invitation carries no link to set a password (it could not be
    used): the person signs in through the identity provider."""
    inviter = invited_by.full_name or invited_by.email
    if password_sign_in_allowed(user=user):
        message = _(
            "%(inviter)s invited you to Coachline.\n\n"
            "Set your password here:\n%(link)s\n\n"
            "If your organisation signs in with single sign-on, use the button on the login "
            "page instead.\n"
        ) % {"inviter": inviter, "link": invitation_link(user=user)}
    else:
        message = _(
            "%(inviter)s invited you to Coachline.\n\n"
            "Your organisation signs in with single sign-on: open %(link)s and use the "
            "sign-in button there.\n"
        ) % {"inviter": inviter, "link": f"{settings.SITE_URL}{reverse('accounts:login')}"}
    send_mail(
        subject=_("You are invited to Coachline"),
        message=message,
        from_email=None,
        recipient_list=[user.email],
    )


def user_admin_update(*, actor: User, user: User, changes: PersonChanges) -> User:
    """Change a person's name, role, team, manager, coaches and hire date in one transaction.
    The caller checked `actor` is an admin."""
    if changes.role not in Role.values:
        raise ValidationError({"role": [_("Choose a role from the list.")]})
    _refuse_self_lockout(actor=actor, user=user, role=changes.role, is_active=user.is_active)
    if changes.manager is not None and changes.manager.pk == user.pk:
        raise ValidationError({"manager": [_("A person cannot be their own manager.")]})
    if any(coach.pk == user.pk for coach in changes.coaches):
        raise ValidationError({"coaches": [_("A person cannot be their own coach.")]})
    with transaction.atomic():
        user.full_name = changes.full_name.strip()
        user.role = changes.role
        user.team = changes.team
        user.manager = changes.manager
        user.hire_date = changes.hire_date
        user.is_staff = changes.role == Role.ADMIN or user.is_superuser
        user.save()
        wanted = {coach.pk for coach in changes.coaches}
        CoachAssignment.objects.filter(coachee=user).exclude(coach_id__in=wanted).delete()
        have = set(CoachAssignment.objects.filter(coachee=user).values_list("coach_id", flat=True))
        CoachAssignment.objects.bulk_create(
            [CoachAssignment(coach_id=pk, coachee=user) for pk in sorted(wanted - have)]
        )
    return user


def user_set_active(*, actor: User, user: User, is_active: bool) -> User:
    """Deactivate (soft: nothing of theirs is deleted, they can no longer sign in, their open
    sessions end at the next request and the API keys they created are revoked) or reactivate
    a person."""
    _refuse_self_lockout(actor=actor, user=user, role=user.role, is_active=is_active)
    if user.is_active != is_active:
        user.is_active = is_active
        user.save(update_fields=["is_active"])
        if not is_active:
            person_deactivated(user=user)
    return user


def person_deactivated(*, user: User) -> int:
    """What deactivating a person ends besides sign-in (their open sessions end at the next
    request, as the auth backend refuses inactive people): the API keys they created are
    revoked, each saved so the audit log records it. Returns how many."""
    keys = list(ApiKey.objects.filter(created_by=user, revoked=False))
    for key in keys:
        key.revoked = True
        key.save(update_fields=["revoked"])
    return len(keys)


def team_save(*, team: Team | None, name: str, manager: User | None) -> Team:
    """Create a team (`team` None) or rename it and change its manager. A name taken by another
    team (in any case) raises ValidationError. Saved, so the audit log records the change."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("Give the team a name.")]})
    clash = Team.objects.filter(name__iexact=name)
    if team is not None:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        raise ValidationError({"name": [_("Another team already has this name.")]})
    team = team or Team()
    team.name = name
    team.manager = manager
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError:  # the same name created twice at once
        raise ValidationError({"name": [_("Another team already has this name.")]}) from None
    return team


def crm_identity_remove(*, user: User, identity_id: int) -> int:
    """Forget one of `user`'s CRM owner ids (deals already attributed keep their owner)."""
    deleted, _by_model = CrmIdentity.objects.filter(user=user, pk=identity_id).delete()
    return deleted
