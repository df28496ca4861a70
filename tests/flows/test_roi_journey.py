"""A leader reads the impact of a program: dashboard, program page, estimate beside the naive
figures, and the table behind the chart."""

from decimal import Decimal

import pytest

from roi.models import ReportSnapshot
from roi.services import report_refresh_all
from tests.factories import PASSWORD
from tests.flows.conftest import log_in
from tests.roi.builders import TODAY, build_team
from tests.roi.factories import program_with_courses

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_leader_reads_a_program_estimate_beside_the_naive_figures(cast, page):
    # given a program with a planted effect and fresh snapshots
    program = program_with_courses(
        1,
        title="Discovery that sticks",
        plausible_effect_pct=Decimal("20"),
        content_cost=Decimal("20000"),
    )
    build_team(n_reps=60, seed=3, program=program)
    report_refresh_all(force=True, today=TODAY)
    snapshot = ReportSnapshot.objects.get(subject_key=program.slug, metric="bookings")

    # when the leader opens Impact and the program
    log_in(page, "leader@example.com", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Impact").click()
    page.get_by_role("heading", name="Impact", exact=True).wait_for()
    page.get_by_role("link", name="Discovery that sticks").click()

    # then the estimate sits beside what a naive tool would say
    page.get_by_role("heading", name="Discovery that sticks").wait_for()
    estimate = page.get_by_test_id("estimate").inner_text()
    naive = page.get_by_test_id("naive-before-after").inner_text()
    assert estimate == f"+${round(snapshot.att):,}"
    assert naive == f"+${round(snapshot.payload['naive']['before_after']):,}"
    assert page.get_by_role("heading", name="What a naive tool would say").is_visible()
    assert page.locator("canvas[data-chart='event-study']").is_visible()

    # and the chart's table alternative opens with every month since training
    page.get_by_text("Show as a table").first.click()
    table = page.get_by_role("table", name="Effect by months since training")
    table.wait_for()
    rows = table.locator("tbody tr")
    assert rows.count() == len(snapshot.payload["event_study"])
