from django.utils.translation import gettext_lazy as _

from accounts.access import is_admin
from core.navigation import MenuEntry, menu_register

menu_register(MenuEntry("tools:list", _("Tools"), is_admin, order=73))
