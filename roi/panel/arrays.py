"""The rep x month panel as arrays, and the metrics read off them."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
from numpy.typing import NDArray

from roi.models import Metric
from roi.panel.window import PanelWindow

FloatArray = NDArray[np.float64]
# Panel metrics beyond the programs' primary metrics: leading indicators from CRM meetings.
MEETINGS = "meetings"
MEETING_ADVANCE_RATE = "meeting_advance_rate"
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
    # Closed deals with no exchange rate on their close day: counted above, valued nowhere.
    unconverted_won: FloatArray
    unconverted_lost: FloatArray
    # (currency, deals) of those, most first, over all the panel's reps.
    unconverted_currencies: tuple[tuple[str, int], ...] = ()
    # How much the wins above the winsorising cap exceed it (None: not computed), and the cap.
    won_excess: FloatArray | None = None
    winsor_cap: float | None = None
    # CRM meetings held (None: the panel was built without them), those about a deal, and those
    # that advanced their deal (deals.meetings).
    meetings: FloatArray | None = None
    meetings_on_deals: FloatArray | None = None
    meetings_advanced: FloatArray | None = None

    @property
    def months(self) -> IntArray:
        return self.window.month_numbers

    @property
    def closed_count(self) -> FloatArray:
        return self.won_count + self.lost_count

    @property
    def unconverted_deals(self) -> int:
        return int((self.unconverted_won + self.unconverted_lost)[self.active].sum())

    def unconverted_won_share(self) -> float | None:
        """The share of the won deals (observed months) that have no exchange rate: the best
        estimate of the share of bookings value that is not known."""
        won = float(self.won_count[self.active].sum())
        return float(self.unconverted_won[self.active].sum()) / won if won else None

    def bookings(self, *, winsorised: bool = False, fill_unknown: bool = False) -> FloatArray:
        """Won value per rep-month in the home currency. A won deal without an exchange rate is
        not 0: beside converted wins of the same rep and month it counts at their average; a
        rep-month whose wins all lack a rate is missing (NaN), since nothing in that month tells
        its value. `fill_unknown` (for display, not for estimates): such a month counts each
        of its wins at the rep's average converted win over the window, else everyone's.
        `winsorised`: each deal capped at `winsor_cap` (the robustness check)."""
        value = self.won_value
        if winsorised:
            if self.won_excess is None:
                raise ValueError("the panel was built without winsorising")
            value = value - self.won_excess
        unknown = self.unconverted_won
        if not unknown.any():
            return value.copy()
        converted = self.won_count - unknown
        month = _ratio(value, converted)
        if fill_unknown:
            everyone = _ratio(np.array([value.sum()]), np.array([converted.sum()]))[0]
            rep = _ratio(value.sum(axis=1), converted.sum(axis=1))
            rep = np.where(np.isfinite(rep), rep, everyone)
            month = np.where(np.isfinite(month), month, rep[:, None])
        return value + np.where(unknown > 0, unknown * month, 0.0)

    def outcome(self, metric: str, *, winsorised: bool = False) -> FloatArray:
        """The metric per rep-month; NaN where the rep was not on the team or it is undefined."""
        if metric == Metric.BOOKINGS:
            values = self.bookings(winsorised=winsorised)
        elif metric == Metric.WIN_RATE:
            values = 100.0 * _ratio(self.won_count, self.closed_count)
        elif metric == Metric.CYCLE_DAYS:
            values = _ratio(self.won_cycle_days, self.won_count)
        elif metric == Metric.SLIP_RATE:
            values = 100.0 * _ratio(self.slipped, self.due)
        elif metric == Metric.QUALIFICATION:
            values = 100.0 * _ratio(self.qualified_yes, self.qualified_known)
        elif metric in (MEETINGS, MEETING_ADVANCE_RATE):
            values = self._meeting_outcome(metric)
        else:
            raise ValueError(f"unknown metric {metric!r}")
        values[~self.active] = np.nan
        return values

    def _meeting_outcome(self, metric: str) -> FloatArray:
        """Meetings per rep-month, or the share (%) of meetings about a deal that advanced it;
        NaN everywhere when the panel was built without meetings."""
        if (
            self.meetings is None
            or self.meetings_on_deals is None
            or self.meetings_advanced is None
        ):
            return np.full(self.active.shape, np.nan)
        if metric == MEETINGS:
            return self.meetings.copy()
        return 100.0 * _ratio(self.meetings_advanced, self.meetings_on_deals)

    def value_win_rate(self) -> FloatArray:
        """By value; undefined in a month with a closed deal that cannot be converted."""
        values = 100.0 * _ratio(self.won_value, self.won_value + self.lost_value)
        values[~self.active | (self.unconverted_won + self.unconverted_lost > 0)] = np.nan
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
