from django.utils.translation import gettext_lazy as _

from accounts.access import anyone_signed_in, may_see_team_progress
from core.navigation import MenuEntry, menu_register

menu_register(
    MenuEntry("training:my_learning", _("Learning"), anyone_signed_in, order=10),
    MenuEntry("training:team_progress", _("Team progress"), may_see_team_progress, order=20),
)
