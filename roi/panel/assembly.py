"""Building the panel: run the queries, place their rows into rep x month arrays.

Python only places the aggregated rows (never a loop over deals).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from roi.months import month_number, utc_month
from roi.panel.arrays import BoolArray, FloatArray, IntArray, RepMonthPanel
from roi.panel.coverage import DataCoverage, data_coverage
from roi.panel.queries import (
    CLOSED_COLUMNS,
    CURRENT_COLUMNS,
    EXCESS_COLUMNS,
    MEETING_COLUMNS,
    NEW_COLUMNS,
    PUSHED_COLUMNS,
    closed_deals_query,
    current_close_dates_query,
    first_rate_days,
    meetings_query,
    new_deals_query,
    pushed_close_dates_query,
    tenure_query,
    unconverted_currencies_query,
    won_amount_percentile,
    won_excess_query,
)
from roi.panel.summary import (
    SUMMARY_COLUMNS,
    summary_matrix,
    summary_tenure,
    summary_usable,
)
from roi.panel.window import PanelWindow


def panel_build(
    *,
    window: PanelWindow,
    home_currency: str,
    today: dt.date,
    rep_ids: Sequence[int] | None = None,
    coverage: DataCoverage | None = None,
    winsorise_percentile: float | None = None,
    meeting_advance_days: int | None = None,
) -> RepMonthPanel:
    """The panel of every rep (or of `rep_ids`).

    From the rep x month summary when it is valid for this panel (roi.panel.summary), five
    queries: first rate days, the summary's state, the rates' digest, the summary, the tenure
    spans; a sixth, the deals without a rate by currency, only when the summary counts any.
    Otherwise from the deals, eight: first rate days, the summary's state, tenure, closed deals,
    new deals, pushed close dates, current close dates, deals without a rate by currency.
    Either way two more for `coverage` when not given (roi.panel.coverage), three for the
    winsorised bookings with `winsorise_percentile` (count, cap, excess over the cap), and one
    for the meetings with `meeting_advance_days` (the advance window, deals.meetings)."""
    coverage = coverage if coverage is not None else data_coverage(today=today)
    first_rates = first_rate_days()
    money: dict[str, Any] = {"window": window, "home_currency": home_currency, "rep_ids": rep_ids}
    unconverted = True
    if summary_usable(window=window, home_currency=home_currency, today=today):
        panel, unconverted = _from_summary(window=window, rep_ids=rep_ids, coverage=coverage)
    else:
        panel = panel_assemble(
            window=window,
            tenure=list(tenure_query(rep_ids=rep_ids)),
            closed=list(closed_deals_query(**money, first_rates=first_rates)),
            new=list(new_deals_query(window=window, rep_ids=rep_ids)),
            pushed=list(pushed_close_dates_query(window=window, rep_ids=rep_ids)),
            current=list(current_close_dates_query(window=window, today=today, rep_ids=rep_ids)),
            coverage=coverage,
        )
    if unconverted:
        currencies = tuple(unconverted_currencies_query(**money, first_rates=first_rates))
        panel = replace(panel, unconverted_currencies=currencies)
    if meeting_advance_days is not None:
        meetings = list(
            meetings_query(window=window, advance_days=meeting_advance_days, rep_ids=rep_ids)
        )
        m = _Grid(panel.rep_ids, window).placed(_matrix(meetings, len(MEETING_COLUMNS)))
        panel = replace(panel, meetings=m[0], meetings_on_deals=m[1], meetings_advanced=m[2])
    if winsorise_percentile is None:
        return panel
    cap = won_amount_percentile(**money, percentile=winsorise_percentile)
    excess = list(won_excess_query(**money, cap=cap)) if cap is not None else []
    placed = _Grid(panel.rep_ids, window).placed(_matrix(excess, len(EXCESS_COLUMNS)))
    return replace(panel, won_excess=placed[0], winsor_cap=cap)


def _from_summary(
    *, window: PanelWindow, rep_ids: Sequence[int] | None, coverage: DataCoverage
) -> tuple[RepMonthPanel, bool]:
    """The panel from the rep x month summary (roi.panel.summary): two queries, no deal read;
    and whether any deal in it has no exchange rate (whoever owns it, as the deals' query).
    Open deals' close dates in the window's months (all over) count as due and missed."""
    m = summary_matrix(window=window, rep_ids=rep_ids)
    at = {name: i + 2 for i, name in enumerate(SUMMARY_COLUMNS)}
    keys = m[:, :2]
    open_due = m[:, at["due_open"]]
    current = np.column_stack(
        [keys, m[:, at["due_closed"]] + open_due, m[:, at["missed_closed"]] + open_due]
    )
    unconverted = bool(m[:, at["unconverted_won"] : at["unconverted_lost"] + 1].any())
    panel = panel_assemble(
        window=window,
        tenure=summary_tenure(rep_ids=rep_ids),
        closed=np.column_stack([keys, m[:, at["won"] : at["unconverted_lost"] + 1]]),
        new=np.column_stack([keys, m[:, at["new"] : at["qualified_known"] + 1]]),
        pushed=np.column_stack([keys, m[:, at["pushed"]]]),
        current=current,
        coverage=coverage,
    )
    return panel, unconverted


def _matrix(rows: Sequence[Sequence[Any]] | FloatArray, width: int) -> FloatArray:
    """The rows as a float matrix; one conversion in C for the whole result."""
    if len(rows) == 0:
        return np.zeros((0, width))
    return np.asarray(rows, dtype=np.float64)


def panel_assemble(
    *,
    window: PanelWindow,
    tenure: Sequence[Sequence[Any]],
    closed: Sequence[Sequence[Any]] | FloatArray,
    new: Sequence[Sequence[Any]] | FloatArray,
    pushed: Sequence[Sequence[Any]] | FloatArray,
    current: Sequence[Sequence[Any]] | FloatArray,
    coverage: DataCoverage,
) -> RepMonthPanel:
    """Places the aggregated rows (tuples in the *_COLUMNS order, one per rep and month; tenure
    one per rep and source) into rep x month arrays."""
    reps = _tenure_by_rep(tenure)
    ids = np.array(list(reps), dtype=np.int64)
    active = _active(list(reps.values()), window, coverage)
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
        unconverted_won=c[5],
        unconverted_lost=c[6],
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


@dataclass
class _Tenure:
    """One rep: hire date, still here, and per CRM source of their deals (first deal, last
    deal created, last deal closed)."""

    hire_date: dt.date | None
    is_active: bool
    sources: dict[str, tuple[Any, Any, Any]] = field(default_factory=dict)


def _tenure_by_rep(rows: Sequence[Sequence[Any]]) -> dict[int, _Tenure]:
    """TENURE_COLUMNS rows (one per rep and source, ordered by rep) grouped by rep, in order."""
    reps: dict[int, _Tenure] = {}
    for pk, hire_date, is_active, source, first_deal, last_created, last_closed in rows:
        rep = reps.setdefault(int(pk), _Tenure(hire_date=hire_date, is_active=bool(is_active)))
        if source is not None:
            rep.sources[source] = (first_deal, last_created, last_closed)
    return reps


def _active(tenure: list[_Tenure], window: PanelWindow, coverage: DataCoverage) -> BoolArray:
    """Which months each rep is observed: months without data are not months without sales.

    A rep is on the team from their hire (or first deal, whichever is earlier) to today, or to
    their last deal if they have left. They are observed over the part of that which the data
    of their CRM sources covers (roi.panel.coverage): never before their sources' data starts,
    never after it ends. A rep without deals is covered by the organisation's data as a whole.
    """
    first, last = month_number(window.first), month_number(window.last)
    start = np.full(len(tenure), last + 1, dtype=np.int64)
    end = np.full(len(tenure), last, dtype=np.int64)
    for i, rep in enumerate(tenure):
        spans = [coverage.sources[s] for s in rep.sources if s in coverage.sources]
        if not spans and rep.sources:
            continue  # deals only in sources with no coverage: nothing to observe
        if spans:
            data_first = min(span.first_month for span in spans)
            data_last = max(span.last_month for span in spans)
        elif coverage.sources:
            data_first, data_last = coverage.first_month or last + 1, coverage.last_month
        else:
            continue  # no deal data at all
        firsts = [_utc_month(f) for f, _c, _l in rep.sources.values() if f is not None]
        begins = [month_number(rep.hire_date)] if rep.hire_date else []
        begins += [min(firsts)] if firsts else []
        if not begins:
            continue  # no hire date and no deal: nothing to observe
        start[i] = max(min(begins), data_first)
        end[i] = min(last, data_last)
        if not rep.is_active:
            ends = [_utc_month(d) for dates in rep.sources.values() for d in dates[1:] if d]
            end[i] = min(end[i], max(ends)) if ends else start[i] - 1
    columns = np.arange(first, last + 1, dtype=np.int64)[None, :]
    return (columns >= start[:, None]) & (columns <= end[:, None])


def _utc_month(moment: Any) -> int:
    """The month of a value as the driver returns it (a timestamp, a date or ISO text)."""
    if isinstance(moment, dt.datetime):
        return utc_month(moment)
    return month_number(_as_date(moment))
