"""A leader reads the impact of a program: dashboard, program page, estimate beside the naive
figures, and the table behind the chart."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

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
    expect(page.get_by_role("heading", name="Impact", exact=True)).to_be_visible()
    page.get_by_role("link", name="Discovery that sticks").click()

    # then the estimate sits beside what a naive tool would say
    expect(page.get_by_role("heading", name="Discovery that sticks")).to_be_visible()
    expect(page.get_by_test_id("estimate")).to_have_text(f"+${round(snapshot.att):,}")
    expect(page.get_by_test_id("naive-before-after")).to_have_text(
        f"+${round(snapshot.payload['naive']['before_after']):,}"
    )
    expect(page.get_by_role("heading", name="What a naive tool would say")).to_be_visible()
    expect(page.locator("canvas[data-chart='event-study']")).to_be_visible()

    # and the chart's table alternative opens with every month since training
    page.get_by_text("Show as a table").first.click()
    table = page.get_by_role("table", name="Effect by months since training")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(snapshot.payload["event_study"]))
