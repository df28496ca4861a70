"""The access policy's decisions (docs/decisions: the access policy record), each with the bug it
fixed: a list that showed what its detail hid, a superuser seen as a rep by one page and as an
admin by another, and costs a manager could change in the Studio but not over the API."""

from decimal import Decimal

import pytest
from django.test import Client

from accounts.access import principal_of, visible_teams
from accounts.models import Team
from accounts.roles import Role
from tests.coaching.factories import SessionFactory
from tests.deals.factories import DealFactory
from tests.factories import UserFactory, make_api_key
from tests.training.factories import CourseFactory, ProgramFactory

pytestmark = pytest.mark.django_db

PEOPLE = ("rep", "coach", "manager", "other_manager", "leader", "admin")


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize(
    ("factory", "url"), [(CourseFactory, "courses"), (ProgramFactory, "programs")]
)
def test_the_list_and_the_detail_agree_about_drafts(cast, client_for, who, factory, url):
    # given a published one and a draft
    factory(slug="published")
    factory(slug="draft", status="draft")
    client = client_for(who)

    # when the caller lists them and opens each one
    listed = {c["slug"] for c in client.get(f"/api/v1/{url}/").json()["results"]}
    opens = {
        slug
        for slug in ("published", "draft")
        if client.get(f"/api/v1/{url}/{slug}/").status_code == 200
    }

    # then the list shows exactly what the detail opens (a leader saw drafts listed, then 404)
    assert listed == opens
    assert ("draft" in listed) == (who in ("manager", "other_manager", "admin"))


def test_a_superuser_with_the_rep_role_is_an_admin_for_deals_and_coaching_history_alike(cast):
    # given a superuser whose role field says rep, and another team's rep with a deal
    boss = UserFactory(role=Role.REP, is_superuser=True, is_staff=True)
    deal = DealFactory(owner=cast.other_rep)
    SessionFactory(coach=cast.other_coach, rep=cast.other_rep)
    client = Client()
    client.force_login(boss)

    # when they open the deal, the rep's coaching history and impact page
    answers = [
        client.get(f"/deals/{deal.pk}/").status_code,
        client.get(f"/coaching/people/{cast.other_rep.pk}/").status_code,
        client.get(f"/impact/reps/{cast.other_rep.pk}/").status_code,
        client.get(f"/api/v1/users/{cast.other_rep.pk}/").status_code,
    ]

    # then every page answers alike (the coaching history and people said 404)
    assert answers == [200, 200, 200, 200]
    assert principal_of(boss).sees_everyone and principal_of(boss).is_admin
    assert not principal_of(boss).sees_only_self


def test_a_manager_sees_program_costs_in_the_studio_but_cannot_change_them(cast):
    # given a program and its costs
    program = ProgramFactory(slug="found", content_cost=Decimal("1000.00"))
    form = {
        "title": "Foundations",
        "summary": "",
        "status": "published",
        "content_cost": "1",
        "cost_per_seat": "1",
        "expected_learner_hours": "1",
        "primary_metric": program.primary_metric,
        "horizon_months": "6",
        "plausible_effect_pct": "",
        "anticipation_months": "",
    }
    manager, admin = Client(), Client()
    manager.force_login(cast.manager)
    admin.force_login(cast.admin)

    # when the manager saves the form with other costs, the title is saved, the costs are not
    assert manager.post("/learn/studio/programs/found/", form).status_code == 302
    program.refresh_from_db()
    assert (program.title, program.content_cost) == ("Foundations", Decimal("1000.00"))
    assert program.cost_per_seat == Decimal("50.00")

    # and an admin changes them, as over the API (where a manager's PATCH is refused)
    assert admin.post("/learn/studio/programs/found/", form).status_code == 302
    program.refresh_from_db()
    assert (program.content_cost, program.cost_per_seat) == (Decimal("1"), Decimal("1"))


def test_the_manager_is_refused_costs_over_the_api_too(cast, client_for):
    ProgramFactory(slug="found", content_cost=Decimal("1000.00"))

    response = client_for("manager").patch(
        "/api/v1/programs/found/", {"content_cost": "1"}, format="json"
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("who", "teams"),
    [
        ("rep", set()),
        ("coach", set()),
        ("manager", {"Team A"}),
        ("other_manager", {"Team B"}),
        ("leader", {"Team A", "Team B"}),
        ("admin", {"Team A", "Team B"}),
    ],
)
def test_which_teams_each_person_sees_is_answered_once(cast, who, teams):
    assert {t.name for t in visible_teams(cast[who])} == teams


def test_keys_see_teams_with_users_read_only():
    with_scope, _raw = make_api_key("users:read")
    without, _raw = make_api_key("deals:read")

    assert visible_teams(with_scope).count() == visible_teams(with_scope).model.objects.count()
    assert not visible_teams(without).exists()


@pytest.mark.parametrize("who", PEOPLE)
def test_every_page_that_shows_teams_shows_the_ones_the_policy_names(cast, who):
    # given the policy's answer (team progress, pipeline hygiene and the impact reports each
    # wrote their own before, and the copies disagreed)
    names = {t.name for t in visible_teams(cast[who])}
    client = Client()
    client.force_login(cast[who])

    # when the person opens each page that filters by team, and each team's impact report
    def listed(path: str) -> set[str]:
        response = client.get(path)
        return {t.name for t in response.context["teams"]} if response.status_code == 200 else set()

    reports = {
        team.name
        for team in Team.objects.all()
        if client.get(f"/impact/teams/{team.pk}/").status_code == 200
    }

    # then every page answers as the policy does
    assert (listed("/learn/team/"), listed("/deals/hygiene/"), reports) == (names, names, names)
