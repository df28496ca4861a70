"""The site menu, declared by the apps: each app's `menu.py` registers its entries with who
sees them (a rule from the access policy), and this kernel renders them without knowing any
app's name. Entries are discovered like Django's admin modules (`autodiscover_modules("menu")`
in CoreConfig.ready).

A URL name that does not reverse fails loudly: `manage.py check` reports it (core.E001) and the
page that renders the menu raises, rather than dropping the entry as the old menu did.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.checks import CheckMessage, Error
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class MenuEntry:
    url_name: str
    label: str | Promise
    # Who sees it: called with the request's user (a rule of accounts.access).
    is_visible: Callable[[Any], bool]
    # Position in the menu, low first; apps leave gaps so others can slot in.
    order: int


@dataclass
class MenuItem:
    url: str
    label: str | Promise
    active: bool = False


_entries: dict[str, MenuEntry] = {}


def menu_register(*entries: MenuEntry) -> None:
    for entry in entries:
        if entry.url_name in _entries and _entries[entry.url_name] != entry:
            raise ValueError(f"Menu entry {entry.url_name!r} is registered twice.")
        _entries[entry.url_name] = entry


def menu_entries() -> list[MenuEntry]:
    return sorted(_entries.values(), key=lambda e: (e.order, e.url_name))


def menu_for(*, user: Any, path: str) -> list[MenuItem]:
    """The entries `user` sees, each with its URL and whether it is the current section."""
    items = [MenuItem(reverse(e.url_name), e.label) for e in menu_entries() if e.is_visible(user)]
    # The longest menu URL that prefixes the path is the current section (/learn/team/ is "Team
    # progress", not also "Learning"); "/" only matches itself.
    matches = [i for i in items if path == i.url or (i.url != "/" and path.startswith(i.url))]
    if matches:
        max(matches, key=lambda i: len(i.url)).active = True
    return items


def check_menu_urls(app_configs: Iterable[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """A system check: every registered entry's URL name reverses."""
    errors: list[CheckMessage] = []
    for entry in menu_entries():
        try:
            reverse(entry.url_name)
        except NoReverseMatch:
            errors.append(
                Error(
                    f"Menu entry {entry.url_name!r} names no URL.",
                    hint="Fix the url_name in the app's menu.py.",
                    id="core.E001",
                )
            )
    return errors
