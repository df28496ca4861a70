"""What a learner sees: my learning, the catalog, courses, lessons, quizzes, certificates."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import User
from core.forms import form_add_service_errors
from core.models import Organization
from training import selectors
from training.access import (
    completion_get_for_viewer,
    completion_get_public,
    course_get_for_learner,
    lesson_get_for_learner,
    may_edit_content,
    program_get_for_learner,
)
from training.forms import RatingForm
from training.models import Lesson, LessonKind, QuizAttempt
from training.rendering import markdown_to_html, video_embed_parse
from training.services import (
    course_rate,
    lesson_complete,
    lesson_view_record,
    quiz_submit,
    scorm_attempt_open,
    scorm_initial_cmi,
)

# Courses per catalog page: a screenful of cards on a laptop.
CATALOG_PAGE_SIZE = 12


@login_required
@require_GET
def my_learning(request: AuthenticatedRequest) -> HttpResponse:
    # Queries: session, user, assignments, progress, completions, catalog courses, program
    # courses, lessons for resume links.
    learning = selectors.my_learning(user=request.user)
    return render(
        request,
        "training/my_learning.html",
        {"learning": learning, "can_edit": may_edit_content(request.user)},
    )


@login_required
@require_GET
def catalog(request: AuthenticatedRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    tag = request.GET.get("tag", "")[:40]
    # Queries: session, user, courses (with lesson counts and ratings), progress, completions.
    found = selectors.catalog(user=request.user, query=query, tag=tag)
    page = Paginator(found.cards, CATALOG_PAGE_SIZE).get_page(request.GET.get("page"))
    filters = urlencode({k: v for k, v in (("q", query), ("tag", tag)) if v})
    context = {
        "cards": page.object_list,
        "page": page,
        "filters": filters,
        "tags": found.tags,
        "query": query,
        "tag": tag,
    }
    if request.headers.get("HX-Request"):
        return render(request, "training/_catalog_results.html", context)
    return render(request, "training/catalog.html", context)


@login_required
@require_GET
def course_detail(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    course = course_get_for_learner(user=request.user, slug=slug)
    outline = selectors.course_outline(user=request.user, course=course)
    rating_avg, rating_count = selectors.course_rating_summary(course=course)
    return render(
        request,
        "training/course_detail.html",
        {
            "course": course,
            "outline": outline,
            "rating_avg": rating_avg,
            "rating_count": rating_count,
            "rating_form": _rating_form(outline.rating),
        },
    )


def _rating_form(rating: Any) -> RatingForm:
    if rating is None:
        return RatingForm()
    return RatingForm(initial={"stars": rating.stars, "comment": rating.comment})


@login_required
@require_GET
def course_completed(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    course = course_get_for_learner(user=request.user, slug=slug)
    outline = selectors.course_outline(user=request.user, course=course)
    if outline.completion is None:
        return redirect("training:course_detail", slug=course.slug)
    next_course = None
    for program in outline.programs:
        program_page = selectors.program_outline(user=request.user, program=program)
        next_course = next((c for c in program_page.courses if c.completion is None), None)
        if next_course:
            break
    return render(
        request,
        "training/course_completed.html",
        {
            "course": course,
            "outline": outline,
            "next_course": next_course,
            "rating_form": _rating_form(outline.rating),
        },
    )


@login_required
@require_POST
def course_rating(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    course = course_get_for_learner(user=request.user, slug=slug)
    form = RatingForm(request.POST)
    template = "training/_rating.html"
    status = 200
    if form.is_valid():
        try:
            rating = course_rate(
                user=request.user,
                course=course,
                stars=form.cleaned_data["stars"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
            status = 400
        else:
            if not request.headers.get("HX-Request"):
                messages.success(request, _("Thank you for rating this course."))
                return redirect("training:course_detail", slug=course.slug)
            return render(request, template, {"course": course, "rating": rating, "saved": True})
    else:
        status = 400
    if not request.headers.get("HX-Request"):
        messages.error(request, _("Choose 1 to 5 stars."))
        return redirect("training:course_detail", slug=course.slug)
    return render(request, template, {"course": course, "rating_form": form}, status=status)


def _lesson_context(page: selectors.LessonPage) -> dict[str, Any]:
    lesson = page.lesson
    context: dict[str, Any] = {
        "page": page,
        "course": page.course,
        "lesson": lesson,
        "body_html": markdown_to_html(lesson.body),
    }
    if lesson.kind == LessonKind.STORY:
        context["currency"] = Organization.current().home_currency
        context["happened_html"] = markdown_to_html(lesson.story_what_happened)
        context["learned_html"] = markdown_to_html(lesson.story_what_we_learned)
    if lesson.kind == LessonKind.VIDEO:
        context["video"] = video_embed_parse(lesson.video_url)
    return context


@login_required
@require_GET
def lesson_detail(request: AuthenticatedRequest, slug: str, lesson: str) -> HttpResponse:
    course = course_get_for_learner(user=request.user, slug=slug)
    found = lesson_get_for_learner(user=request.user, course=course, slug=lesson)
    lesson_view_record(user=request.user, lesson=found)
    page = selectors.lesson_page(user=request.user, course=course, lesson=found)
    context = _lesson_context(page)
    if found.kind == LessonKind.QUIZ:
        context.update(_quiz_review(page, number=request.GET.get("attempt")))
    if found.kind == LessonKind.SCORM:
        context["scorm"] = _scorm_player(request.user, found)
    return render(request, "training/lesson_detail.html", context)


def _scorm_player(user: User, lesson: Lesson) -> dict[str, Any]:
    """What static/js/scorm_player.js needs: the version, where to load and commit, and the
    data the SCO starts with (resuming the open attempt)."""
    package = lesson.scorm_package
    assert package is not None  # a SCORM lesson has one (database check)
    attempt = scorm_attempt_open(user=user, lesson=lesson)
    file, _q, query = lesson.scorm_launch.partition("?")
    launch = reverse("training:scorm_file", kwargs={"key": package.key, "path": file})
    return {
        "version": package.version,
        "launchUrl": f"{launch}?{query}" if query else launch,
        "commitUrl": reverse("training:scorm_commit", kwargs={"token": attempt.commit_token}),
        "cmi": scorm_initial_cmi(attempt=attempt, version=package.version),
        "initTimeoutMs": 20_000,
    }


@login_required
@require_POST
def lesson_done(request: AuthenticatedRequest, slug: str, lesson: str) -> HttpResponse:
    course = course_get_for_learner(user=request.user, slug=slug)
    found = lesson_get_for_learner(user=request.user, course=course, slug=lesson)
    try:
        completion = lesson_complete(user=request.user, lesson=found)
    except ValidationError:
        return redirect("training:lesson_detail", slug=course.slug, lesson=found.slug)
    if completion is not None:
        return redirect("training:course_completed", slug=course.slug)
    page = selectors.lesson_page(user=request.user, course=course, lesson=found)
    target = page.next or _first_open(page)
    if target is None:
        return redirect("training:course_detail", slug=course.slug)
    return redirect("training:lesson_detail", slug=course.slug, lesson=target.slug)


def _first_open(page: selectors.LessonPage) -> selectors.LessonStub | None:
    return next((i.lesson for i in page.outline if not i.is_done), None)


def _quiz_answers(post: QueryDict) -> dict[str, list[str]]:
    """Form fields are named q-<question id>. Any other field (but the CSRF token) is refused
    by quiz_submit as a question that is not in this quiz."""
    answers: dict[str, list[str]] = {}
    for key in post:
        if key == "csrfmiddlewaretoken":
            continue
        question = key[2:] if key.startswith("q-") else key
        answers[question] = post.getlist(key)
    return answers


@login_required
@require_POST
def quiz_attempt(request: AuthenticatedRequest, slug: str, lesson: str) -> HttpResponse:
    course = course_get_for_learner(user=request.user, slug=slug)
    found = lesson_get_for_learner(user=request.user, course=course, slug=lesson)
    try:
        outcome = quiz_submit(user=request.user, lesson=found, answers=_quiz_answers(request.POST))
    except ValidationError as exc:
        page = selectors.lesson_page(user=request.user, course=course, lesson=found)
        context = _lesson_context(page)
        context.update(_quiz_review(page, number=None))
        context["quiz_errors"] = exc.messages
        return render(request, "training/lesson_detail.html", context, status=400)
    if outcome.completion is not None:
        return redirect("training:course_completed", slug=course.slug)
    url = f"{request.path.rsplit('/quiz/', 1)[0]}/?attempt={outcome.attempt.number}#result"
    return redirect(url)


def _quiz_review(page: selectors.LessonPage, *, number: str | None) -> dict[str, Any]:
    """The attempt to show: the one asked for (?attempt=N), else the latest."""
    attempt: QuizAttempt | None = page.last_attempt
    if number is not None:
        attempt = next((a for a in page.attempts if str(a.number) == number), attempt)
    if attempt is None:
        return {"review": None}
    return {"review": selectors.quiz_review(page=page, attempt=attempt)}


@login_required
@require_GET
def program_detail(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    program = program_get_for_learner(user=request.user, slug=slug)
    outline = selectors.program_outline(user=request.user, program=program)
    return render(request, "training/program_detail.html", {"program": program, "outline": outline})


@login_required
@require_GET
def certificate(request: AuthenticatedRequest, code: str) -> HttpResponse:
    completion = completion_get_for_viewer(user=request.user, code=code)
    return render(
        request,
        "training/certificate.html",
        {
            "completion": completion,
            "verify_url": request.build_absolute_uri(
                reverse("training:certificate_verify", args=[completion.certificate_code])
            ),
        },
    )


@require_GET
def certificate_verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: anyone with the code sees who completed which course when, and nothing else."""
    completion = completion_get_public(code=code)
    return render(
        request,
        "training/certificate_verify.html",
        {
            "name": completion.user.full_name,
            "course_title": completion.course.title,
            "completed_on": completion.completed_at.date(),
        },
    )
