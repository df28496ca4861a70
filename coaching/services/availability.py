"""A coach's weekly hours."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from coaching.models import AvailabilityWindow, Weekday


@dataclass(frozen=True)
class WindowInput:
    weekday: int
    start_time: dt.time
    end_time: dt.time


def availability_replace(
    *, coach: User, windows: Sequence[WindowInput]
) -> list[AvailabilityWindow]:
    """Replace the coach's weekly hours (wall-clock times in the coach's time zone).

    Windows of one day may not overlap. All or nothing.
    """
    errors: dict[str, str] = {}
    by_day: dict[int, list[tuple[int, WindowInput]]] = {}
    for i, window in enumerate(windows):
        if window.weekday not in Weekday.values:
            errors[f"windows[{i}].weekday"] = _("Choose a day of the week.")
        elif window.end_time <= window.start_time:
            errors[f"windows[{i}].end_time"] = _("The end must be after the start.")
        else:
            by_day.setdefault(window.weekday, []).append((i, window))
    for day_windows in by_day.values():
        day_windows.sort(key=lambda pair: pair[1].start_time)
        for (_i, earlier), (j, later) in zip(day_windows, day_windows[1:], strict=False):
            if later.start_time < earlier.end_time:
                errors[f"windows[{j}].start_time"] = _("This overlaps another window that day.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        AvailabilityWindow.objects.filter(coach=coach).delete()
        return AvailabilityWindow.objects.bulk_create(
            AvailabilityWindow(
                coach=coach, weekday=w.weekday, start_time=w.start_time, end_time=w.end_time
            )
            for w in windows
        )
