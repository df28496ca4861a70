import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from accounts.roles import Role
from core.encryption import EncryptedTextField
from core.models import SingletonModel, TimeStampedModel

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones())
# Each language named in itself, so a person who cannot read the current one still finds theirs.
LANGUAGE_CHOICES = [("", _("As my browser says")), ("en", "English"), ("de", "Deutsch")]


class Team(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120, unique=True)
    manager = models.ForeignKey(
        "User",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        if not email:
            raise ValueError("Users must have an email address")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.REP)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    manager = models.ForeignKey(
        "self",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="UTC"
    )
    # Empty until the person chooses (header switcher or profile): until then each request
    # follows their browser (Accept-Language, or the language cookie set before signing in).
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=LANGUAGE_CHOICES,
        default="",
        blank=True,
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def sees_everyone(self) -> bool:
        return self.role in (Role.LEADER, Role.ADMIN)

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def message_language(self) -> str:
        """The language of emails and other messages sent outside a request: the person's
        choice, else the site's (their browser is not there to ask)."""
        return self.language or settings.LANGUAGE_CODE

    @property
    def initials(self) -> str:
        parts = [p for p in self.full_name.split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or self.email[:1].upper()


class CoachAssignment(TimeStampedModel):
    """A coach coaches a coachee. A rep may have several coaches."""

    coach = models.ForeignKey(User, on_delete=models.CASCADE, related_name="coachee_links")
    coachee = models.ForeignKey(User, on_delete=models.CASCADE, related_name="coach_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["coach", "coachee"], name="accounts_coach_coachee_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(coach=models.F("coachee")), name="accounts_coach_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.coach} → {self.coachee}"


class CrmSource(models.TextChoices):
    SALESFORCE = "salesforce", "Salesforce"
    HUBSPOT = "hubspot", "HubSpot"
    CSV = "csv", "CSV"
    OTHER = "other", _("Other")


class CrmIdentity(TimeStampedModel):
    """How a CRM names this user: incoming deals find their rep through it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="crm_identities")
    source = models.CharField(max_length=32)
    owner_id = models.CharField(max_length=128)

    class Meta:
        verbose_name = _("CRM identity")
        verbose_name_plural = _("CRM identities")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "owner_id"], name="accounts_crm_owner_unique"
            ),
            models.UniqueConstraint(
                fields=["user", "source"], name="accounts_crm_user_source_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.owner_id}"


class Scope(models.TextChoices):
    USERS_READ = "users:read", _("Read users")
    USERS_WRITE = "users:write", _("Write users")
    # Granting or removing the admin or leader role: never implied by users:write.
    USERS_ADMIN = "users:admin", _("Grant admin and leader roles")
    TRAINING_READ = "training:read", _("Read training")
    TRAINING_WRITE = "training:write", _("Write training")
    DEALS_READ = "deals:read", _("Read deals")
    DEALS_WRITE = "deals:write", _("Write deals")
    COACHING_READ = "coaching:read", _("Read coaching")
    COACHING_WRITE = "coaching:write", _("Write coaching")
    REPORTS_READ = "reports:read", _("Read reports")
    TOOLS_WRITE = "tools:write", _("Write tools and their seats")
    # SCIM 2.0 provisioning (/scim/v2/): create, change and deactivate people and teams.
    SCIM = "scim", _("Provision people and teams (SCIM)")


class ApiKey(AbstractAPIKey):
    """An integration's credential. Hashed at rest by the library; shown once on creation."""

    scopes = models.JSONField(_("scopes"), default=list)
    # Each key is throttled on its own (accounts.throttling), not as anonymous traffic by IP.
    requests_per_hour = models.PositiveIntegerField(
        _("requests per hour"), default=10_000, validators=[MinValueValidator(1)]
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")  # type: ignore[assignment]
        verbose_name_plural = _("API keys")  # type: ignore[assignment]

    def has_scope(self, scope: str) -> bool:
        # A write scope implies the read scope of the same resource.
        if scope in self.scopes:
            return True
        resource, _sep, action = scope.partition(":")
        return action == "read" and f"{resource}:write" in self.scopes


class SignInMethod(models.TextChoices):
    PASSWORD = "password", _("Password")
    OIDC = "oidc", _("OpenID Connect")
    SAML = "saml", _("SAML")
    LTI = "lti", _("LTI launch")


class SingleSignOn(SingletonModel):
    """The organisation's single sign-on settings: one row, edited on the SSO page by an admin."""

    oidc_enabled = models.BooleanField(_("OpenID Connect sign-in on"), default=False)
    provider_name = models.CharField(
        _("provider name"),
        max_length=60,
        blank=True,
        help_text=_("Shown on the login button, e.g. Okta, Microsoft or Google."),
    )
    oidc_issuer = models.URLField(_("issuer URL"), max_length=500, blank=True)
    oidc_client_id = models.CharField(_("client ID"), max_length=255, blank=True)
    oidc_client_secret = EncryptedTextField(_("client secret"), blank=True, default="")
    allowed_domains = models.JSONField(_("allowed email domains"), default=list, blank=True)
    groups_claim = models.CharField(_("groups claim"), max_length=100, blank=True, default="groups")
    # [{"group": "Sales EMEA", "role": "rep", "team": "EMEA"}, ...]: the first match wins.
    group_mapping = models.JSONField(_("group mapping"), default=list, blank=True)
    jit_enabled = models.BooleanField(_("create people at first sign-in"), default=True)
    saml_enabled = models.BooleanField(_("SAML sign-in on"), default=False)
    saml_idp_metadata_url = models.URLField(_("IdP metadata URL"), max_length=500, blank=True)
    # The provider's metadata as last read (from the URL when one is given, at each save).
    saml_idp_metadata_xml = models.TextField(_("IdP metadata XML"), blank=True)
    saml_idp_entity_id = models.CharField(_("IdP entity ID"), max_length=500, blank=True)
    sso_required = models.BooleanField(_("single sign-on required"), default=False)
    break_glass_user = models.ForeignKey(
        User,
        verbose_name=_("break-glass admin"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("single sign-on settings")
        verbose_name_plural = _("single sign-on settings")

    def __str__(self) -> str:
        return self.provider_name or "single sign-on"


class ExternalIdentity(TimeStampedModel):
    """This person is `subject` at identity provider `issuer` (an OIDC `sub`, a SAML NameID):
    later sign-ins find them by it even if their email changes."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="external_identities")
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="accounts_external_identity_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject}"


class SignInRecord(models.Model):
    """One sign-in or failed attempt: how, through which provider, from where."""

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="sign_ins"
    )
    email = models.CharField(_("email"), max_length=254, blank=True)
    method = models.CharField(_("method"), max_length=16, choices=SignInMethod.choices)
    provider = models.CharField(_("provider"), max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    succeeded = models.BooleanField(_("succeeded"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("sign-in")
        verbose_name_plural = _("sign-ins")

    def __str__(self) -> str:
        return f"{self.email} {self.method} {self.at:%Y-%m-%d %H:%M}"


class SamlAssertionUse(models.Model):
    """A SAML assertion that signed someone in: the same assertion is refused a second time
    (pysaml2 keeps no such record). Kept until the assertion's own end of validity."""

    assertion_id = models.CharField(max_length=255, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.assertion_id


class ScimRecord(models.Model):
    """What SCIM provisioning keeps about a person or a team beyond Coachline's own fields: the
    identity provider's externalId, when SCIM created and last changed it, and whether the
    provider deleted it. A SCIM DELETE never deletes a row: the person is deactivated (history
    stays for ROI) and the team kept; both are then hidden from SCIM."""

    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="scim_record"
    )
    team = models.OneToOneField(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="scim_record"
    )
    # Empty: the person's email is their userName (people who existed before SCIM).
    user_name = models.CharField(_("user name"), max_length=255, blank=True)
    external_id = models.CharField(_("external id"), max_length=255, blank=True)
    # The name parts and email list as the provider sent them, returned as sent.
    profile = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SCIM record")
        verbose_name_plural = _("SCIM records")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, team__isnull=True)
                | models.Q(user__isnull=True, team__isnull=False),
                name="accounts_scim_record_user_xor_team",
            ),
            models.UniqueConstraint(
                Lower("user_name"),
                condition=~models.Q(user_name=""),
                name="accounts_scim_record_user_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"SCIM {self.user_id or self.team_id} {self.external_id}"
