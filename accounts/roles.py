"""The roles a person holds. Only the policy layer (accounts.access), data code (services,
selectors, demo seeding, serializers, forms) and tests name them; views, API views, menus and
context processors ask accounts.access instead (an import contract in pyproject.toml keeps it
so, and mypy's strict re-export check stops `Role` being taken from accounts.models)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REP = "rep", _("Sales rep")
    COACH = "coach", _("Coach")
    MANAGER = "manager", _("Manager")
    LEADER = "leader", _("Leader")
    ADMIN = "admin", _("Admin")
