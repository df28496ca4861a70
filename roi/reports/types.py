"""What a report is about (a subject), what every report of a refresh shares, and an analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from roi.estimators.did import (
    DidResult,
)
from roi.evidence import (
    GateSettings,
)
from roi.models import ReportStatus
from roi.panel import DataCoverage, RepMonthPanel


@dataclass(frozen=True)
class Subject:
    kind: str
    key: str
    title: str
    headline_metric: str
    plausible_effect_pct: float | None = None
    is_randomised: bool = False
    # Months before completion in which behaviour may already change (the course in progress):
    # those months are neither a base nor a placebo (`did`'s anticipation).
    anticipation_months: int = 0


@dataclass(frozen=True)
class ReportContext:
    """What every report of one refresh shares."""

    panel: RepMonthPanel
    median_cycle_days: float | None
    gate_settings: GateSettings
    default_plausible_effect_pct: float
    n_boot: int
    # The months the deal data covers (the panel's window ends with them).
    coverage: DataCoverage | None = None


@dataclass
class Analysis:
    """The estimate for one subject and metric, with its sample and gates."""

    subject: Subject
    metric: str
    result: DidResult | None
    # The estimator's reason when it could not identify an effect ("no comparison units").
    blocker: str | None
    gates: list[dict[str, Any]]
    sample: dict[str, Any]
    naive: dict[str, float | None]
    status: str
    grade: str
    pre_trend: dict[str, Any] | None
    baseline: float | None
    assignment: dict[str, Any] | None = None
    # The design check (power, type S, exaggeration) and the pre-trend sensitivity (M-bar).
    power: dict[str, Any] | None = None
    sensitivity: dict[str, Any] | None = None
    # Evaluation mode: the headline is the intention-to-treat effect; completion is secondary.
    headline_design: str = "staggered"
    completion_effect: dict[str, Any] | None = None
    compliance: dict[str, Any] | None = None
    clustered_by: str = "rep"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_ok(self) -> bool:
        return self.status == ReportStatus.OK
