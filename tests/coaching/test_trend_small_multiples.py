"""The score trend is drawn as small multiples: one chart per rubric criterion (each named for
screen readers, pointing to the table), all from one embedded JSON, with the table beside it."""

import re

import pytest

from coaching.services.scorecards import scorecard_record
from tests.coaching.factories import SessionFactory

pytestmark = pytest.mark.django_db


def test_the_trend_draws_one_chart_per_criterion_with_the_table(cast, client, rubric):
    rubric_obj, criteria = rubric
    session = SessionFactory(coach=cast.coach, rep=cast.rep, status="completed")
    scorecard_record(
        session=session,
        scored_by=cast.coach,
        rubric=rubric_obj,
        scores={c.pk: c.scale_min + 1 for c in criteria},
    )
    client.force_login(cast.coach)

    page = client.get("/coaching/trends/", {"rep": cast.rep.pk}).content.decode()

    charts = re.findall(
        r'<canvas class="trend-chart" data-series="(\d+)"[^>]*aria-label="([^"]+)"', page
    )
    assert [int(index) for index, _label in charts] == list(range(len(criteria)))
    for (_index, label), criterion in zip(charts, criteria, strict=True):
        assert label.startswith(f"{criterion.name}: mean score per month")
        assert "table below" in label
    assert page.count('id="trend-data"') == 1 and 'id="trend-chart"' not in page
    assert "The same figures as a table" in page
