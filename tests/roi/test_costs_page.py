"""Every cost that enters ROI on one admin page."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry

from roi.models import ProgramCosting, RoiSettings
from tests.roi.factories import ProgramFactory
from training.models import Program

pytestmark = pytest.mark.django_db


def costs_post(prefix: str, **values: str) -> dict[str, str]:
    data = {
        "content_cost": "1000",
        "cost_per_seat": "50",
        "delivery_cost": "2500.50",
        "expected_learner_hours": "6",
        "coaching_hours_per_seat": "1.5",
    }
    data.update(values)
    return {"form": prefix, **{f"{prefix}-{k}": v for k, v in data.items()}}


@pytest.mark.parametrize("who", ["rep", "coach", "manager", "leader", None])
def test_only_admins_see_or_change_costs(cast, client, who):
    program = ProgramFactory()
    if who:
        client.force_login(cast[who])

    get = client.get("/impact/costs/")
    post = client.post("/impact/costs/", costs_post(f"p{program.pk}"))

    assert get.status_code in (404, 302) and post.status_code in (404, 302)
    if who:
        assert get.status_code == 404
    assert not ProgramCosting.objects.exists()
    assert Program.objects.get().content_cost == 0


def test_an_admin_edits_a_programs_costs_in_one_place_and_the_audit_log_has_them(cast, client):
    program, other = ProgramFactory(title="Alpha"), ProgramFactory(title="Beta")
    client.force_login(cast.admin)

    response = client.post("/impact/costs/", costs_post(f"p{program.pk}"))

    assert response.status_code == 302
    program.refresh_from_db()
    other.refresh_from_db()
    assert (program.content_cost, program.cost_per_seat, program.expected_learner_hours) == (
        Decimal("1000"),
        Decimal("50"),
        Decimal("6"),
    )
    costing = ProgramCosting.objects.get()
    assert (costing.program_id, costing.delivery_cost, costing.coaching_hours_per_seat) == (
        program.pk,
        Decimal("2500.50"),
        Decimal("1.5"),
    )
    assert other.content_cost == 0
    entry = LogEntry.objects.get_for_object(program).latest("timestamp")
    assert (entry.actor_id, entry.changes_dict["content_cost"]) == (cast.admin.pk, ["0.00", "1000"])
    assert LogEntry.objects.get_for_object(costing).get().actor_id == cast.admin.pk


def test_the_hourly_costs_are_on_the_same_page(cast, client):
    client.force_login(cast.admin)

    client.post(
        "/impact/costs/", {"form": "hourly", "rep_hourly_cost": "75", "coach_hourly_cost": "120"}
    )

    settings = RoiSettings.current()
    assert (settings.rep_hourly_cost, settings.coach_hourly_cost) == (Decimal("75"), Decimal("120"))


@pytest.mark.parametrize(
    "field,value",
    [
        ("content_cost", "-1"),
        ("delivery_cost", "NaN"),
        ("cost_per_seat", "Infinity"),
        ("expected_learner_hours", "100000"),
        ("coaching_hours_per_seat", "1e400"),
        ("delivery_cost", "12\x00"),
        ("content_cost", "99999999999999"),
    ],
)
def test_bad_costs_are_refused_and_nothing_is_written(cast, client, field, value):
    program = ProgramFactory()
    client.force_login(cast.admin)

    response = client.post("/impact/costs/", costs_post(f"p{program.pk}", **{field: value}))

    assert response.status_code == 200
    form = next(f for p, _prefix, f in response.context["rows"] if p.pk == program.pk)
    assert form.errors.get(field)
    assert not ProgramCosting.objects.exists()
    program.refresh_from_db()
    assert program.content_cost == 0


@pytest.mark.parametrize("programs", [1, 7])
def test_costs_page_queries_do_not_grow(cast, client, django_assert_num_queries, programs):
    for _n in range(programs):
        ProgramFactory()
    RoiSettings.current()  # the row exists (the first visit ever creates it)
    client.force_login(cast.admin)

    # session, user, settings, programs with their costing
    with django_assert_num_queries(4):
        response = client.get("/impact/costs/")

    assert response.content.decode().count('name="form" value="p') == programs
