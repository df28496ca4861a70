from django.utils.translation import gettext_lazy as _

from accounts.access import anyone_signed_in
from core.navigation import MenuEntry, menu_register

menu_register(MenuEntry("coaching:dashboard", _("Coaching"), anyone_signed_in, order=30))
