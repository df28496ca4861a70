import uuid
from collections.abc import Callable
from itertools import groupby
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.access import admin_required, sees_only_self, visible_reps, visible_teams
from accounts.http import AuthenticatedRequest
from accounts.models import Team
from core.pagination import COUNT_LIMIT, BoundedPaginator
from deals.access import deal_get_visible, deal_list_visible, ingest_job_get_visible
from deals.filters import DealFilter
from deals.forms import FIELD_LABELS, CsvMappingForm, CsvUploadForm
from deals.models import CsvUpload, DealStatus, IngestJob, IngestJobStatus
from deals.selectors import (
    deal_history,
    deal_is_slipped,
    deal_pipeline_hygiene,
    deal_stage_stays,
    deals_annotate_pipeline,
    exchange_rates_load,
)
from deals.services.csv_import import (
    PREVIEW_ROWS,
    CsvInvalid,
    csv_error_report,
    csv_errors_in_columns,
    csv_job_columns,
    csv_mapping_initial,
    csv_parse,
    csv_upload_create,
    csv_upload_import,
)

PAGE_SIZE = 50
View = Callable[..., HttpResponse]


def _owner_choices(request: AuthenticatedRequest) -> list[tuple[int, str]]:
    if sees_only_self(request.user):
        return []
    people = visible_reps(request.user).only("pk", "full_name", "email")
    return [(p.pk, str(p)) for p in people.order_by("full_name", "pk")]


@login_required
def deal_list(request: AuthenticatedRequest) -> HttpResponse:
    deals = deals_annotate_pipeline(deal_list_visible(principal=request.user)).select_related(
        "owner"
    )
    filterset = DealFilter(request.GET, queryset=deals)
    rows = filterset.qs if filterset.is_valid() else deals.none()
    # Queries: the count (bounded: it stops at 10,001 rows, decision 0008), the page (owner
    # joined; slip and stage entry as subqueries), and the people for the owner filter.
    page = BoundedPaginator(rows.order_by("-source_updated_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "deals/list.html",
        {
            "page": page,
            "filter_form": filterset.form,
            "owners": _owner_choices(request),
            "statuses": DealStatus.choices,
            "today": timezone.localdate(),
            "query": query.urlencode(),
            "page_count_limit": COUNT_LIMIT,
            "is_filtered": any(v for k, v in request.GET.items() if k != "page"),
        },
    )


@login_required
def deal_detail(request: AuthenticatedRequest, deal_id: int) -> HttpResponse:
    deal = deal_get_visible(principal=request.user, deal_id=deal_id)
    today = timezone.localdate()
    rates = exchange_rates_load()
    on = deal.closed_at.date() if deal.closed_at else today
    history = deal_history(deal)
    timeline = [(at, list(group)) for at, group in groupby(history, key=lambda c: c.changed_at)]
    timeline.reverse()  # newest first
    return render(
        request,
        "deals/detail.html",
        {
            "deal": deal,
            "today": today,
            "is_slipped": deal_is_slipped(deal=deal, today=today),
            "stays": [(stay, stay.days(today)) for stay in deal_stage_stays(deal)],
            "timeline": timeline,
            "home_currency": rates.home_currency,
            "home_amount": rates.to_home(deal.amount, deal.currency, on),
        },
    )


def _hygiene_teams(request: AuthenticatedRequest) -> list[Team]:
    return list(visible_teams(request.user))


@login_required
def pipeline_hygiene(request: AuthenticatedRequest) -> HttpResponse:
    teams = _hygiene_teams(request)
    team = next((t for t in teams if str(t.pk) == request.GET.get("team")), None)
    owner_ids = list(team.members.values_list("pk", flat=True)) if team else None
    report = deal_pipeline_hygiene(
        principal=request.user, today=timezone.localdate(), owner_ids=owner_ids
    )
    return render(
        request,
        "deals/hygiene.html",
        {"report": report, "teams": teams, "team": team},
    )


@admin_required
def import_upload(request: AuthenticatedRequest) -> HttpResponse:
    form = CsvUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            upload = csv_upload_create(
                data=form.cleaned_data["file"].read(),
                filename=form.cleaned_data["file"].name,
                source=form.cleaned_data["source"],
                encoding=form.cleaned_data["encoding"],
                uploaded_by=request.user,
            )
        except CsvInvalid as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("deals:import_map", upload_id=upload.pk)
    return render(request, "deals/import_upload.html", {"form": form})


def _upload_get(upload_id: uuid.UUID) -> CsvUpload:
    # Uploads are only reachable by admins (see admin_only), who may see every upload.
    try:
        return CsvUpload.objects.select_related("job").get(pk=upload_id)
    except CsvUpload.DoesNotExist:
        raise Http404("No such upload") from None


@admin_required
def import_map(request: AuthenticatedRequest, upload_id: uuid.UUID) -> HttpResponse:
    upload = _upload_get(upload_id)
    if upload.job is not None:
        return redirect("deals:import_job", job_id=upload.job.pk)
    table = csv_parse(upload.content)
    initial = csv_mapping_initial(source=upload.source, headers=table.headers)
    form = CsvMappingForm(request.POST or None, headers=table.headers, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            job = csv_upload_import(upload=upload, mapping=form.mapping(), user=request.user)
        except CsvInvalid as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("deals:import_job", job_id=job.pk)
    return render(
        request,
        "deals/import_map.html",
        {
            "upload": upload,
            "form": form,
            "headers": table.headers,
            "preview": table.rows[:PREVIEW_ROWS],
            "row_count": len(table.rows),
        },
    )


@admin_required
def import_job(request: AuthenticatedRequest, job_id: uuid.UUID) -> HttpResponse:
    job = ingest_job_get_visible(principal=request.user, job_id=job_id)
    running = job.status in (IngestJobStatus.QUEUED, IngestJobStatus.RUNNING)
    template = (
        "deals/_job_status.html" if request.headers.get("HX-Request") else "deals/import_job.html"
    )
    errors = _errors_for_people(job, job.errors[:50])
    return render(request, template, {"job": job, "running": running, "errors": errors})


def _errors_for_people(job: IngestJob, errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors naming the file's columns (or the form's labels), never internal field names."""
    return csv_errors_in_columns(
        errors=errors, columns=csv_job_columns(job=job), labels=FIELD_LABELS
    )


@admin_required
def import_job_errors(request: AuthenticatedRequest, job_id: uuid.UUID) -> HttpResponse:
    job = ingest_job_get_visible(principal=request.user, job_id=job_id)
    report = csv_error_report(errors=_errors_for_people(job, job.errors))
    response = HttpResponse(report, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="deal-errors-{job.pk}.csv"'
    return response
