"""The panel from the rep x month summary (roi.models.RepMonthSummary) instead of the deals.

The summary holds, per rep and month, exactly the panel's aggregates (computed by the panel's
own queries, roi.panel.queries, so both paths share one definition); reading it costs one query
over rep-months instead of four scans of the deals. It is used only while it is valid for the
panel asked for (`summary_usable`): rebuilt at least once, in the same home currency and
exchange rates, and a window of months that are over (open deals' close dates count as missed
only once they passed). Otherwise the panel is built from the deals as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from accounts.models import User
from accounts.roles import Role
from deals.models import ExchangeRate
from roi.models import RepMonthSummary, SummaryState
from roi.months import month_number
from roi.panel.queries import (
    CLOSED_COLUMNS,
    CURRENT_COLUMNS,
    NEW_COLUMNS,
    closed_deals_query,
    current_close_dates_query,
    new_deals_query,
    pushed_close_dates_query,
)
from roi.panel.window import PanelWindow

# Every month a deal can fall in: what a full rebuild, or an owner's, covers.
ALL_TIME = PanelWindow(first=dt.date(1900, 1, 1), last=dt.date(2999, 12, 1))

# The summary's value columns: the closed, new and pushed queries', then the current close
# dates of deals closed (due, missed) and of open deals (due and missed once the date passed).
SUMMARY_COLUMNS = (
    *CLOSED_COLUMNS[2:],
    *NEW_COLUMNS[2:],
    "pushed",
    "due_closed",
    "missed_closed",
    "due_open",
)


def summary_rows(
    *,
    window: PanelWindow,
    home_currency: str,
    first_rates: dict[str, dt.date],
    rep_ids: Sequence[int] | None = None,
) -> dict[tuple[int, int], list[float]]:
    """{(owner, month): SUMMARY_COLUMNS values} of the deals in `window`: five queries. The
    current close dates come from current_close_dates_query twice: with no date passed yet
    (closed deals only) and with every date passed (open deals too); the difference is the open
    deals'."""
    families = [
        closed_deals_query(
            window=window, home_currency=home_currency, first_rates=first_rates, rep_ids=rep_ids
        ),
        new_deals_query(window=window, rep_ids=rep_ids),
        pushed_close_dates_query(window=window, rep_ids=rep_ids),
        current_close_dates_query(window=window, today=dt.date.min, rep_ids=rep_ids),
    ]
    rows: dict[tuple[int, int], list[float]] = {}
    offset = 0
    for query, width in zip(families, _WIDTHS, strict=True):
        for owner, month, *values in query:
            row = rows.setdefault((int(owner), int(month)), [0.0] * len(SUMMARY_COLUMNS))
            row[offset : offset + width] = [float(v or 0) for v in values]
        offset += width
    passed = current_close_dates_query(window=window, today=dt.date.max, rep_ids=rep_ids)
    for owner, month, due, _missed in passed:
        row = rows.setdefault((int(owner), int(month)), [0.0] * len(SUMMARY_COLUMNS))
        row[_DUE_OPEN] = float(due or 0) - row[_DUE_OPEN - 2]
    return rows


# How many value columns each family query gives, in SUMMARY_COLUMNS order.
_WIDTHS = (len(CLOSED_COLUMNS) - 2, len(NEW_COLUMNS) - 2, 1, len(CURRENT_COLUMNS) - 2)
_DUE_OPEN = SUMMARY_COLUMNS.index("due_open")


def rates_digest() -> str:
    """A fingerprint of the exchange rates (a small table): values converted with other rates
    are stale."""
    rates = ExchangeRate.objects.order_by("currency", "valid_from").values_list(
        "currency", "valid_from", "rate"
    )
    text = ";".join(f"{c},{v.isoformat()},{r.normalize()}" for c, v, r in rates)
    return hashlib.sha256(text.encode()).hexdigest()


def summary_usable(*, window: PanelWindow, home_currency: str, today: dt.date) -> bool:
    """Whether the summary gives this panel exactly: built, same currency and rates, and every
    month of the window over by `today`."""
    if window.end_day > today:
        return False
    state = SummaryState.objects.filter(pk=1).first()
    return (
        state is not None
        and state.built_at is not None
        and state.home_currency == home_currency
        and state.rates_digest == rates_digest()
    )


def summary_tenure(*, rep_ids: Sequence[int] | None = None) -> list[tuple[Any, ...]]:
    """tenure_query's rows (the same TENURE_COLUMNS) from the summary's source spans."""
    reps = User.objects.filter(role=Role.REP)
    if rep_ids is not None:
        reps = User.objects.filter(pk__in=list(rep_ids))
    return list(
        reps.values_list(
            "pk",
            "hire_date",
            "is_active",
            "deal_spans__source",
            "deal_spans__first_deal",
            "deal_spans__last_created",
            "deal_spans__last_closed",
        ).order_by("pk", "deal_spans__source")
    )


def summary_matrix(
    *, window: PanelWindow, rep_ids: Sequence[int] | None = None
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The summary rows in the window: (owner, month, SUMMARY_COLUMNS...) as a float matrix."""
    rows = RepMonthSummary.objects.filter(
        month__gte=month_number(window.first), month__lte=month_number(window.last)
    )
    if rep_ids is not None:
        rows = rows.filter(owner_id__in=list(rep_ids))
    values = list(rows.values_list("owner_id", "month", *SUMMARY_COLUMNS).order_by())
    if not values:
        return np.zeros((0, len(SUMMARY_COLUMNS) + 2))
    return np.asarray(values, dtype=np.float64)
