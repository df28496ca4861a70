"""The efficiency report as tables: the page's CSV exports and the API's rows, defined once."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from roi.efficiency.report import OUTCOMES, EfficiencyReport, Row
from roi.efficiency.stats import Figure
from roi.tables import Column, Table


def outcome_labels() -> dict[str, str]:
    return {
        "bookings_per_rep_month": _("Bookings per rep-month"),
        "win_rate": _("Win rate (%)"),
        "cycle_days": _("Cycle (days)"),
        "slip_rate": _("Slipped close dates (%)"),
        "meetings_per_rep_month": _("Meetings per rep-month"),
        "meeting_advance_rate": _("Meetings that advanced the deal (%)"),
        "stage_advance_days": _("Days to advance a stage (median)"),
    }


def _figure_columns(key: str, label: str) -> list[Column]:
    return [
        Column(key, label, "number"),
        Column(f"{key}_low", _("%(name)s: 95%% interval from") % {"name": label}, "number"),
        Column(f"{key}_high", _("%(name)s: to") % {"name": label}, "number"),
        Column(f"{key}_n", _("%(name)s: based on") % {"name": label}, "int"),
    ]


def _flat(figure: Figure, key: str) -> dict[str, Any]:
    return {
        key: figure.value,
        f"{key}_low": figure.low,
        f"{key}_high": figure.high,
        f"{key}_n": figure.n,
    }


def row_as_dict(row: Row) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": row.key,
        "label": row.label,
        "team_id": row.team_id,
        "rep_id": row.rep_id,
        "reps": row.reps,
        "rep_months": row.rep_months,
        "tool_spend_per_rep_month": row.tool_spend,
        "enablement_spend_per_rep_month": row.enablement_spend,
    }
    for key in OUTCOMES:
        out.update(_flat(row.outcomes[key], key))
    return out


def _row_columns(first: str) -> list[Column]:
    columns = [
        Column("label", first),
        Column("reps", _("Reps"), "int"),
        Column("rep_months", _("Rep-months"), "int"),
        Column("tool_spend_per_rep_month", _("Tool spend per rep-month"), "money"),
        Column("enablement_spend_per_rep_month", _("Enablement spend per rep-month"), "money"),
    ]
    for key, label in outcome_labels().items():
        columns += _figure_columns(key, label)
    return columns


def report_tables(report: EfficiencyReport) -> dict[str, Table]:
    group_title = _("Reps") if report.scope.team is not None else _("Teams")
    groups = Table(
        "groups",
        group_title,
        _row_columns(_("Rep") if report.scope.team is not None else _("Team")),
        [row_as_dict(r) for r in [*report.groups, report.total]],
    )
    months = Table(
        "months",
        _("Month by month"),
        _row_columns(_("Month")),
        [row_as_dict(r) for r in report.months],
    )
    stages = Table(
        "stages",
        _("Stage-advance time"),
        [Column("stage", _("Stage")), *_figure_columns("days", _("Days (median)"))],
        [{"stage": s.stage, **_flat(s.days, "days")} for s in report.stages],
    )
    estimates = Table(
        "estimates",
        _("Graded estimates of enablement"),
        [
            Column("title", _("Program or coaching")),
            Column("evidence_grade", _("Evidence grade")),
            Column("effect", _("Effect on bookings per trained rep-month"), "number"),
            Column("effect_low", _("95% interval from"), "number"),
            Column("effect_high", pgettext("upper end of an interval", "to"), "number"),
            Column("cost", _("Enablement cost per trained rep-month"), "money"),
            *_figure_columns("per_currency_unit", _("Bookings per unit of enablement cost")),
        ],
        [
            {
                "title": e.estimate.title,
                "evidence_grade": e.estimate.grade,
                "effect": e.estimate.att if e.is_finding else None,
                "effect_low": e.estimate.ci_low if e.is_finding else None,
                "effect_high": e.estimate.ci_high if e.is_finding else None,
                "cost": e.cost_per_trained_rep_month,
                **_flat(e.bookings_per_currency_unit, "per_currency_unit"),
            }
            for e in report.estimates
        ],
    )
    return {t.slug: t for t in (groups, months, stages, estimates)}


def trend_chart(report: EfficiencyReport) -> dict[str, Any]:
    """The month-by-month trend for the page's chart (static/js/roi.js, "efficiency-trend"),
    oldest month first: spend per rep-month on one axis, three outcome shares (%) on the other.
    The same numbers are in the "months" table, which the page keeps as the chart's alternative."""
    months = list(reversed(report.months))

    def outcome(key: str) -> list[float | None]:
        return [m.outcomes[key].value for m in months]

    return {
        "labels": [m.label for m in months],
        "currency": report.currency,
        "tool_spend": [m.tool_spend for m in months],
        "enablement_spend": [m.enablement_spend for m in months],
        "win_rate": outcome("win_rate"),
        "meeting_advance_rate": outcome("meeting_advance_rate"),
        "slip_rate": outcome("slip_rate"),
        "text": {
            "spend": _("Spend per rep-month (%(currency)s)") % {"currency": report.currency},
            "share": _("Share (%)"),
            "tool_spend": _("Tool spend per rep-month"),
            "enablement_spend": _("Enablement spend per rep-month"),
            "win_rate": _("Win rate (%)"),
            "meeting_advance_rate": _("Meetings that advanced the deal (%)"),
            "slip_rate": _("Slipped close dates (%)"),
        },
    }
