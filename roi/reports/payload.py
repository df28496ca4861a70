"""The report as snapshots store it, and the words for what blocks a finding."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from roi.estimators.did import (
    DidResult,
)
from roi.evidence import (
    Gate,
)
from roi.models import Metric
from roi.months import month_from_number
from roi.reports.analysis import _estimate_dict
from roi.reports.inputs import _finite_or_none
from roi.reports.types import Analysis

# How each metric reads: its unit, and whether a rise is good news.
METRIC_UNITS = {
    Metric.BOOKINGS: "currency",
    Metric.WIN_RATE: "points",
    Metric.CYCLE_DAYS: "days",
    Metric.SLIP_RATE: "points",
    Metric.QUALIFICATION: "points",
}

HIGHER_IS_BETTER = {
    Metric.BOOKINGS: True,
    Metric.WIN_RATE: True,
    Metric.CYCLE_DAYS: False,
    Metric.SLIP_RATE: False,
    Metric.QUALIFICATION: True,
}


def blocker_text(code: str) -> str:
    """Why the estimator could not identify an effect, for people (codes are the estimator's
    reasons; the snapshot stores the code so that each reader gets their language)."""
    texts = {
        "no treated units": _("Nobody has been trained within the data window yet."),
        "no comparison units": _(
            "No comparison reps: nobody was still untrained while others were trained, so "
            "nothing shows what would have happened without training."
        ),
        "no post-treatment observations": _("There is no data from after training yet."),
        "no covered months": _(
            "No whole month is covered by deal data yet: connect the CRM or import deals."
        ),
        "pre-trend failed": _(
            "Withheld: before training, trained and comparison reps were already drifting "
            "apart (pre-trend check failed), so the comparison cannot tell the program's effect "
            "from that drift. No effect and no ROI are shown."
        ),
    }
    return texts.get(code, _("The data cannot identify an effect yet."))


def report_reasons(payload: dict[str, Any]) -> list[str]:
    """What a report still waits for, in the reader's language."""
    reasons = [blocker_text(payload["blocker"])] if payload.get("blocker") else []
    for gate in payload.get("gates", []):
        if not gate["passed"]:
            reasons.append(
                Gate(gate["name"], gate["required"], gate["actual"], gate["passed"]).missing()
            )
    return reasons


def analysis_payload(analysis: Analysis) -> dict[str, Any]:
    """The report as snapshots store it, but for its money (which the subject's bookings
    estimate decides: roi.services.report_rows). Below a gate no estimate or event study is
    included: the report must not present them as findings."""
    result = analysis.result
    found = analysis.is_ok and result is not None and result.simple is not None
    estimate_block = _estimate_dict(result) if found and result is not None else None
    baseline = analysis.baseline
    if estimate_block is not None and baseline:
        estimate_block["att_pct"] = _finite_or_none(estimate_block["att"] / abs(baseline) * 100)
    return {
        "subject": {
            "kind": analysis.subject.kind,
            "key": analysis.subject.key,
            "title": analysis.subject.title,
        },
        "metric": analysis.metric,
        "unit": METRIC_UNITS[Metric(analysis.metric)],
        "higher_is_better": HIGHER_IS_BETTER[Metric(analysis.metric)],
        "status": analysis.status,
        "blocker": analysis.blocker,
        "evidence_grade": analysis.grade,
        "gates": analysis.gates,
        "estimate": estimate_block,
        "event_study": _event_study(result) if found and result is not None else [],
        "cells": _cells(result) if found and result is not None else [],
        "naive": analysis.naive,
        "sample": analysis.sample,
        "pre_trend": analysis.pre_trend,
        "assignment": analysis.assignment,
        "headline_design": analysis.headline_design,
        "completion_effect": analysis.completion_effect,
        "compliance": analysis.compliance,
        "clustered_by": analysis.clustered_by,
        "power": analysis.power,
        "sensitivity": analysis.sensitivity if found else None,
    }


def _event_study(result: DidResult) -> list[dict[str, Any]]:
    if result.dynamic is None:
        return []
    return [
        {
            "e": int(e),
            "att": _finite_or_none(est.att),
            "ci_low": _finite_or_none(est.ci_low),
            "ci_high": _finite_or_none(est.ci_high),
        }
        for e, est in sorted(result.dynamic.by.items())
    ]


def _cells(result: DidResult) -> list[dict[str, Any]]:
    return [
        {
            "cohort": month_from_number(cell.group).isoformat()[:7],
            "month": month_from_number(cell.period).isoformat()[:7],
            "e": cell.event_time,
            "att": _finite_or_none(cell.att),
            "ci_low": _finite_or_none(cell.ci_low),
            "ci_high": _finite_or_none(cell.ci_high),
            "treated_reps": cell.n_treated,
            "comparison_reps": cell.n_control,
        }
        for cell in result.cells
    ]
