"""An admin resets a learner's quiz attempts (linked from the person's page in People)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.access import person_get_for_admin
from accounts.http import AuthenticatedRequest
from core.validation import InputInvalid, parse_query_id
from training.selectors import learner_quiz_attempts
from training.services import quiz_attempts_reset


@login_required
@require_http_methods(["GET", "POST"])
def learner_attempts(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    person = person_get_for_admin(request.user, user_id=user_id)
    if request.method == "POST":
        try:
            lesson_id = parse_query_id(request.POST.get("lesson", "") or "0") or None
        except InputInvalid:
            messages.error(request, _("That quiz is not in the list."))
            return redirect("training:learner_attempts", user_id=person.pk)
        deleted = quiz_attempts_reset(user=person, lesson_id=lesson_id)
        messages.success(
            request,
            ngettext(
                "%(count)d attempt removed: %(name)s can take the quiz again.",
                "%(count)d attempts removed: %(name)s can take the quiz again.",
                deleted,
            )
            % {"count": deleted, "name": person},
        )
        return redirect("training:learner_attempts", user_id=person.pk)
    # Queries: the person, then their attempts grouped by quiz.
    return render(
        request,
        "training/learner_attempts.html",
        {"person": person, "quizzes": learner_quiz_attempts(user=person)},
    )
