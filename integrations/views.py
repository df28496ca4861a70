"""Admin pages: the integrations overview, one page per CRM connection, outgoing webhooks."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest
from core.forms import form_add_service_errors, service_error_messages
from events.models import DeliveryStatus, EventType
from events.selectors import webhook_delivery_log, webhook_subscription_list
from events.services import (
    webhook_delivery_redeliver,
    webhook_subscription_create,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
    webhook_test_event_send,
)
from integrations.access import (
    admin_required,
    delivery_get_for_admin,
    source_get_for_admin,
    subscription_get_for_admin,
)
from integrations.adapters.base import CrmError
from integrations.forms import (
    SETTINGS_FORMS,
    FieldMapForm,
    StageFormSet,
    SubscriptionForm,
    stage_rows_from_map,
)
from integrations.models import ConnectionSource, CrmConnection
from integrations.selectors import connection_activity, connection_list, connection_or_blank
from integrations.services.connections import (
    connection_import_stages,
    connection_restart_sync,
    connection_save_maps,
    connection_save_settings,
    connection_sync_request,
    connection_test,
)


@require_GET
@admin_required
def index(request: AuthenticatedRequest) -> HttpResponse:
    # Queries: connections with open-error counts; subscribers with delivery counts.
    return render(
        request,
        "integrations/index.html",
        {"connections": connection_list(), "subscriptions": list(webhook_subscription_list())},
    )


def _settings_initial(connection: CrmConnection) -> dict[str, Any]:
    form_class = SETTINGS_FORMS[connection.source]
    initial = {name: connection.setting(name) for name in form_class.setting_fields}  # type: ignore[attr-defined]
    initial = {k: v for k, v in initial.items() if v not in ("", None)}
    return {**initial, "is_enabled": connection.is_enabled}


def _render_connection(
    request: AuthenticatedRequest,
    connection: CrmConnection,
    *,
    settings_form: Any = None,
    stage_formset: Any = None,
    field_form: Any = None,
    map_error: str = "",
    status: int = 200,
) -> HttpResponse:
    source = connection.source
    context = {
        "connection": connection,
        "source_label": ConnectionSource(source).label,
        "settings_form": settings_form
        or SETTINGS_FORMS[source](initial=_settings_initial(connection)),
        "stage_formset": stage_formset
        or StageFormSet(initial=stage_rows_from_map(connection.stage_map), prefix="stages"),
        "field_form": field_form or FieldMapForm(initial=connection.field_map, source=source),
        "map_error": map_error,
        "activity": connection_activity(connection=connection),
        "webhook_url": request.build_absolute_uri(reverse("integrations-hubspot-webhook")),
    }
    return render(request, "integrations/connection.html", context, status=status)


@require_GET
@admin_required
def connection_page(request: AuthenticatedRequest, source: str) -> HttpResponse:
    # Queries: the connection; runs, open row errors, their count, webhook events by status.
    source_get_for_admin(user=request.user, source=source)
    return _render_connection(request, connection_or_blank(source=source))


@require_POST
@admin_required
def connection_settings(request: AuthenticatedRequest, source: str) -> HttpResponse:
    crm = source_get_for_admin(user=request.user, source=source)
    form = SETTINGS_FORMS[crm](request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            connection_save_settings(
                source=crm,
                is_enabled=data["is_enabled"],
                settings={k: data.get(k) for k in form.setting_fields},  # type: ignore[attr-defined]
                secrets={k: data.get(k) or "" for k in form.secret_fields},  # type: ignore[attr-defined]
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Connection settings saved."))
            return redirect("integrations:connection", source=crm)
    return _render_connection(
        request, connection_or_blank(source=crm), settings_form=form, status=400
    )


@require_POST
@admin_required
def connection_maps(request: AuthenticatedRequest, source: str) -> HttpResponse:
    crm = source_get_for_admin(user=request.user, source=source)
    connection = connection_or_blank(source=crm)
    formset = StageFormSet(request.POST, prefix="stages")
    field_form = FieldMapForm(request.POST, source=crm)
    if connection.pk is None:
        messages.error(request, _("Save the connection settings first."))
        return redirect("integrations:connection", source=crm)
    if formset.is_valid() and field_form.is_valid():
        stage_map: dict[str, Any] = {}
        for row in formset.cleaned_data:
            if row and not row.get("DELETE") and row.get("stage_id", "").strip():
                stage_map[row["stage_id"].strip()] = {
                    "status": row["status"],
                    "order": row.get("order") or 0,
                    "label": row.get("label", ""),
                }
        try:
            connection_save_maps(
                connection=connection, stage_map=stage_map, field_map=field_form.cleaned_data
            )
        except ValidationError as exc:
            errors = service_error_messages(exc)
            for field, messages_ in errors.items():
                if field in field_form.fields:
                    field_form.add_error(field, messages_)
            map_error = " ".join(errors.get("stage_map", []))
            return _render_connection(
                request,
                connection,
                stage_formset=formset,
                field_form=field_form,
                map_error=map_error,
                status=400,
            )
        messages.success(request, _("Stage and field maps saved."))
        return redirect("integrations:connection", source=crm)
    return _render_connection(
        request, connection, stage_formset=formset, field_form=field_form, status=400
    )


@require_POST
@admin_required
def connection_test_view(request: AuthenticatedRequest, source: str) -> HttpResponse:
    crm = source_get_for_admin(user=request.user, source=source)
    connection = connection_or_blank(source=crm)
    outcome = connection_test(connection=connection)
    if request.headers.get("HX-Request"):
        return render(request, "integrations/_test_result.html", {"outcome": outcome})
    (messages.success if outcome.ok else messages.error)(request, outcome.message)
    return redirect("integrations:connection", source=crm)


@require_POST
@admin_required
def connection_import_stages_view(request: AuthenticatedRequest, source: str) -> HttpResponse:
    crm = source_get_for_admin(user=request.user, source=source)
    connection = connection_or_blank(source=crm)
    if connection.pk is None:
        messages.error(request, _("Save the connection settings first."))
        return redirect("integrations:connection", source=crm)
    try:
        added = connection_import_stages(connection=connection)
    except CrmError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("%(count)d new stages added to the stage map.") % {"count": added}
        )
    return redirect("integrations:connection", source=crm)


@require_POST
@admin_required
def connection_sync_now(request: AuthenticatedRequest, source: str) -> HttpResponse:
    crm = source_get_for_admin(user=request.user, source=source)
    connection = connection_or_blank(source=crm)
    if connection.pk is None or not connection.is_enabled:
        messages.error(request, _("Enable the connection to sync it."))
    else:
        if request.POST.get("restart") == "1":
            connection_restart_sync(connection=connection)
        connection_sync_request(connection=connection)
        messages.success(request, _("A sync has started; refresh to see its progress."))
    return redirect("integrations:connection", source=crm)


# Outgoing webhooks ---------------------------------------------------------------------------


@admin_required
def subscription_new(request: AuthenticatedRequest) -> HttpResponse:
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription = webhook_subscription_create(
                name=form.cleaned_data["name"],
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
                created_by_id=request.user.pk,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Subscriber added. Copy its signing secret to the receiver.")
            )
            return redirect("integrations:subscription", subscription_id=subscription.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "integrations/subscription_form.html", {"form": form}, status=status)


@admin_required
def subscription_detail(request: AuthenticatedRequest, subscription_id: int) -> HttpResponse:
    # Queries: the subscription; one page of its delivery log.
    subscription = subscription_get_for_admin(user=request.user, subscription_id=subscription_id)
    form = SubscriptionForm(
        request.POST or None,
        initial={
            "name": subscription.name,
            "url": subscription.url,
            "event_types": subscription.event_types,
            "is_active": subscription.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            webhook_subscription_update(
                subscription=subscription,
                name=form.cleaned_data["name"],
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
                is_active=form.cleaned_data["is_active"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Subscriber saved."))
            return redirect("integrations:subscription", subscription_id=subscription.pk)
    status_filter = request.GET.get("status", "")
    log = webhook_delivery_log(subscription=subscription, status=status_filter or None)
    return render(
        request,
        "integrations/subscription_detail.html",
        {
            "subscription": subscription,
            "form": form,
            "log": log,
            "status_filter": status_filter,
            "statuses": DeliveryStatus.choices,
            "event_types": EventType.choices,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@admin_required
def subscription_rotate_secret(request: AuthenticatedRequest, subscription_id: int) -> HttpResponse:
    subscription = subscription_get_for_admin(user=request.user, subscription_id=subscription_id)
    webhook_subscription_rotate_secret(subscription=subscription)
    messages.success(request, _("New signing secret created; update the receiver."))
    return redirect("integrations:subscription", subscription_id=subscription.pk)


@require_POST
@admin_required
def subscription_send_test(request: AuthenticatedRequest, subscription_id: int) -> HttpResponse:
    subscription = subscription_get_for_admin(user=request.user, subscription_id=subscription_id)
    event_type = request.POST.get("event_type", "")
    try:
        webhook_test_event_send(subscription=subscription, event_type=event_type)
    except ValidationError:
        messages.error(request, _("Choose an event type to send."))
    else:
        messages.success(
            request,
            _("A test %(event)s event is on its way; its delivery appears below.")
            % {"event": event_type},
        )
    return redirect("integrations:subscription", subscription_id=subscription.pk)


@require_POST
@admin_required
def delivery_redeliver(
    request: AuthenticatedRequest, subscription_id: int, delivery_id: int
) -> HttpResponse:
    delivery = delivery_get_for_admin(
        user=request.user, subscription_id=subscription_id, delivery_id=delivery_id
    )
    webhook_delivery_redeliver(delivery=delivery)
    messages.success(request, _("The delivery is being sent again."))
    return redirect("integrations:subscription", subscription_id=subscription_id)
