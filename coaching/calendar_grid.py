"""The week calendar's grid maths, pure: which hours to show and where each session sits.

Times come in already in the viewer's zone; nothing here reads the clock, the database or
settings, so the layout is tested with plain datetimes.
"""

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

# One grid row is a quarter hour; row 1 holds the day names.
QUARTER = 15
# Hours always shown, widened to fit every session.
FIRST_HOUR, LAST_HOUR = 8, 18


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Block(Generic[T]):
    """A session placed on the week grid: its column (day) and its rows (quarter hours)."""

    session: T
    column: int
    row: int
    span: int


def week_grid(
    days: Sequence[Sequence[tuple[dt.datetime, dt.datetime, T]]],
) -> tuple[list[tuple[int, int]], list[Block[T]]]:
    """Hours shown with their first grid row, and the placed sessions. `days` holds, per day of
    the week, each session's local start and end. Each hour spans four quarter rows; a session
    running past midnight ends at the bottom of its day."""
    first_hour, last_hour = FIRST_HOUR, LAST_HOUR
    local = [(i, start, end, item) for i, day in enumerate(days) for start, end, item in day]
    for _i, start, end, _item in local:
        first_hour = min(first_hour, start.hour)
        end_hour = 24 if end.date() > start.date() else math.ceil(end.hour + end.minute / 60)
        last_hour = max(last_hour, end_hour)
    blocks = []
    for i, start, end, item in local:
        begin = (start.hour - first_hour) * 60 + start.minute
        finish = (end.hour - first_hour) * 60 + end.minute
        if end.date() > start.date():
            finish = (24 - first_hour) * 60
        rows = max(1, math.ceil((finish - begin) / QUARTER))
        blocks.append(Block(session=item, column=i + 2, row=begin // QUARTER + 2, span=rows))
    hours = [(hour, 2 + i * 4) for i, hour in enumerate(range(first_hour, last_hour))]
    return hours, blocks


# A bookable cell on the grid is a half hour: two quarter rows.
CELL = 30


@dataclass(frozen=True)
class FreeCell:
    """A half hour of the grid that no session touches, to book from the calendar. `minutes` is
    how long it stays free, up to an hour: the length the booking form starts with."""

    start: dt.datetime
    minutes: int
    column: int
    row: int


def free_cells(
    dates: Sequence[dt.date],
    hours: Sequence[tuple[int, int]],
    busy: Sequence[tuple[dt.datetime, dt.datetime]],
    *,
    zone: dt.tzinfo,
    after: dt.datetime,
) -> list[list[FreeCell]]:
    """Per day of `dates`, the half hours shown (`hours`, as week_grid gives them) that start
    after `after` and overlap none of the `busy` times (every session on the grid, whatever its
    status: a cell under a block is not free to the eye, so it is not offered)."""
    step = dt.timedelta(minutes=CELL)
    days = []
    for column, date in enumerate(dates, start=2):
        open_cells = []
        for hour, row in hours:
            for half in (0, CELL):
                start = dt.datetime.combine(date, dt.time(hour, half), tzinfo=zone)
                if start > after and not any(s < start + step and e > start for s, e in busy):
                    open_cells.append((start, row + half // QUARTER))
        starts = {start for start, _row in open_cells}
        days.append(
            [
                FreeCell(
                    start=start,
                    minutes=2 * CELL if start + step in starts else CELL,
                    column=column,
                    row=row,
                )
                for start, row in open_cells
            ]
        )
    return days
