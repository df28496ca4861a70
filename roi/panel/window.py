"""The months a panel spans."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from roi.months import UTC, add_months, month_number, month_start

IntArray = NDArray[np.int64]

# Reports look this many months back; older history adds little and costs time.
PANEL_MONTHS = 36


@dataclass(frozen=True)
class PanelWindow:
    """Whole calendar months from `first` to `last` (first days of the months), both included."""

    first: dt.date
    last: dt.date

    @classmethod
    def ending(cls, last: dt.date, *, months: int = PANEL_MONTHS) -> PanelWindow:
        last = month_start(last)
        return cls(first=add_months(last, -(months - 1)), last=last)

    @property
    def n_months(self) -> int:
        return month_number(self.last) - month_number(self.first) + 1

    @property
    def month_numbers(self) -> IntArray:
        return np.arange(month_number(self.first), month_number(self.last) + 1, dtype=np.int64)

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time.min, tzinfo=UTC)

    @property
    def end_at(self) -> dt.datetime:
        """The first instant after the window."""
        return dt.datetime.combine(add_months(self.last, 1), dt.time.min, tzinfo=UTC)

    @property
    def end_day(self) -> dt.date:
        return add_months(self.last, 1)
