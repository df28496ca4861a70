"""Authentication backends. Django stores the backend that signed a session in, and asks it for
the person at every request: so how a session began decides what may end it.

- `PasswordBackend` checks passwords and serves sessions begun with one. With "SSO required"
  (accounts.sso) such a session ends at its next request, page or API, unless it is the
  break-glass admin's; sessions begun before the setting was turned on too.
- `VouchedBackend` serves sessions an identity provider or an LTI platform vouched for (no
  password was checked); it never checks a password itself.
"""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest

from accounts.models import SingleSignOn, User

PASSWORD_BACKEND = "accounts.backends.PasswordBackend"  # noqa: S105 (a dotted path)
VOUCHED_BACKEND = "accounts.backends.VouchedBackend"


class PasswordBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        # One query, as ModelBackend's: the person, and whether "SSO required" refuses them a
        # password session (the SSO row is required and names someone else, or nobody, to
        # break glass).
        refused = SingleSignOn.objects.filter(pk=1, sso_required=True).filter(
            Q(break_glass_user__isnull=True) | ~Q(break_glass_user=OuterRef("pk"))
        )
        user = User.objects.annotate(password_refused=Exists(refused)).filter(pk=user_id).first()
        if user is None or user.password_refused or not self.user_can_authenticate(user):
            return None
        return user


class VouchedBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        return None
