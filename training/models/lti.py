"""LTI 1.3: the platforms (Moodle, Canvas, ...) registered to launch Coachline as a tool, and
each accepted launch (which doubles as the record of used nonces and where a grade goes back).
Coachline's key id towards a platform is not stored: it is PyLTI1p3's thumbprint of the key
(training.lti.tool.tool_public_jwk)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.encryption import EncryptedTextField
from core.models import TimeStampedModel
from training.models.catalog import Course


class LtiPlatform(TimeStampedModel):
    """A platform registration: what the platform told us (issuer, client id, its endpoints and
    keys, deployment ids) and the key pair Coachline signs with towards it (service tokens)."""

    name = models.CharField(_("name"), max_length=120)
    issuer = models.CharField(_("issuer"), max_length=500)
    client_id = models.CharField(_("client id"), max_length=255)
    auth_login_url = models.URLField(_("authentication request URL"), max_length=500)
    auth_token_url = models.URLField(_("access token URL"), max_length=500)
    auth_audience = models.CharField(_("token audience"), max_length=500, blank=True, default="")
    key_set_url = models.URLField(_("platform key set (JWKS) URL"), max_length=500, blank=True)
    public_key = models.TextField(_("platform public key"), blank=True, default="")
    deployment_ids = models.JSONField(_("deployment ids"), default=list, blank=True)
    tool_private_key = EncryptedTextField(blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("LTI platform")
        verbose_name_plural = _("LTI platforms")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "client_id"], name="training_lti_platform_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LtiLaunch(TimeStampedModel):
    """One accepted resource-link launch. The (platform, nonce) pair is unique, so a replayed
    id token is refused; the Assignment and Grade Services claim says where the score goes."""

    platform = models.ForeignKey(LtiPlatform, on_delete=models.CASCADE, related_name="launches")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_launches"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lti_launches")
    nonce = models.CharField(max_length=255)
    deployment_id = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    resource_link_id = models.CharField(max_length=255, blank=True, default="")
    lineitem_url = models.URLField(max_length=1000, blank=True, default="")
    ags_scopes = models.JSONField(default=list, blank=True)
    score_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("LTI launch")
        verbose_name_plural = _("LTI launches")
        constraints = [
            models.UniqueConstraint(fields=["platform", "nonce"], name="training_lti_nonce_once"),
        ]
        indexes = [models.Index(fields=["user", "course"], name="training_lti_user_course")]

    def __str__(self) -> str:
        return f"{self.platform} {self.subject} {self.course_id}"
