"""The week grid's maths on plain datetimes: no database, no clock."""

import datetime as dt

from coaching.calendar_grid import Block, FreeCell, free_cells, monday, week_grid


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


# Free half hours to book


ZONE = dt.timezone(dt.timedelta(hours=1))
WEEK = [dt.date(2026, 3, 2) + dt.timedelta(days=i) for i in range(7)]


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 2 + day, hour, minute, tzinfo=ZONE)


def test_free_cells_skip_the_past_and_every_half_hour_a_session_touches() -> None:
    hours, _blocks = week_grid([[] for _ in range(7)])
    # Tuesday: 10:10-10:40 touches two half hours; a session in another zone, 13:00-14:00 here
    busy = [
        (local(1, 10, 10), local(1, 10, 40)),
        (dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC), dt.datetime(2026, 3, 3, 13, tzinfo=dt.UTC)),
    ]

    days = free_cells(WEEK, hours, busy, zone=ZONE, after=local(1, 8, 30))

    assert days[0] == []  # Monday is past
    tuesday = [(c.start.strftime("%H:%M"), c.minutes) for c in days[1]]
    assert tuesday[:3] == [("09:00", 60), ("09:30", 30), ("11:00", 60)]
    assert ("10:00", 60) not in tuesday and ("10:30", 60) not in tuesday
    assert ("12:30", 30) in tuesday and ("13:00", 60) not in tuesday and ("14:00", 60) in tuesday
    assert tuesday[-1] == ("17:30", 30)  # the grid ends at 18:00
    assert len(days[2]) == 20  # a free Wednesday: 08:00 to 18:00 in half hours
    assert days[1][0] == FreeCell(start=local(1, 9), minutes=60, column=3, row=6)
    assert days[1][1].row == 8  # 09:30: two quarter rows on


def test_a_half_hour_that_has_begun_is_not_offered() -> None:
    hours, _blocks = week_grid([[] for _ in range(7)])

    days = free_cells(WEEK, hours, [], zone=ZONE, after=local(4, 9, 0))

    assert days[4][0].start == local(4, 9, 30)
