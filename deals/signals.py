"""What deals tells the apps above it when deals change (deals never imports them).

`deals_written` is sent inside the transaction that wrote the deals, after the write, so a
receiver that keeps something derived from deals (roi's rep x month summary) updates it in that
same transaction: it commits or rolls back with the deals. Arguments:

- `before`: DealState of the deals as they were before the write (deals that existed);
- `after`: DealState of the same deals, and of those the write created, as they are now;
- `deal_ids`: further deals whose close-date history changed (history rows only);
- `owners`: users whose deals changed wholesale (ownerless deals attached to them).
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.dispatch import Signal


class DealState(NamedTuple):
    """The columns that place a deal in a rep x month summary."""

    pk: int
    owner_id: int | None
    created_at: dt.datetime
    closed_at: dt.datetime | None
    expected_close_date: dt.date | None


STATE_FIELDS = ("pk", "owner_id", "created_at", "closed_at", "expected_close_date")

deals_written = Signal()
