"""Every table the impact pages show, defined once: the page renders it (as the table
alternative of a chart, or on its own) and the CSV export writes the same rows, unformatted.

A `Table` holds raw values (numbers stay numbers); templates format them by column kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.csv_export import csv_text
from roi.models import EvidenceGrade, Metric, ReportStatus


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # How the page formats it: text, int, number, effect (the metric's unit), money, pct, bool.
    kind: str = "text"


@dataclass
class Table:
    slug: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    csv_url: str = ""  # set by the view that shows the table

    def csv(self) -> str:
        return csv_text(
            header=[c.label for c in self.columns],
            rows=([row.get(c.key) for c in self.columns] for row in self.rows),
        )


def metric_label(metric: str) -> str:
    return str(Metric(metric).label) if metric in Metric.values else metric


def gate_label(name: str) -> str:
    return {
        "treated_reps": _("Trained reps"),
        "comparison_reps": _("Comparison reps (not yet or never trained)"),
        "pre_months": _("Months of data before training (median rep)"),
        "post_months": _("Months of data after training (median rep)"),
        "mde_pct": _("Smallest detectable effect (% of the pre-training level)"),
    }.get(name, name)


def cost_label(name: str) -> str:
    return {
        "content": _("Content or licence"),
        "delivery": _("Delivery"),
        "seats": _("Seats"),
        "learner_time": _("Reps' time (hours)"),
        "coaching_time": _("Coaches' time (hours)"),
    }.get(name, name)


# --- One report --------------------------------------------------------------------------------


def estimate_table(payload: dict[str, Any]) -> Table:
    """The estimate next to what a naive tool would say."""
    estimate = payload.get("estimate") or {}
    naive = payload.get("naive") or {}
    is_ok = payload.get("status") == ReportStatus.OK
    return Table(
        "estimate",
        _("Estimate and naive figures"),
        [
            Column("method", _("Method")),
            Column("effect", _("Effect per rep-month"), "effect"),
            Column("ci_low", _("95% interval from"), "effect"),
            Column("ci_high", pgettext("upper end of an interval", "to"), "effect"),
        ],
        [
            {
                "method": _("Coachline: staggered comparison with not-yet-trained reps"),
                "effect": estimate.get("att") if is_ok else None,
                "ci_low": estimate.get("ci_low") if is_ok else None,
                "ci_high": estimate.get("ci_high") if is_ok else None,
            },
            {
                "method": _("Naive: trained reps after training vs before"),
                "effect": naive.get("before_after"),
            },
            {
                "method": _("Naive: trained vs untrained reps"),
                "effect": naive.get("trained_vs_untrained"),
            },
        ],
    )


def event_study_table(payload: dict[str, Any]) -> Table:
    return Table(
        "event_study",
        _("Effect by months since training"),
        [
            Column("e", _("Months since training"), "int"),
            Column("att", _("Effect"), "effect"),
            Column("ci_low", _("95% interval from"), "effect"),
            Column("ci_high", pgettext("upper end of an interval", "to"), "effect"),
        ],
        list(payload.get("event_study") or []),
    )


def roi_distribution_table(payload: dict[str, Any]) -> Table:
    return Table(
        "roi_distribution",
        _("ROI across the bootstrap draws"),
        [
            Column("low", _("ROI from (%)"), "number"),
            Column("high", _("to (%)"), "number"),
            Column("count", _("Draws"), "int"),
        ],
        list((payload.get("money") or {}).get("histogram") or []),
    )


def money_table(payload: dict[str, Any]) -> Table:
    money = payload.get("money") or {}
    rows = [
        {
            "item": cost_label(str(line["name"])),
            "quantity": line["quantity"],
            "unit_cost": line["unit_cost"],
            "amount": line["total"],
        }
        for line in money.get("cost_lines", [])
    ]
    rows.append({"item": _("Total cost"), "amount": money.get("cost")})
    rows.append(
        {"item": _("Benefit (first year, at gross margin)"), "amount": money.get("benefit")}
    )
    return Table(
        "money",
        _("Cost and benefit"),
        [
            Column("item", _("Item")),
            Column("quantity", _("Quantity"), "number"),
            Column("unit_cost", _("Unit cost"), "money"),
            Column("amount", _("Amount"), "money"),
        ],
        rows,
    )


def gates_table(payload: dict[str, Any]) -> Table:
    return Table(
        "gates",
        _("Evidence gates"),
        [
            Column("gate", _("Gate")),
            Column("required", _("Required"), "number"),
            Column("actual", _("Actual"), "number"),
            Column("passed", _("Passed"), "bool"),
        ],
        [
            {
                "gate": gate_label(g["name"]),
                "required": g["required"],
                "actual": g["actual"],
                "passed": g["passed"],
            }
            for g in payload.get("gates") or []
        ],
    )


def sample_table(payload: dict[str, Any]) -> Table:
    sample = payload.get("sample") or {}
    labels = [
        ("treated_reps", _("Trained reps in the estimate"), "int"),
        ("comparison_reps", _("Comparison reps"), "int"),
        ("never_treated_reps", _("Never trained reps"), "int"),
        ("closed_deals", _("Closed deals"), "int"),
        ("pre_months", _("Months before training (median rep)"), "number"),
        ("post_months", _("Months after training (median rep)"), "number"),
        ("baseline", _("Level before training"), "level"),
        ("mde", _("Minimum detectable effect"), "level"),
        ("mde_pct", _("Minimum detectable effect (%)"), "number"),
        ("median_cycle_days", _("Median sales cycle (days)"), "number"),
        ("unconverted_deals", _("Deals without an exchange rate"), "int"),
    ]
    return Table(
        "sample",
        _("Sample"),
        [Column("measure", _("Measure")), Column("value", _("Value"), "cell")],
        [{"measure": label, "value": sample.get(key), "kind": kind} for key, label, kind in labels],
    )


def _row(level: str, measure: str, value: Any, kind: str = "number") -> dict[str, Any]:
    return {"level": level, "measure": measure, "value": value, "kind": kind}


def _reaction_learning_rows(chain: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    reaction = chain.get("reaction")
    if reaction is not None:
        rows.append(_row(_("1 Reaction"), _("Course ratings"), reaction["ratings"], "int"))
        rows.append(_row(_("1 Reaction"), _("Average rating (1-5)"), reaction["mean_stars"]))
    learning = chain.get("learning")
    if learning is not None:
        level = _("2 Learning")
        rows += [
            _row(level, _("Quiz attempts"), learning["quiz_attempts"], "int"),
            _row(level, _("Average quiz score (%)"), learning["mean_quiz_score"]),
            _row(level, _("Passed at first attempt (%)"), learning["first_attempt_pass_pct"]),
            _row(level, _("Course completions"), learning["course_completions"], "int"),
            _row(level, _("Average completion score (%)"), learning["mean_completion_score"]),
        ]
    return rows


def _behaviour_rows(chain: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    level = _("3 Behaviour")
    behaviour = chain.get("behaviour")
    if behaviour is not None:
        rows += [
            _row(level, _("Scorecard average, 6 months before training"), behaviour["mean_before"]),
            _row(level, _("Scorecard average, 6 months after training"), behaviour["mean_after"]),
        ]
        practice = behaviour.get("practice")
        if practice is not None:
            rows += [
                _row(
                    level,
                    _("Practice review average, 6 months before training"),
                    practice["mean_before"],
                ),
                _row(
                    level,
                    _("Practice review average, 6 months after training"),
                    practice["mean_after"],
                ),
            ]
        rows += [
            _row(
                level,
                _("%(criterion)s: before → after") % {"criterion": criterion["name"]},
                _pair(criterion["mean_before"], criterion["mean_after"]),
                "text",
            )
            for criterion in behaviour.get("criteria", [])
        ]
    leading = chain.get("leading")
    if leading is not None:
        rows.append(
            _row(
                level,
                _("Leading indicator: qualified new deals (points)"),
                leading["att"] if leading["status"] == ReportStatus.OK else None,
                "points",
            )
        )
    return rows


def _results_roi_rows(chain: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [
        _row(
            _("4 Results"),
            metric_label(result["metric"]),
            result["att"] if result["status"] == ReportStatus.OK else None,
            "metric:" + result["metric"],
        )
        for result in chain.get("results", [])
    ]
    roi = chain.get("roi")
    if roi is not None:
        rows.append(_row(_("5 ROI"), _("Return on investment (%)"), roi["roi_pct"]))
        rows.append(
            _row(_("5 ROI"), _("Chance the ROI is positive (%)"), _pct(roi["p_roi_positive"]))
        )
    return rows


def kirkpatrick_table(payload: dict[str, Any]) -> Table:
    chain = payload.get("kirkpatrick") or {}
    return Table(
        "kirkpatrick",
        _("Kirkpatrick chain"),
        [
            Column("level", _("Level")),
            Column("measure", _("Measure")),
            Column("value", _("Value"), "cell"),
        ],
        _reaction_learning_rows(chain) + _behaviour_rows(chain) + _results_roi_rows(chain),
    )


def _pair(before: float | None, after: float | None) -> str:
    def show(value: float | None) -> str:
        return "—" if value is None else f"{value:.0f}"

    return f"{show(before)} → {show(after)}"


def _pct(share: float | None) -> float | None:
    return None if share is None else share * 100.0


def cells_table(payload: dict[str, Any]) -> Table:
    return Table(
        "cells",
        _("Effect by training month and calendar month"),
        [
            Column("cohort", _("Trained in")),
            Column("month", _("Month")),
            Column("e", _("Months since training"), "int"),
            Column("att", _("Effect"), "effect"),
            Column("ci_low", _("95% interval from"), "effect"),
            Column("ci_high", pgettext("upper end of an interval", "to"), "effect"),
            Column("treated_reps", _("Trained reps"), "int"),
            Column("comparison_reps", _("Comparison reps"), "int"),
        ],
        list(payload.get("cells") or []),
    )


def rollout_table(payload: dict[str, Any]) -> Table:
    rollout = payload.get("rollout") or {}
    return Table(
        "rollout",
        _("Randomised rollout"),
        [
            Column("team", _("Team")),
            Column("stratum", _("Stratum"), "int"),
            Column("wave", _("Wave"), "int"),
            Column("starts_on", _("Starts")),
        ],
        list(rollout.get("teams") or []),
    )


REPORT_TABLES = {
    "estimate": estimate_table,
    "event_study": event_study_table,
    "roi_distribution": roi_distribution_table,
    "money": money_table,
    "gates": gates_table,
    "sample": sample_table,
    "kirkpatrick": kirkpatrick_table,
    "cells": cells_table,
    "rollout": rollout_table,
}


# --- The dashboard -----------------------------------------------------------------------------


def dashboard_table(snapshots: list[Any], *, kind: str) -> Table:
    return Table(
        f"dashboard_{kind}",
        _("Programs") if kind == "program" else _("Coaching"),
        [
            Column("title", _("Subject")),
            Column("metric", _("Metric")),
            Column("status", _("Status")),
            Column("effect", _("Effect per rep-month"), "effect"),
            Column("ci_low", _("95% interval from"), "effect"),
            Column("ci_high", pgettext("upper end of an interval", "to"), "effect"),
            Column("roi_pct", _("ROI (%)"), "number"),
            Column("grade", _("Evidence grade")),
        ],
        [
            {
                "title": s.title,
                "metric": metric_label(s.metric),
                "status": str(ReportStatus(s.status).label),
                "effect": s.att,
                "ci_low": s.ci_low,
                "ci_high": s.ci_high,
                "roi_pct": s.roi_pct,
                "grade": str(EvidenceGrade(s.evidence_grade).label),
            }
            for s in snapshots
            if s.subject_kind == kind
        ],
    )
