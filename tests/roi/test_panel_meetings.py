"""Meeting effectiveness in the panel: meetings per rep-month and the share that advanced their
deal (deals.meetings), one more query when asked for."""

import datetime as dt

import numpy as np
import pytest

from deals.meetings import meetings_annotate_advanced
from deals.models import Activity, DealField, DealStatus
from roi.months import month_number
from roi.panel import PanelWindow, data_coverage, panel_build
from roi.panel.arrays import MEETING_ADVANCE_RATE, MEETINGS
from tests.deals.factories import ActivityFactory
from tests.roi.factories import DealChangeFactory, DealFactory, RepFactory, at

pytestmark = pytest.mark.django_db

WINDOW = PanelWindow(first=dt.date(2024, 1, 1), last=dt.date(2024, 6, 1))
TODAY = dt.date(2024, 7, 10)


def meeting(deal, when, **kwargs):
    return ActivityFactory(
        deal=deal, owner=deal.owner if deal else kwargs.pop("owner"), occurred_at=when, **kwargs
    )


def _advanced(days=14):
    return dict(
        meetings_annotate_advanced(Activity.objects.all(), days=days).values_list(
            "external_id", "is_advanced"
        )
    )


def test_a_meeting_advances_its_deal_by_a_stage_move_or_a_win_within_the_window():
    rep = RepFactory()
    moved, won, late, lost, idle = (DealFactory(owner=rep) for _ in range(5))
    DealChangeFactory(
        deal=moved, field=DealField.STAGE, new_value="Proposal", changed_at=at(2024, 3, 10)
    )
    DealChangeFactory(
        deal=won, field=DealField.STATUS, new_value=DealStatus.WON, changed_at=at(2024, 3, 20)
    )
    DealChangeFactory(
        deal=late, field=DealField.STAGE, new_value="Proposal", changed_at=at(2024, 3, 30)
    )
    # a stage change that is the loss itself is no advance
    DealChangeFactory(
        deal=lost, field=DealField.STAGE, new_value="Closed Lost", changed_at=at(2024, 3, 10)
    )
    DealChangeFactory(
        deal=lost, field=DealField.STATUS, new_value=DealStatus.LOST, changed_at=at(2024, 3, 10)
    )
    held = at(2024, 3, 8)
    ids = {
        name: meeting(deal, held).external_id
        for name, deal in [
            ("moved", moved),
            ("won", won),
            ("late", late),
            ("lost", lost),
            ("idle", idle),
        ]
    }
    before = meeting(moved, at(2024, 3, 11)).external_id  # the move came before this meeting
    no_deal = ActivityFactory(deal=None, owner=rep, occurred_at=held).external_id

    advanced = _advanced()

    assert {name: advanced[i] for name, i in ids.items()} == {
        "moved": True,
        "won": True,  # 12 days later
        "late": False,  # 22 days later
        "lost": False,
        "idle": False,
    }
    assert (advanced[before], advanced[no_deal]) == (False, False)
    assert _advanced(days=30)[ids["late"]] is True


def test_a_deal_closed_won_in_the_window_advances_the_meeting_without_history():
    deal = DealFactory(status=DealStatus.WON, created_at=at(2024, 3, 1), closed_at=at(2024, 3, 12))
    ident = meeting(deal, at(2024, 3, 8)).external_id

    assert _advanced()[ident] is True


def test_the_panel_counts_meetings_and_the_advance_rate_per_rep_month(django_assert_num_queries):
    rep = RepFactory()
    # the CRM's data reaches the end of June, so March is an observed month
    deal = DealFactory(owner=rep, created_at=at(2023, 12, 1), source_updated_at=at(2024, 6, 30))
    DealChangeFactory(
        deal=deal, field=DealField.STAGE, new_value="Proposal", changed_at=at(2024, 3, 10)
    )
    meeting(deal, at(2024, 3, 8))
    meeting(deal, at(2024, 3, 20))
    ActivityFactory(deal=None, owner=rep, occurred_at=at(2024, 3, 21))
    ActivityFactory(deal=None, owner=rep, occurred_at=at(2024, 3, 21), kind="call")
    coverage = data_coverage(today=TODAY)

    # Queries: the eight of the panel from the deals, and the meetings.
    with django_assert_num_queries(9):
        panel = panel_build(
            window=WINDOW,
            home_currency="USD",
            today=TODAY,
            coverage=coverage,
            meeting_advance_days=14,
        )
    without = panel_build(window=WINDOW, home_currency="USD", today=TODAY, coverage=coverage)

    march = month_number(dt.date(2024, 3, 1)) - month_number(WINDOW.first)
    assert panel.outcome(MEETINGS)[0, march] == 3.0
    assert panel.outcome(MEETING_ADVANCE_RATE)[0, march] == 50.0  # 1 of the 2 about a deal
    assert np.isnan(without.outcome(MEETINGS)).all()


@pytest.mark.parametrize(
    ("days", "ok"), [(0, False), (1, True), (21, True), (365, True), (366, False)]
)
def test_the_advance_window_is_an_org_setting_from_1_to_365_days(days, ok):
    from django.core.exceptions import ValidationError

    from roi.models import RoiSettings
    from roi.services import roi_settings_update

    if ok:
        roi_settings_update(actor=None, changes={"meeting_advance_days": days})
        assert RoiSettings.current().meeting_advance_days == days
    else:
        with pytest.raises(ValidationError) as refused:
            roi_settings_update(actor=None, changes={"meeting_advance_days": days})
        assert list(refused.value.message_dict) == ["meeting_advance_days"]
        assert RoiSettings.current().meeting_advance_days == 14
