"""What the two write paths (PostgreSQL, portable) share: their input and their answer."""

from dataclasses import dataclass
from typing import Any

# A validated deal row, a tuple in rows.COLUMNS order with owner_id resolved.
Row = tuple[Any, ...]


@dataclass
class WriteCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    owners_attached: int = 0


class ConcurrentInsert(Exception):
    """Another transaction created one of our new deals mid-write; the write must be redone."""
