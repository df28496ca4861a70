"""The rep x month panel as arrays, and the metrics read off them."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
from numpy.typing import NDArray

from roi.models import Metric
from roi.panel.window import PanelWindow

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class RepMonthPanel:
    """Counts and sums per rep (rows, `rep_ids` ascending) and month (columns)."""

    window: PanelWindow
    rep_ids: IntArray
    active: BoolArray
    won_count: FloatArray
    lost_count: FloatArray
    won_value: FloatArray
    lost_value: FloatArray
    won_cycle_days: FloatArray  # sum over won deals
    new_deals: FloatArray
    deadline_yes: FloatArray
    deadline_known: FloatArray
    buyer_yes: FloatArray
    buyer_known: FloatArray
    qualified_yes: FloatArray
    qualified_known: FloatArray
    due: FloatArray
    slipped: FloatArray
    unconverted_deals: int

    @property
    def months(self) -> IntArray:
        return self.window.month_numbers

    @property
    def closed_count(self) -> FloatArray:
        return self.won_count + self.lost_count

    def outcome(self, metric: str) -> FloatArray:
        """The metric per rep-month; NaN where the rep was not on the team or it is undefined."""
        if metric == Metric.BOOKINGS:
            values = self.won_value.copy()
        elif metric == Metric.WIN_RATE:
            values = 100.0 * _ratio(self.won_count, self.closed_count)
        elif metric == Metric.CYCLE_DAYS:
            values = _ratio(self.won_cycle_days, self.won_count)
        elif metric == Metric.SLIP_RATE:
            values = 100.0 * _ratio(self.slipped, self.due)
        elif metric == Metric.QUALIFICATION:
            values = 100.0 * _ratio(self.qualified_yes, self.qualified_known)
        else:
            raise ValueError(f"unknown metric {metric!r}")
        values[~self.active] = np.nan
        return values

    def value_win_rate(self) -> FloatArray:
        values = 100.0 * _ratio(self.won_value, self.won_value + self.lost_value)
        values[~self.active] = np.nan
        return values

    def deadline_share(self) -> FloatArray:
        values = 100.0 * _ratio(self.deadline_yes, self.deadline_known)
        values[~self.active] = np.nan
        return values

    def buyer_share(self) -> FloatArray:
        values = 100.0 * _ratio(self.buyer_yes, self.buyer_known)
        values[~self.active] = np.nan
        return values

    def subset(self, rows: BoolArray) -> RepMonthPanel:
        """The same panel for some reps only (rows in the same order)."""
        arrays = {
            f.name: getattr(self, f.name)[rows]
            for f in fields(self)
            if isinstance(getattr(self, f.name), np.ndarray)
        }
        return replace(self, **arrays)

    def closed_deals_total(self, rows: BoolArray | None = None) -> int:
        closed = self.closed_count if rows is None else self.closed_count[rows]
        return int(closed.sum())


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, np.nan)
