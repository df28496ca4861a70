"""The shape every bulk upsert answers with: counts plus per-row errors."""

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class RowError:
    index: int
    field: str
    message: str
    key: str = ""  # the row's natural key (email, external id) when it has one


@dataclass
class BulkResult:
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
