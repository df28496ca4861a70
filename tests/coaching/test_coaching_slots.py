"""Weekly hours and "find a slot": free for coach and rep, inside the coach's hours, in the
coach's zone, in two queries."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from accounts.roles import Role
from coaching.models import AvailabilityWindow
from coaching.selectors import slot_list_free
from coaching.services.availability import WindowInput, availability_replace
from tests.coaching.factories import AvailabilityFactory, SessionFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
# A Monday morning, 08:00 in Berlin (winter: UTC+1).
NOW = dt.datetime(2031, 1, 6, 8, 0, tzinfo=BERLIN)
H = dt.timedelta(hours=1)


@pytest.fixture
def coach():  # type: ignore[no-untyped-def]
    return UserFactory(role=Role.COACH, time_zone="Europe/Berlin")


@pytest.fixture
def rep():  # type: ignore[no-untyped-def]
    return UserFactory(time_zone="America/New_York")


def _local(slots):  # type: ignore[no-untyped-def]
    return [s.start.astimezone(BERLIN).strftime("%a %H:%M") for s in slots]


def test_slots_lie_inside_the_coachs_hours_in_the_coachs_zone(coach, rep):
    AvailabilityFactory(coach=coach, weekday=0, start_time=dt.time(9), end_time=dt.time(11))
    AvailabilityFactory(coach=coach, weekday=2, start_time=dt.time(14), end_time=dt.time(15))

    slots = slot_list_free(coach=coach, rep=rep, duration=H, days=3, now=NOW)

    assert _local(slots) == ["Mon 09:00", "Mon 09:30", "Mon 10:00", "Wed 14:00"]
    assert all(s.end - s.start == H for s in slots)


def test_time_taken_by_either_person_is_not_offered(coach, rep):
    AvailabilityFactory(coach=coach, weekday=0, start_time=dt.time(9), end_time=dt.time(13))
    other = UserFactory()
    # the coach at 9:30-10:30 with someone else; the rep at 11:00-12:00 with another coach
    SessionFactory(coach=coach, rep=other, start=NOW + 1.5 * H, end=NOW + 2.5 * H)
    SessionFactory(coach=UserFactory(role=Role.COACH), rep=rep, start=NOW + 3 * H, end=NOW + 4 * H)
    # cancelled: does not count
    SessionFactory(coach=coach, rep=other, start=NOW + 4 * H, end=NOW + 5 * H, status="cancelled")

    slots = slot_list_free(coach=coach, rep=rep, duration=H / 2, days=0, now=NOW)

    assert _local(slots) == ["Mon 09:00", "Mon 10:30", "Mon 12:00", "Mon 12:30"]


def test_past_times_are_not_offered(coach, rep):
    AvailabilityFactory(coach=coach, weekday=0, start_time=dt.time(9), end_time=dt.time(12))

    slots = slot_list_free(coach=coach, rep=rep, duration=H, days=0, now=NOW + 2 * H)

    assert _local(slots) == ["Mon 10:30", "Mon 11:00"]


def test_hours_follow_the_coachs_wall_clock_across_daylight_saving(coach, rep):
    # Berlin moves to summer time on Sunday 30 March 2031; Monday 9:00 is then 07:00 UTC.
    AvailabilityFactory(coach=coach, weekday=0, start_time=dt.time(9), end_time=dt.time(10))
    before = dt.datetime(2031, 3, 23, 12, 0, tzinfo=BERLIN)

    slots = slot_list_free(coach=coach, rep=rep, duration=H, days=9, now=before)

    assert [s.start.astimezone(dt.UTC).strftime("%d %H:%M") for s in slots] == [
        "24 08:00",
        "31 07:00",
    ]


def test_no_hours_no_slots(coach, rep):
    assert slot_list_free(coach=coach, rep=rep, duration=H, days=14, now=NOW) == []


def test_finding_slots_takes_two_queries_whatever_the_number_of_sessions(
    coach, rep, django_assert_num_queries
):
    for day in range(5):
        AvailabilityFactory(coach=coach, weekday=day, start_time=dt.time(8), end_time=dt.time(18))
    other = UserFactory()
    for i in range(60):
        start = NOW + dt.timedelta(days=i // 4, hours=1 + 2 * (i % 4))
        SessionFactory(coach=coach, rep=other, start=start, end=start + H)

    # Queries: the coach's weekly hours; both people's active holds in the horizon.
    with django_assert_num_queries(2):
        slots = slot_list_free(coach=coach, rep=rep, duration=H, days=14, now=NOW, limit=500)

    assert len(slots) > 0


def test_weekly_hours_are_replaced_and_overlaps_refused(coach):
    AvailabilityFactory(coach=coach, weekday=4)

    with pytest.raises(ValidationError) as caught:
        availability_replace(
            coach=coach,
            windows=[
                WindowInput(0, dt.time(9), dt.time(12)),
                WindowInput(0, dt.time(11), dt.time(13)),
                WindowInput(1, dt.time(10), dt.time(9)),
            ],
        )
    assert caught.value.message_dict == {
        "windows[1].start_time": ["This overlaps another window that day."],
        "windows[2].end_time": ["The end must be after the start."],
    }
    assert list(AvailabilityWindow.objects.values_list("weekday", flat=True)) == [4]

    availability_replace(
        coach=coach,
        windows=[WindowInput(0, dt.time(9), dt.time(12)), WindowInput(0, dt.time(13), dt.time(17))],
    )

    assert list(AvailabilityWindow.objects.values_list("weekday", "start_time", "end_time")) == [
        (0, dt.time(9), dt.time(12)),
        (0, dt.time(13), dt.time(17)),
    ]
