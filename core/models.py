from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Organization(models.Model):
    """The one organisation this installation serves (a singleton row, pk=1)."""

    name = models.CharField(max_length=120, default="Coachline")
    home_currency = models.CharField(
        max_length=3,
        default="USD",
        help_text="ISO 4217 code; reports convert deal amounts into it.",
    )

    class Meta:
        verbose_name = "organization"
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="core_organization_singleton"),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> "Organization":
        org, _created = cls.objects.get_or_create(pk=1)
        return org
