"""The menu is declared by the apps (`<app>/menu.py`) and rendered by core without knowing
them; who sees an entry is a rule of the access policy; a URL name that does not reverse fails
loudly instead of silently dropping the entry."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.urls import NoReverseMatch

from core import navigation
from core.navigation import MenuEntry, menu_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EVERYONE = ["Home", "Learning", "Coaching", "Deals"]


@pytest.mark.parametrize(
    ("who", "labels"),
    [
        ("rep", EVERYONE),
        ("coach", [*EVERYONE, "People"]),
        (
            "manager",
            [
                "Home",
                "Learning",
                "Team progress",
                "Coaching",
                "Deals",
                "Impact",
                "Efficiency",
                "People",
            ],
        ),
        (
            "leader",
            [
                "Home",
                "Learning",
                "Team progress",
                "Coaching",
                "Deals",
                "Impact",
                "Efficiency",
                "People",
            ],
        ),
        (
            "admin",
            [
                "Home",
                "Learning",
                "Team progress",
                "Coaching",
                "Deals",
                "Impact",
                "Efficiency",
                "People",
                "Integrations",
                "Costs",
                "Tools",
                "API keys",
                "Audit log",
            ],
        ),
    ],
)
def test_each_role_sees_its_menu(cast, who, labels):
    client = Client()
    client.force_login(cast[who])

    response = client.get("/deals/")

    assert [str(i.label) for i in response.context["nav_items"]] == labels
    assert [str(i.label) for i in response.context["nav_items"] if i.active] == ["Deals"]


def test_a_superuser_with_the_rep_role_gets_the_admins_menu(cast):
    boss = UserFactory(is_superuser=True)

    labels = [str(i.label) for i in menu_for(user=boss, path="/")]

    assert {"Integrations", "API keys", "Audit log"} <= set(labels)


def test_the_longest_matching_entry_is_the_current_section(cast):
    items = menu_for(user=cast.manager, path="/learn/team/")

    assert [str(i.label) for i in items if i.active] == ["Team progress"]


@pytest.fixture
def typo_in_a_menu(monkeypatch):
    entries = dict(navigation._entries)
    entries["deals:lits"] = MenuEntry("deals:lits", "Deals", lambda user: True, order=99)
    monkeypatch.setattr(navigation, "_entries", entries)


def test_a_url_name_that_does_not_reverse_fails_the_check_and_the_page(cast, typo_in_a_menu):
    with pytest.raises(SystemCheckError, match="core.E001"):
        call_command("check")
    with pytest.raises(NoReverseMatch):
        menu_for(user=cast.rep, path="/")


def test_the_kernel_names_no_app():
    for name in ("context_processors.py", "navigation.py"):
        source = (Path(navigation.__file__).parent / name).read_text()
        apps = ("training", "coaching", "deals", "roi", "accounts", "integrations", "tools", "home")
        for app in apps:
            assert f"{app}:" not in source and f'"{app}' not in source, (name, app)
