"""The efficiency report as pages and the API read it: as of the latest impact refresh, kept in
the cache (Redis in production, shared by web processes and workers) so that a large
organisation's page is a few queries, not a year of deals and meetings read again.

A stored report is found by what it covers: the period, the team asked for, the teams and reps
in view (each rep with their team: a move between teams is a new report), the latest refresh,
the tool records (a tool edited is a new report) and today's date. So a leader and an admin,
who see the same people, read the same report; a manager reads one of their own teams. Deals,
completions, coaching and meetings reach the page with the next refresh, as on the other impact
pages (roi.tasks runs it after ingestion and nightly). Before the first refresh there is nothing
to be "as of": the report is computed on every view.

After each refresh roi.tasks calls `efficiency_reports_warm`: the organisation-wide report for
every period and each team's for the default period are computed in the worker, so the first
leader to look does not wait. Decision record: docs/decisions/0022-efficiency-report-cache.md.

Queries on a stored report: scope (2), the latest refresh, the tools: four, whatever the size.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.cache import cache
from django.db.models import Count, Max

from accounts.access import Actor, Principal, organisation_reader
from roi.efficiency.inputs import Scope, scope_load
from roi.efficiency.report import (
    DEFAULT_PERIOD,
    PERIODS,
    EfficiencyReport,
    efficiency_report_for_scope,
)
from roi.models import ReportSnapshot
from roi.selectors import report_today
from tools.models import Tool

# A day and a bit: the nightly refresh replaces every report before it expires.
TIMEOUT_SECONDS = 26 * 3600
VERSION = 1  # raise when EfficiencyReport changes shape: old entries are then never read


def _refreshed_at() -> dt.datetime | None:
    """When the latest impact refresh wrote its reports; None before the first. One query."""
    return ReportSnapshot.objects.aggregate(at=Max("computed_at"))["at"]


def _key(scope: Scope, period: str, refreshed_at: dt.datetime) -> str:
    """What the report covers, as a cache key. One query (the tool records)."""
    tools = Tool.objects.aggregate(n=Count("pk"), edited=Max("updated_at"))
    covered = "|".join(
        [
            str(VERSION),
            period,
            str(scope.team.pk if scope.team is not None else ""),
            ",".join(str(t.pk) for t in scope.teams),
            ",".join(f"{r.pk}:{r.team_id}" for r in scope.reps),
            refreshed_at.isoformat(),
            f"{tools['n']}:{tools['edited'].isoformat() if tools['edited'] else ''}",
            report_today().isoformat(),
        ]
    )
    return "roi:efficiency:" + hashlib.sha256(covered.encode()).hexdigest()


def efficiency_report_read(
    *, principal: Actor | Principal, period: str, team_id: int | None = None
) -> EfficiencyReport:
    """The report for what `principal` sees, as of the latest refresh (see the module doc)."""
    scope = scope_load(principal=principal, team_id=team_id)
    refreshed_at = _refreshed_at()
    if refreshed_at is None:
        return efficiency_report_for_scope(scope=scope, period=period)
    key = _key(scope, period, refreshed_at)
    report = cache.get(key)
    if not isinstance(report, EfficiencyReport):
        report = efficiency_report_for_scope(scope=scope, period=period)
        report.as_of = refreshed_at
        cache.set(key, report, timeout=TIMEOUT_SECONDS)
    return report


def efficiency_reports_warm() -> int:
    """Computes and stores what leaders open first: the organisation-wide report for every
    period, and each team's for the default period. Returns how many reports were stored."""
    reader = organisation_reader()
    stored = 0
    for period in PERIODS:
        efficiency_report_read(principal=reader, period=period)
        stored += 1
    for team in scope_load(principal=reader, team_id=None).teams:
        efficiency_report_read(principal=reader, period=DEFAULT_PERIOD, team_id=team.pk)
        stored += 1
    return stored
