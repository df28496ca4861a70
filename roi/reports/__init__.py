"""One report: a subject (a program or a kind of coaching), a metric, the panel and who was
treated when, turned into the payload that snapshots store and pages and the API show.

No queries here: roi.services.refresh gathers the inputs, this package computes. A report never
raises on thin or odd data; it says "collecting evidence" and why.

Layout: `types` (subject, shared context, analysis), `inputs` (what the analysis reads off the
panel), `analysis` (`analyse`: estimate, gates, grade, power, the randomised design), `pricing`
(money from the bookings estimate), `payload` (the stored report and the words for blockers).
"""

from roi.reports.analysis import CI_LEVEL, RATIO_BASE_MONTHS, RATIO_METRICS, analyse
from roi.reports.inputs import (
    TEAM_ROLLOUT_SHARE,
    cluster_rows,
    estimator_panel,
    first_treated_vector,
    is_team_rollout,
)
from roi.reports.payload import (
    HIGHER_IS_BETTER,
    METRIC_UNITS,
    analysis_payload,
    blocker_text,
    report_reasons,
)
from roi.reports.pricing import first_year_effect, money_for
from roi.reports.types import Analysis, ReportContext, Subject

__all__ = [
    "CI_LEVEL",
    "HIGHER_IS_BETTER",
    "METRIC_UNITS",
    "RATIO_BASE_MONTHS",
    "RATIO_METRICS",
    "TEAM_ROLLOUT_SHARE",
    "Analysis",
    "ReportContext",
    "Subject",
    "analysis_payload",
    "analyse",
    "blocker_text",
    "cluster_rows",
    "estimator_panel",
    "first_treated_vector",
    "first_year_effect",
    "is_team_rollout",
    "money_for",
    "report_reasons",
]
