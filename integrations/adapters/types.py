"""What adapters hand back besides deal rows: stages (to fill the stage map) and owners."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CrmStage:
    id: str
    label: str
    status: str  # open/won/lost as the CRM's own flags suggest; the admin may change it
    order: int


@dataclass(frozen=True)
class CrmOwner:
    id: str
    email: str
    name: str
