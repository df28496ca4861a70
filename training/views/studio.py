"""Authoring for admins and managers: courses, lessons, quiz questions, programs."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from core.forms import form_add_service_errors
from training.access import (
    course_get_for_editor,
    lesson_get_for_editor,
    may_edit_content,
    may_edit_costs,
    program_get_for_editor,
    question_get_for_editor,
)
from training.forms import (
    CourseForm,
    ProgramCourseAddForm,
    ProgramForm,
    QuestionForm,
    ScormUploadForm,
    lesson_form_class,
)
from training.models import Course, LessonKind, Program
from training.rendering import markdown_to_html
from training.services import (
    course_create,
    course_update,
    lesson_create,
    lesson_delete,
    lesson_move,
    lesson_update,
    program_course_add,
    program_course_move,
    program_course_remove,
    program_create,
    program_update,
    question_create,
    question_delete,
    question_move,
    question_update,
    scorm_package_import,
)


def _require_editor(request: AuthenticatedRequest) -> None:
    if not may_edit_content(request.user):
        raise Http404("Not found")


def _saved(request: AuthenticatedRequest) -> None:
    messages.success(request, _("Saved."))


@login_required
def studio_home(request: AuthenticatedRequest) -> HttpResponse:
    _require_editor(request)
    # Queries: session, user, courses with lesson counts, programs with course counts.
    courses = Course.objects.annotate(lesson_count=Count("lessons")).order_by("title")
    programs = Program.objects.annotate(course_count=Count("program_courses")).order_by("title")
    return render(request, "training/studio/home.html", {"courses": courses, "programs": programs})


@login_required
@require_http_methods(["GET", "POST"])
def course_new(request: AuthenticatedRequest) -> HttpResponse:
    _require_editor(request)
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = course_create(created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            _saved(request)
            return redirect("training:studio_course", slug=course.slug)
    return _form_page(request, form, _("New course"))


def _form_page(
    request: AuthenticatedRequest, form: Any, heading: str, **extra: Any
) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "training/studio/form.html",
        {"form": form, "heading": heading, **extra},
        status=status,
    )


def _course_page(
    request: AuthenticatedRequest,
    course: Course,
    *,
    form: CourseForm,
    scorm_form: ScormUploadForm,
    status: int = 200,
) -> HttpResponse:
    course.refresh_from_db()
    lessons = list(course.lessons.annotate(question_count=Count("questions")).order_by("position"))
    # SCORM lessons come from importing a package, practice lessons with their scenario.
    made_elsewhere = (LessonKind.SCORM, LessonKind.PRACTICE)
    kinds = [(value, label) for value, label in LessonKind.choices if value not in made_elsewhere]
    context = {
        "course": course,
        "form": form,
        "scorm_form": scorm_form,
        "lessons": lessons,
        "kinds": kinds,
    }
    return render(request, "training/studio/course.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def course_edit(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    course = course_get_for_editor(user=request.user, slug=slug)
    form = CourseForm(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid():
        try:
            course_update(course=course, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            _saved(request)
            return redirect("training:studio_course", slug=course.slug)
    status = 400 if request.method == "POST" else 200
    return _course_page(request, course, form=form, scorm_form=ScormUploadForm(), status=status)


@login_required
@require_POST
def scorm_import_view(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    course = course_get_for_editor(user=request.user, slug=slug)
    scorm_form = ScormUploadForm(request.POST, request.FILES)
    if scorm_form.is_valid():
        upload = scorm_form.cleaned_data["package"]
        try:
            result = scorm_package_import(
                course=course, upload=upload, size=upload.size, actor=request.user
            )
        except ValidationError as exc:
            form_add_service_errors(scorm_form, exc)
        else:
            messages.success(
                request,
                ngettext(
                    "Imported %(title)s: %(n)d lesson.",
                    "Imported %(title)s: %(n)d lessons.",
                    len(result.lessons),
                )
                % {"title": result.package.title, "n": len(result.lessons)},
            )
            return redirect("training:studio_course", slug=course.slug)
    form = CourseForm(instance=course)
    return _course_page(request, course, form=form, scorm_form=scorm_form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def lesson_new(request: AuthenticatedRequest, slug: str, kind: str) -> HttpResponse:
    course = course_get_for_editor(user=request.user, slug=slug)
    if kind not in LessonKind.values or kind in (LessonKind.SCORM, LessonKind.PRACTICE):
        # SCORM lessons come from importing a package, practice lessons with their scenario.
        raise Http404("No such kind of lesson")
    form = lesson_form_class(kind)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lesson = lesson_create(
                course=course, kind=kind, created_by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            _saved(request)
            if kind == LessonKind.QUIZ:
                return redirect("training:studio_lesson", pk=lesson.pk)
            return redirect("training:studio_course", slug=course.slug)
    heading = _("New %(kind)s lesson in “%(course)s”") % {
        "kind": LessonKind(kind).label.lower(),
        "course": course.title,
    }
    return _form_page(request, form, heading, course=course, markdown=True)


@login_required
@require_http_methods(["GET", "POST"])
def lesson_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lesson = lesson_get_for_editor(user=request.user, lesson_id=pk)
    form = lesson_form_class(lesson.kind)(request.POST or None, instance=lesson)
    if request.method == "POST" and form.is_valid():
        try:
            lesson_update(lesson=lesson, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            _saved(request)
            return redirect("training:studio_lesson", pk=lesson.pk)
    questions = list(lesson.questions.prefetch_related("choices")) if lesson.is_quiz else []
    return render(
        request,
        "training/studio/lesson.html",
        {"lesson": lesson, "course": lesson.course, "form": form, "questions": questions},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def lesson_move_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lesson = lesson_get_for_editor(user=request.user, lesson_id=pk)
    try:
        lesson_move(lesson=lesson, direction=request.POST.get("direction", ""))
    except ValidationError:
        return HttpResponse(status=400)
    return redirect("training:studio_course", slug=lesson.course.slug)


@login_required
@require_POST
def lesson_delete_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lesson = lesson_get_for_editor(user=request.user, lesson_id=pk)
    lesson_delete(lesson=lesson)
    messages.success(request, _("Deleted “%(title)s”.") % {"title": lesson.title})
    return redirect("training:studio_course", slug=lesson.course.slug)


@login_required
@require_http_methods(["GET", "POST"])
def question_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lesson = lesson_get_for_editor(user=request.user, lesson_id=pk)
    if not lesson.is_quiz:
        raise Http404("Not a quiz")
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            question_create(
                lesson=lesson,
                prompt=form.cleaned_data["prompt"],
                kind=form.cleaned_data["kind"],
                explanation=form.cleaned_data["explanation"],
                choices=form.choices(),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            _saved(request)
            return redirect("training:studio_lesson", pk=lesson.pk)
    return _question_page(request, form, lesson, _("New question"))


def _question_page(
    request: AuthenticatedRequest, form: QuestionForm, lesson: Any, heading: str
) -> HttpResponse:
    return render(
        request,
        "training/studio/question.html",
        {"form": form, "lesson": lesson, "course": lesson.course, "heading": heading},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    question = question_get_for_editor(user=request.user, question_id=pk)
    form = QuestionForm(request.POST or None, initial=QuestionForm.initial_for(question))
    if request.method == "POST" and form.is_valid():
        try:
            question_update(
                question=question,
                prompt=form.cleaned_data["prompt"],
                kind=form.cleaned_data["kind"],
                explanation=form.cleaned_data["explanation"],
                choices=form.choices(),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            _saved(request)
            return redirect("training:studio_lesson", pk=question.lesson_id)
    return _question_page(request, form, question.lesson, _("Edit question"))


@login_required
@require_POST
def question_move_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    question = question_get_for_editor(user=request.user, question_id=pk)
    try:
        question_move(question=question, direction=request.POST.get("direction", ""))
    except ValidationError:
        return HttpResponse(status=400)
    return redirect("training:studio_lesson", pk=question.lesson_id)


@login_required
@require_POST
def question_delete_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    question = question_get_for_editor(user=request.user, question_id=pk)
    question_delete(question=question)
    messages.success(request, _("Question deleted."))
    return redirect("training:studio_lesson", pk=question.lesson_id)


@login_required
@require_POST
def markdown_preview(request: AuthenticatedRequest) -> HttpResponse:
    """htmx: the sanitised HTML of the Markdown being edited."""
    _require_editor(request)
    # The editor posts its own field (named in "field"), so one endpoint previews them all.
    text = request.POST.get(request.POST.get("field", "text"), "")[:100_000]
    return render(request, "training/studio/_preview.html", {"html": markdown_to_html(text)})


@login_required
@require_http_methods(["GET", "POST"])
def program_new(request: AuthenticatedRequest) -> HttpResponse:
    _require_editor(request)
    form = ProgramForm(request.POST or None, may_edit_costs=may_edit_costs(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            program = program_create(**form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            _saved(request)
            return redirect("training:studio_program", slug=program.slug)
    return _form_page(request, form, _("New program"))


@login_required
@require_http_methods(["GET", "POST"])
def program_edit(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    program = program_get_for_editor(user=request.user, slug=slug)
    form = ProgramForm(
        request.POST or None, instance=program, may_edit_costs=may_edit_costs(request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            program_update(program=program, changed_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            _saved(request)
            return redirect("training:studio_program", slug=program.slug)
    program.refresh_from_db()
    links = list(program.program_courses.select_related("course").order_by("position"))
    in_program = {link.course_id for link in links}
    add_form = ProgramCourseAddForm(
        courses=[c for c in Course.objects.order_by("title") if c.pk not in in_program]
    )
    return render(
        request,
        "training/studio/program.html",
        {"program": program, "form": form, "links": links, "add_form": add_form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def program_courses_edit(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    """Add, move or remove one course of a program (action=add|up|down|remove)."""
    program = program_get_for_editor(user=request.user, slug=slug)
    course = Course.objects.filter(slug=request.POST.get("course", "")).first()
    action = request.POST.get("action", "")
    if course is None or action not in ("add", "up", "down", "remove"):
        return HttpResponse(status=400)
    if action == "add":
        program_course_add(program=program, course=course)
    elif action == "remove":
        program_course_remove(program=program, course=course)
    else:
        program_course_move(program=program, course=course, direction=action)
    return redirect("training:studio_program", slug=program.slug)
