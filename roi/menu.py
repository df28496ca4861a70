from django.utils.translation import gettext_lazy as _

from accounts.access import is_admin, may_read_reports
from core.navigation import MenuEntry, menu_register

menu_register(
    MenuEntry("roi:dashboard", _("Impact"), may_read_reports, order=50),
    MenuEntry("roi:efficiency", _("Efficiency"), may_read_reports, order=51),
    MenuEntry("roi:costs", _("Costs"), is_admin, order=72),
)
