"""The efficiency vs effectiveness page and its CSV exports (managers their teams, leaders and
admins every team: accounts.access through roi.efficiency.inputs.scope_load)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from accounts.access import may_read_reports
from accounts.http import AuthenticatedRequest
from roi.efficiency.cache import efficiency_report_read
from roi.efficiency.report import (
    DEFAULT_PERIOD,
    PERIODS,
    EfficiencyReport,
    period_parse,
)
from roi.efficiency.tables import outcome_labels, report_tables, trend_chart


def _team_id(request: AuthenticatedRequest) -> int | None:
    raw = request.GET.get("team") or ""
    if not raw:
        return None
    if not raw.isdecimal() or len(raw) > 12:
        raise Http404("No such team")
    return int(raw)


def _build(request: AuthenticatedRequest) -> tuple[EfficiencyReport, str | None]:
    if not may_read_reports(request.user):
        raise Http404("No such page")
    error = None
    try:
        period = period_parse(request.GET.get("period"))
    except ValidationError as exc:
        period, error = DEFAULT_PERIOD, " ".join(exc.messages)
    report = efficiency_report_read(
        principal=request.user, period=period, team_id=_team_id(request)
    )
    return report, error


@login_required
def efficiency(request: AuthenticatedRequest) -> HttpResponse:
    report, error = _build(request)
    tables = report_tables(report)
    query = {"period": report.period}
    if report.scope.team is not None:
        query["team"] = str(report.scope.team.pk)
    for slug, table in tables.items():
        table.csv_url = f"{reverse('roi:efficiency_csv', args=[slug])}?{urlencode(query)}"
    context = {
        "report": report,
        "tables": tables,
        "trend": trend_chart(report),
        "labels": outcome_labels(),
        "periods": list(PERIODS),
        "period_error": error,
    }
    return render(request, "roi/efficiency.html", context, status=400 if error else 200)


@login_required
def efficiency_csv(request: AuthenticatedRequest, table: str) -> HttpResponse:
    report, error = _build(request)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    found = report_tables(report).get(table)
    if found is None:
        raise Http404("No such table")
    response = HttpResponse(found.csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="efficiency-{report.period}-{table}.csv"'
    )
    return response
