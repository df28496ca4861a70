"""Building the panel: run the queries, place their rows into rep x month arrays.

Python only places the aggregated rows (never a loop over deals).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from roi.months import month_number, utc_month
from roi.panel.arrays import BoolArray, FloatArray, IntArray, RepMonthPanel
from roi.panel.queries import (
    CLOSED_COLUMNS,
    CURRENT_COLUMNS,
    NEW_COLUMNS,
    PUSHED_COLUMNS,
    closed_deals_query,
    current_close_dates_query,
    first_rate_days,
    new_deals_query,
    pushed_close_dates_query,
    tenure_query,
)
from roi.panel.window import PanelWindow


def panel_build(
    *,
    window: PanelWindow,
    home_currency: str,
    today: dt.date,
    rep_ids: Sequence[int] | None = None,
) -> RepMonthPanel:
    """The panel of every rep (or of `rep_ids`). Six queries: tenure, first rate days, closed
    deals, new deals, pushed close dates, current close dates."""
    tenure = list(tenure_query(rep_ids=rep_ids))
    first_rates = first_rate_days()
    return panel_assemble(
        window=window,
        tenure=tenure,
        closed=list(
            closed_deals_query(
                window=window,
                home_currency=home_currency,
                first_rates=first_rates,
                rep_ids=rep_ids,
            )
        ),
        new=list(new_deals_query(window=window, rep_ids=rep_ids)),
        pushed=list(pushed_close_dates_query(window=window, rep_ids=rep_ids)),
        current=list(current_close_dates_query(window=window, today=today, rep_ids=rep_ids)),
    )


def _matrix(rows: Sequence[Sequence[Any]], width: int) -> FloatArray:
    """The rows as a float matrix; one conversion in C for the whole result."""
    if not rows:
        return np.zeros((0, width))
    return np.asarray(rows, dtype=np.float64)


def panel_assemble(
    *,
    window: PanelWindow,
    tenure: Sequence[Sequence[Any]],
    closed: Sequence[Sequence[Any]],
    new: Sequence[Sequence[Any]],
    pushed: Sequence[Sequence[Any]],
    current: Sequence[Sequence[Any]],
) -> RepMonthPanel:
    """Places the aggregated rows (tuples in the *_COLUMNS order, one per rep and month) into
    rep x month arrays."""
    ids = np.array([row[0] for row in tenure], dtype=np.int64)
    active = _active(tenure, window, (ids.size, window.n_months))
    grid = _Grid(ids, window)
    c = grid.placed(_matrix(closed, len(CLOSED_COLUMNS)))
    n = grid.placed(_matrix(new, len(NEW_COLUMNS)))
    p = grid.placed(_matrix(pushed, len(PUSHED_COLUMNS)))
    d = grid.placed(_matrix(current, len(CURRENT_COLUMNS)))
    return RepMonthPanel(
        window=window,
        rep_ids=ids,
        active=active,
        won_count=c[0],
        lost_count=c[1],
        won_value=c[2],
        lost_value=c[3],
        won_cycle_days=c[4],
        new_deals=n[0],
        deadline_yes=n[1],
        deadline_known=n[2],
        buyer_yes=n[3],
        buyer_known=n[4],
        qualified_yes=n[5],
        qualified_known=n[6],
        due=d[0] + p[0],
        slipped=d[1] + p[0],
        unconverted_deals=int(c[5].sum()),
    )


class _Grid:
    """Places aggregated rows (owner, month number, values...) into rep x month arrays."""

    def __init__(self, rep_ids: IntArray, window: PanelWindow) -> None:
        self.rep_ids = rep_ids
        self.first = month_number(window.first)
        self.shape = (rep_ids.size, window.n_months)

    def placed(self, rows: FloatArray) -> list[FloatArray]:
        """One rep x month array per value column (columns 2...); rows of other reps or months
        outside the window are left out."""
        n_values = max(rows.shape[1] - 2, 0)
        out = [np.zeros(self.shape, dtype=np.float64) for _ in range(n_values)]
        if rows.shape[0] == 0 or self.rep_ids.size == 0:
            return out
        owners = rows[:, 0].astype(np.int64)
        months = rows[:, 1].astype(np.int64) - self.first
        index = np.minimum(np.searchsorted(self.rep_ids, owners), self.rep_ids.size - 1)
        keep = (self.rep_ids[index] == owners) & (months >= 0) & (months < self.shape[1])
        for column in range(n_values):
            np.add.at(out[column], (index[keep], months[keep]), rows[keep, column + 2])
        return out


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _active(
    tenure: Sequence[Sequence[Any]], window: PanelWindow, shape: tuple[int, int]
) -> BoolArray:
    """A rep is on the team from their hire (or first deal) to today, or to their last deal if
    they have left; never before the CRM's data starts (the month of the first deal of anyone
    in the panel), since months without data are not months without sales."""
    first, last = month_number(window.first), month_number(window.last)
    start = np.full(shape[0], last + 1, dtype=np.int64)
    end = np.full(shape[0], last, dtype=np.int64)
    starts = [_utc_month(row[6]) for row in tenure[:1] if row[6] is not None]
    data_start = starts[0] if starts else last + 1
    for i, (_pk, hire_date, is_active, first_deal, last_created, last_closed, _s) in enumerate(
        tenure
    ):
        begins = [month_number(d) for d in (hire_date,) if d] + (
            [_utc_month(first_deal)] if first_deal else []
        )
        if not begins:
            continue  # no hire date and no deal: nothing to observe
        start[i] = max(min(begins), data_start)
        if not is_active:
            ends = [_utc_month(d) for d in (last_created, last_closed) if d]
            end[i] = max(ends) if ends else start[i] - 1
    columns = np.arange(first, last + 1, dtype=np.int64)[None, :]
    return (columns >= start[:, None]) & (columns <= end[:, None])


def _utc_month(moment: Any) -> int:
    """The month of a value as the driver returns it (a timestamp, a date or ISO text)."""
    if isinstance(moment, dt.datetime):
        return utc_month(moment)
    return month_number(_as_date(moment))
