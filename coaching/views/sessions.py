"""One session: detail, reschedule, cancel, complete, scorecard, post-mortem and its follow-ups."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest
from coaching import selectors
from coaching.access import (
    action_item_get_for_owner,
    post_mortem_get_for_coach,
    session_get_for_coach,
    session_get_for_participant,
    session_get_visible,
)
from coaching.errors import SessionConflict
from coaching.forms import (
    ActionItemForm,
    CancelForm,
    CommitmentForm,
    CompleteForm,
    PostMortemForm,
    RescheduleForm,
    ScorecardForm,
)
from coaching.models import POST_MORTEM_KINDS, CoachingSession, Rubric, SessionStatus
from coaching.services.post_mortems import (
    ActionItemInput,
    CommitmentInput,
    action_item_add,
    action_item_set_done,
    commitment_add,
    post_mortem_record,
    post_mortem_to_story_lesson,
)
from coaching.services.scorecards import scorecard_record
from coaching.services.sessions import session_cancel, session_complete, session_reschedule
from coaching.views.shared import FIELD_ALIASES, may_run_session
from core.forms import form_add_service_errors, service_error_messages
from deals.models import DealStatus
from training.access import may_edit_content

# One session


def _detail_context(
    request: AuthenticatedRequest, session: CoachingSession, **forms: Any
) -> dict[str, Any]:
    # Queries: the session with people, deal, scorecard, post-mortem; focus criteria; scores;
    # commitments; action items.
    session = selectors.session_detail(session=session)
    user = request.user
    may_run = may_run_session(user, session)
    is_completed = session.status == SessionStatus.COMPLETED
    scorecard = getattr(session, "scorecard", None)
    post_mortem = getattr(session, "post_mortem", None)
    rubric = None
    if may_run and is_completed:
        rubric_id = request.GET.get("rubric") or request.POST.get("rubric")
        rubrics = Rubric.objects.filter(is_active=True)
        if rubric_id:
            rubric = rubrics.filter(pk=rubric_id).first() if str(rubric_id).isdecimal() else None
        if rubric is None and scorecard is not None:
            rubric = scorecard.rubric
        if rubric is None:
            rubric = selectors.rubric_default()
    context: dict[str, Any] = {
        "session": session,
        "scorecard": scorecard,
        "post_mortem": post_mortem,
        "may_run": may_run,
        "may_cancel": may_run or session.rep_id == user.pk,
        "is_scheduled": session.status == SessionStatus.SCHEDULED,
        "has_started": session.start <= timezone.now(),
        "has_post_mortem_kind": session.kind in POST_MORTEM_KINDS,
        "rubric": rubric,
        "rubrics": list(Rubric.objects.filter(is_active=True)) if may_run and is_completed else [],
        "may_make_story": bool(
            may_run
            and post_mortem is not None
            and post_mortem.story_lesson_id is None
            and session.deal is not None
            and session.deal.status in (DealStatus.WON, DealStatus.LOST)
        ),
        # Only authors (managers, admins) may open the Studio; a coach sees the title, not a
        # link that would answer "not found".
        "lesson_url": (
            _lesson_url(post_mortem.story_lesson_id)
            if post_mortem and may_edit_content(user)
            else ""
        ),
    }
    if may_run:
        context.update(_detail_forms(session, rubric=rubric, forms=forms))
    return context


def _detail_forms(
    session: CoachingSession, *, rubric: Rubric | None, forms: dict[str, Any]
) -> dict[str, Form]:
    """The forms of the session page for who runs the session: the one posted back with its
    errors (in `forms`), the others blank or filled with what is stored."""
    scorecard = getattr(session, "scorecard", None)
    post_mortem = getattr(session, "post_mortem", None)
    out: dict[str, Form] = {}
    if session.status == SessionStatus.SCHEDULED:
        out["complete_form"] = forms.get("complete_form") or CompleteForm()
    if session.status == SessionStatus.COMPLETED:
        if rubric is not None:
            criteria = list(rubric.criteria.order_by("position", "pk"))
            initial = {}
            if scorecard is not None and scorecard.rubric_id == rubric.pk:
                initial = {f"score_{s.criterion_id}": s.score for s in scorecard.scores.all()}
                initial["notes"] = scorecard.notes
            out["scorecard_form"] = forms.get("scorecard_form") or ScorecardForm(
                initial=initial, criteria=criteria
            )
        if session.kind in POST_MORTEM_KINDS:
            out["post_mortem_form"] = forms.get("post_mortem_form") or PostMortemForm(
                initial={"went_well": post_mortem.went_well, "to_improve": post_mortem.to_improve}
                if post_mortem
                else None
            )
            out["commitment_form"] = forms.get("commitment_form") or CommitmentForm(
                prefix="commitment",
                initial={"check_date": timezone.localdate() + dt.timedelta(days=90)},
            )
        out["action_form"] = forms.get("action_form") or ActionItemForm(
            prefix="action",
            people=[session.rep, session.coach],
            initial={"due_date": timezone.localdate() + dt.timedelta(days=14)},
        )
    return out


def _detail_form_post(
    request: AuthenticatedRequest,
    session: CoachingSession,
    *,
    form: Form,
    form_name: str,
    save: Callable[[dict[str, Any]], object],
    success: str,
) -> HttpResponse:
    """A form posted from the session page: `save(cleaned_data)` when it is valid, then back to
    the page with `success`; otherwise (or when the service refuses, its reasons on the form's
    fields) the page again with the form, 400."""
    if form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc, aliases=FIELD_ALIASES)
        else:
            messages.success(request, success)
            return redirect("coaching:session_detail", pk=session.pk)
    context = _detail_context(request, session, **{form_name: form})
    return render(request, "coaching/session_detail.html", context, status=400)


def _commitment_input(data: dict[str, Any]) -> CommitmentInput:
    return CommitmentInput(
        metric=data["metric"],
        target=data["target"],
        check_date=data["check_date"],
        description=data["description"],
    )


def _lesson_url(lesson_id: int | None) -> str:
    """The drafted story lesson in the Studio, where an author polishes it."""
    return "" if lesson_id is None else reverse("training:studio_lesson", args=[lesson_id])


@login_required
@require_GET
def session_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = session_get_visible(request.user, session_id=pk)
    return render(request, "coaching/session_detail.html", _detail_context(request, session))


@login_required
def session_reschedule_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = session_get_for_coach(request.user, session_id=pk)
    form = RescheduleForm(
        request.POST or None,
        initial={"start": timezone.localtime(session.start), "duration": session.duration_minutes},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        start = form.cleaned_data["start"]
        try:
            session_reschedule(
                session=session,
                start=start,
                end=start + dt.timedelta(minutes=form.cleaned_data["duration"]),
                by=request.user,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc, aliases=FIELD_ALIASES)
        except SessionConflict as exc:
            form.add_error(None, exc.message)
            status = 409
        else:
            messages.success(request, _("Moved. Both calendars get the new time."))
            return redirect("coaching:session_detail", pk=session.pk)
    return render(
        request, "coaching/reschedule.html", {"form": form, "session": session}, status=status
    )


@login_required
def session_cancel_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = session_get_for_participant(request.user, session_id=pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session_cancel(session=session, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form_add_service_errors(form, exc, aliases=FIELD_ALIASES)
        else:
            messages.success(request, _("Cancelled. Both people are told, with your reason."))
            return redirect("coaching:session_detail", pk=session.pk)
    return render(request, "coaching/cancel.html", {"form": form, "session": session})


@login_required
@require_POST
def session_complete_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = session_get_for_coach(request.user, session_id=pk)
    return _detail_form_post(
        request,
        session,
        form=CompleteForm(request.POST),
        form_name="complete_form",
        save=lambda data: session_complete(
            session=session, by=request.user, status=data["status"], notes=data["notes"]
        ),
        success=_("Recorded."),
    )


@login_required
@require_POST
def scorecard_save(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = session_get_for_coach(request.user, session_id=pk)
    rubric_id = request.POST.get("rubric", "")
    rubric = Rubric.objects.filter(pk=rubric_id).first() if rubric_id.isdecimal() else None
    if rubric is None:
        messages.error(request, _("Choose a rubric."))
        return redirect("coaching:session_detail", pk=session.pk)
    form = ScorecardForm(request.POST, criteria=list(rubric.criteria.order_by("position", "pk")))
    return _detail_form_post(
        request,
        session,
        form=form,
        form_name="scorecard_form",
        save=lambda data: scorecard_record(
            session=session,
            scored_by=request.user,
            rubric=rubric,
            scores=form.scores(),
            notes=data["notes"],
        ),
        success=_("Scorecard saved. %(rep)s can see it.") % {"rep": session.rep.full_name},
    )


def _commitment_filled(form: CommitmentForm) -> bool:
    """Whether the coach started a commitment. The metric is a select and the check date has a
    default, so they are always sent; a description or a target means one was meant (and then
    the form's own validation asks for what is missing, rather than dropping it)."""
    return any(
        str(form.data.get(form.add_prefix(name), "")).strip() for name in ("description", "target")
    )


@login_required
@require_POST
def post_mortem_save(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The post-mortem, with an optional first commitment: both land or neither."""
    session = session_get_for_coach(request.user, session_id=pk)
    form = PostMortemForm(request.POST)
    commitment_form = CommitmentForm(request.POST, prefix="commitment")
    with_commitment = _commitment_filled(commitment_form)
    forms_valid = form.is_valid() and (not with_commitment or commitment_form.is_valid())
    if forms_valid:
        commitments = [_commitment_input(commitment_form.cleaned_data)] if with_commitment else []
        try:
            post_mortem_record(
                session=session,
                author=request.user,
                went_well=form.cleaned_data["went_well"],
                to_improve=form.cleaned_data["to_improve"],
                commitments=commitments,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc, subforms={"commitments": commitment_form})
        else:
            messages.success(request, _("Post-mortem saved."))
            return redirect("coaching:session_detail", pk=session.pk)
    context = _detail_context(
        request, session, post_mortem_form=form, commitment_form=commitment_form
    )
    return render(request, "coaching/session_detail.html", context, status=400)


@login_required
@require_POST
def commitment_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    post_mortem = post_mortem_get_for_coach(request.user, post_mortem_id=pk)
    return _detail_form_post(
        request,
        post_mortem.session,
        form=CommitmentForm(request.POST, prefix="commitment"),
        form_name="commitment_form",
        save=lambda data: commitment_add(post_mortem=post_mortem, data=_commitment_input(data)),
        success=_("Commitment added."),
    )


@login_required
@require_POST
def action_item_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = session_get_for_coach(request.user, session_id=pk)
    return _detail_form_post(
        request,
        session,
        form=ActionItemForm(request.POST, prefix="action", people=[session.rep, session.coach]),
        form_name="action_form",
        save=lambda data: action_item_add(
            session=session,
            data=ActionItemInput(
                owner_id=data["owner"], description=data["description"], due_date=data["due_date"]
            ),
        ),
        success=_("Action item added."),
    )


@login_required
@require_POST
def action_item_toggle(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = action_item_get_for_owner(request.user, action_item_id=pk)
    action_item_set_done(item=item, is_done=request.POST.get("done") == "1")
    if request.headers.get("HX-Request"):
        return render(
            request, "coaching/_action_item.html", {"item": item, "today": timezone.localdate()}
        )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("coaching:session_detail", args=[item.session_id])
    return redirect(back)


@login_required
@require_POST
def story_lesson_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    post_mortem = post_mortem_get_for_coach(request.user, post_mortem_id=pk)
    try:
        lesson = post_mortem_to_story_lesson(post_mortem=post_mortem, author=request.user)
    except ValidationError as exc:
        for errors in service_error_messages(exc).values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(
            request,
            _("Draft story lesson “%(title)s” created for an author to polish.")
            % {"title": lesson.title},
        )
    return redirect("coaching:session_detail", pk=post_mortem.session_id)
