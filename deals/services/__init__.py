"""Writes to deals. Import from here: `from deals.services import deals_ingest`."""

from deals.services.activities import activities_ingest
from deals.services.ingest import IngestResult, deals_ingest
from deals.services.owners import (
    deal_attach_owner,
    deal_owner_map,
    deals_attach_known_owners,
    deals_delete,
)

__all__ = [
    "IngestResult",
    "activities_ingest",
    "deal_attach_owner",
    "deal_owner_map",
    "deals_attach_known_owners",
    "deals_delete",
    "deals_ingest",
]
