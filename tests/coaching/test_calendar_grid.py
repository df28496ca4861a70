"""The week grid's maths on plain datetimes: no database, no clock."""

import datetime as dt

from coaching.calendar_grid import Block, monday, week_grid


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 2 + day, hour, minute)


def test_monday_of_any_day_in_the_week() -> None:
    assert monday(dt.date(2026, 3, 8)) == dt.date(2026, 3, 2)
    assert monday(dt.date(2026, 3, 2)) == dt.date(2026, 3, 2)


def test_an_empty_week_shows_eight_to_six() -> None:
    hours, blocks = week_grid([[] for _ in range(7)])

    assert hours[0] == (8, 2)
    assert hours[-1] == (17, 38)
    assert blocks == []


def test_sessions_widen_the_hours_and_sit_on_quarter_rows() -> None:
    days: list[list[tuple[dt.datetime, dt.datetime, str]]] = [[] for _ in range(7)]
    days[1].append((at(1, 7, 30), at(1, 8, 15), "early"))
    days[4].append((at(4, 18, 0), at(4, 19, 10), "late"))

    hours, blocks = week_grid(days)

    assert [h for h, _row in hours] == list(range(7, 20))
    assert blocks == [
        Block(session="early", column=3, row=4, span=3),
        Block(session="late", column=6, row=46, span=5),
    ]


def test_a_session_past_midnight_ends_at_the_bottom_of_its_day() -> None:
    days: list[list[tuple[dt.datetime, dt.datetime, str]]] = [[] for _ in range(7)]
    days[0].append((at(0, 23, 0), at(1, 1, 0), "night"))

    hours, blocks = week_grid(days)

    assert hours[-1][0] == 23
    assert blocks == [Block(session="night", column=2, row=62, span=4)]
