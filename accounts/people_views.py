"""An admin's People and API keys pages (everyone else: the People list only, read-only)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import (
    api_key_get_for_admin,
    is_admin,
    people_admin_check,
    person_get_for_admin,
    team_get_for_admin,
)
from accounts.forms import (
    ApiKeyCreateForm,
    CrmIdentityForm,
    InviteForm,
    PeopleFilterForm,
    PersonForm,
    TeamForm,
)
from accounts.http import AuthenticatedRequest
from accounts.people import (
    PersonChanges,
    crm_identity_remove,
    invitation_send,
    team_save,
    user_admin_update,
    user_invite,
    user_set_active,
)
from accounts.selectors import PeopleFilters, api_key_list, people_search, team_list
from accounts.services import api_key_create, api_key_revoke, crm_identity_create
from core.forms import form_add_service_errors
from core.validation import InputInvalid, parse_query_id

PEOPLE_PAGE_SIZE = 50


@login_required
def people(request: AuthenticatedRequest) -> HttpResponse:
    """Everyone the viewer may see; admins also invite and edit from here."""
    form = PeopleFilterForm(request.GET or None)
    filters = PeopleFilters()
    if form.is_valid():
        team = form.cleaned_data["team"]
        filters = PeopleFilters(
            query=form.cleaned_data["q"].strip(),
            role=form.cleaned_data["role"],
            team_id=team.pk if team else None,
            status=form.cleaned_data["status"],
        )
    # Queries: the count, the page of users (team and manager joined), their CRM ids, their
    # coaches.
    page = Paginator(people_search(principal=request.user, filters=filters), PEOPLE_PAGE_SIZE)
    current = page.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/people.html",
        {
            "form": form,
            "page": current,
            "people": list(current),
            "query": query.urlencode(),
            "is_admin": is_admin(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_invite(request: AuthenticatedRequest) -> HttpResponse:
    people_admin_check(request.user)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = user_invite(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": person.email})
            return redirect("accounts:person", user_id=person.pk)
    return render(request, "accounts/person_invite.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    person = person_get_for_admin(request.user, user_id=user_id)
    coaches = [link.coach for link in person.coach_links.select_related("coach")]
    initial = {
        "full_name": person.full_name,
        "role": person.role,
        "team": person.team,
        "manager": person.manager,
        "coaches": coaches,
        "hire_date": person.hire_date,
    }
    form = PersonForm(request.POST or None, initial=initial)
    form.fields["manager"].queryset = form.fields["manager"].queryset.exclude(pk=person.pk)  # type: ignore[attr-defined]
    form.fields["coaches"].queryset = form.fields["coaches"].queryset.exclude(pk=person.pk)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user_admin_update(
                actor=request.user,
                user=person,
                changes=PersonChanges(
                    full_name=data["full_name"],
                    role=data["role"],
                    team=data["team"],
                    manager=data["manager"],
                    coaches=list(data["coaches"]),
                    hire_date=data["hire_date"],
                ),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("accounts:person", user_id=person.pk)
    context = {
        "person": person,
        "form": form,
        "crm_identities": list(person.crm_identities.order_by("source")),
        "crm_form": CrmIdentityForm(),
        "is_invited": not person.has_usable_password() and person.last_login is None,
    }
    return render(request, "accounts/person.html", context)


@login_required
@require_POST
def person_set_active(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    person = person_get_for_admin(request.user, user_id=user_id)
    is_active = request.POST.get("active") == "1"
    try:
        user_set_active(actor=request.user, user=person, is_active=is_active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(name)s can sign in again.") % {"name": person}
            if is_active
            else _("%(name)s is deactivated; their history stays in the reports.")
            % {"name": person},
        )
    return redirect("accounts:person", user_id=person.pk)


@login_required
@require_POST
def person_invite_again(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    person = person_get_for_admin(request.user, user_id=user_id)
    invitation_send(user=person, invited_by=request.user)
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": person.email})
    return redirect("accounts:person", user_id=person.pk)


@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request: AuthenticatedRequest) -> HttpResponse:
    """The keys, and a form to create one; the new key is shown on this response only."""
    people_admin_check(request.user)
    form = ApiKeyCreateForm(request.POST or None)
    created_key = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        expiry = data["expiry_date"]
        _key, created_key = api_key_create(
            name=data["name"],
            scopes=data["scopes"],
            created_by=request.user,
            expiry_date=(
                dt.datetime.combine(expiry, dt.time.max, tzinfo=timezone.get_current_timezone())
                if expiry
                else None
            ),
            requests_per_hour=data["requests_per_hour"],
        )
        form = ApiKeyCreateForm()
    # Queries: the keys with their creators.
    response = render(
        request,
        "accounts/api_keys.html",
        {"form": form, "keys": list(api_key_list()), "created_key": created_key},
    )
    response["Cache-Control"] = "no-store"  # the new key must not stay in any cache
    return response


@login_required
@require_POST
def api_key_revoke_view(request: AuthenticatedRequest, key_id: str) -> HttpResponse:
    key = api_key_get_for_admin(request.user, key_id=key_id)
    api_key_revoke(key=key)
    messages.success(request, _("Key %(name)s is revoked.") % {"name": key.name})
    return redirect("accounts:api_keys")


@login_required
@require_http_methods(["GET", "POST"])
def teams(request: AuthenticatedRequest) -> HttpResponse:
    """Teams with their managers and sizes, and a form to create one."""
    people_admin_check(request.user)
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = team_save(team=None, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Team %(name)s saved.") % {"name": team.name})
            return redirect("accounts:teams")
    # Queries: the teams with their manager and member count; the manager choices.
    return render(request, "accounts/teams.html", {"teams": list(team_list()), "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    team = team_get_for_admin(request.user, team_id=team_id)
    form = TeamForm(request.POST or None, initial={"name": team.name, "manager": team.manager})
    if request.method == "POST" and form.is_valid():
        try:
            team_save(team=team, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Team %(name)s saved.") % {"name": team.name})
            return redirect("accounts:teams")
    return render(request, "accounts/team.html", {"team": team, "form": form})


@login_required
@require_POST
def person_crm_identity(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    """Add an owner id (`source`, `owner_id`) or remove one (`remove` = its id)."""
    person = person_get_for_admin(request.user, user_id=user_id)
    if request.POST.get("remove"):
        try:
            identity_id = parse_query_id(request.POST["remove"])
        except InputInvalid:
            raise Http404("No such CRM id") from None
        crm_identity_remove(user=person, identity_id=identity_id)
        messages.success(request, _("CRM owner id removed."))
        return redirect("accounts:person", user_id=person.pk)
    form = CrmIdentityForm(request.POST)
    if form.is_valid():
        try:
            crm_identity_create(user=person, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("CRM owner id saved."))
    else:
        messages.error(
            request,
            " ".join(
                f"{form.fields[field].label}: {' '.join(str(e) for e in errors)}"
                for field, errors in form.errors.items()
            ),
        )
    return redirect("accounts:person", user_id=person.pk)
