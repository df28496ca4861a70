from django.utils.translation import gettext_lazy as _

from accounts.access import is_admin, may_list_people
from core.navigation import MenuEntry, menu_register

menu_register(
    MenuEntry("accounts:people", _("People"), may_list_people, order=60),
    MenuEntry("accounts:api_keys", _("API keys"), is_admin, order=74),
    MenuEntry("accounts:audit_log", _("Audit log"), is_admin, order=80),
)
