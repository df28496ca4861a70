"""Fetch training objects for a caller, or answer 404 for missing and forbidden alike.

Learners see published courses and programs, plus anything assigned to them. Editors (admins and
managers) see and change everything, drafts included. Certificates belong to their owner and to
the people who may see the owner (accounts.access).
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.access import Principal, coachable_users, managed_users, visible_users
from accounts.models import ApiKey, Role, Team, User
from training.models import (
    Assignment,
    Completion,
    Course,
    Lesson,
    Program,
    PublishStatus,
    Question,
    RetakeRequest,
)


def can_edit_content(user: User) -> bool:
    return user.is_authenticated and (user.is_admin_role or user.role == Role.MANAGER)


def can_assign(user: User) -> bool:
    return user.is_authenticated and (user.is_admin_role or user.role == Role.MANAGER)


def can_see_team_progress(user: User) -> bool:
    return user.is_authenticated and (
        user.is_admin_role or user.role in (Role.MANAGER, Role.LEADER)
    )


def _assigned_course_q(user: User) -> Q:
    return Q(assignments__assignee=user) | Q(programs__assignments__assignee=user)


def course_get_for_learner(*, user: User, slug: str) -> Course:
    """A published course, or one assigned to `user` (directly or in a program), or any course
    for an editor previewing it."""
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        raise Http404("No such course")
    if course.status == PublishStatus.PUBLISHED or can_edit_content(user):
        return course
    if Course.objects.filter(_assigned_course_q(user), pk=course.pk).exists():
        return course
    raise Http404("No such course")


def lesson_get_for_learner(*, user: User, course: Course, slug: str) -> Lesson:
    """A published lesson of a course the caller may open (drafts for editors)."""
    lessons = Lesson.objects.filter(course=course, slug=slug).select_related("course")
    if not can_edit_content(user):
        lessons = lessons.published()
    lesson = lessons.first()
    if lesson is None:
        raise Http404("No such lesson")
    return lesson


def program_get_for_learner(*, user: User, slug: str) -> Program:
    program = Program.objects.filter(slug=slug).first()
    if program is None:
        raise Http404("No such program")
    if program.status == PublishStatus.PUBLISHED or can_edit_content(user):
        return program
    if Assignment.objects.filter(program=program, assignee=user).exists():
        return program
    raise Http404("No such program")


def completion_get_for_viewer(*, user: User, code: str) -> Completion:
    """A certificate, for its owner and for whoever may see the owner."""
    completion = (
        Completion.objects.filter(certificate_code=code, user__in=visible_users(user).values("pk"))
        .select_related("user", "course")
        .first()
    )
    if completion is None:
        raise Http404("No such certificate")
    return completion


def completion_get_public(*, code: str) -> Completion:
    """A certificate by its verification code, for anyone holding the code."""
    completion = (
        Completion.objects.filter(certificate_code=code)
        .select_related("user", "course")
        .only("completed_at", "user__full_name", "course__title", "certificate_code")
        .first()
    )
    if completion is None:
        raise Http404("No such certificate")
    return completion


# Editors


def _require_editor(user: User) -> None:
    if not can_edit_content(user):
        raise Http404("Not found")


def course_get_for_editor(*, user: User, slug: str) -> Course:
    _require_editor(user)
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        raise Http404("No such course")
    return course


def lesson_get_for_editor(*, user: User, lesson_id: int) -> Lesson:
    _require_editor(user)
    lesson = Lesson.objects.filter(pk=lesson_id).select_related("course").first()
    if lesson is None:
        raise Http404("No such lesson")
    return lesson


def question_get_for_editor(*, user: User, question_id: int) -> Question:
    _require_editor(user)
    question = (
        Question.objects.filter(pk=question_id).select_related("lesson", "lesson__course").first()
    )
    if question is None:
        raise Http404("No such question")
    return question


def program_get_for_editor(*, user: User, slug: str) -> Program:
    _require_editor(user)
    program = Program.objects.filter(slug=slug).first()
    if program is None:
        raise Http404("No such program")
    return program


# Assigning


def assignable_users(user: User) -> list[User]:
    """People `user` may assign training to (their team and reports; admins: everyone)."""
    if not can_assign(user):
        return []
    return list(
        managed_users(user).exclude(pk=user.pk).select_related("team").order_by("full_name", "pk")
    )


def assignable_teams(user: User) -> list[Team]:
    if user.is_admin_role:
        return list(Team.objects.order_by("name"))
    if user.role == Role.MANAGER:
        return list(Team.objects.filter(manager=user).order_by("name"))
    return []


def assignment_get_for_manager(*, user: User, assignment_id: int) -> Assignment:
    if not can_assign(user):
        raise Http404("Not found")
    assignment = (
        Assignment.objects.filter(pk=assignment_id, assignee__in=managed_users(user).values("pk"))
        .select_related("assignee", "program", "course")
        .first()
    )
    if assignment is None:
        raise Http404("No such assignment")
    return assignment


# The API: a principal is a person or an integration's key


def course_get_for_principal(*, principal: Principal, slug: str) -> Course:
    """Keys that read training see every course; people see what the learner pages show."""
    if isinstance(principal, ApiKey):
        course = (
            Course.objects.filter(slug=slug).first()
            if principal.has_scope("training:read")
            else None
        )
        if course is None:
            raise Http404("No such course")
        return course
    return course_get_for_learner(user=principal, slug=slug)


def program_get_for_principal(*, principal: Principal, slug: str) -> Program:
    if isinstance(principal, ApiKey):
        program = (
            Program.objects.filter(slug=slug).first()
            if principal.has_scope("training:read")
            else None
        )
        if program is None:
            raise Http404("No such program")
        return program
    return program_get_for_learner(user=principal, slug=slug)


def principal_sees_drafts(principal: Principal) -> bool:
    if isinstance(principal, ApiKey):
        return principal.has_scope("training:read")
    return can_edit_content(principal)


def assignable_users_for_principal(principal: Principal) -> QuerySet[User]:
    """Keys that write training may assign anyone active; people, their own people."""
    if isinstance(principal, ApiKey):
        if principal.has_scope("training:write"):
            return User.objects.filter(is_active=True)
        return User.objects.none()
    if not can_assign(principal):
        return User.objects.none()
    return managed_users(principal).exclude(pk=principal.pk)


def assignable_teams_for_principal(principal: Principal) -> list[Team]:
    if isinstance(principal, ApiKey):
        return list(Team.objects.all()) if principal.has_scope("training:write") else []
    return assignable_teams(principal)


def content_editor(principal: Principal) -> bool:
    """Who sees drafts and costs: admins, managers, leaders (read only), and keys that read
    training."""
    if isinstance(principal, ApiKey):
        return principal.has_scope("training:read")
    return principal.is_authenticated and (
        principal.is_admin_role or principal.role in (Role.MANAGER, Role.LEADER)
    )


def can_grant_retakes(user: User) -> bool:
    """Coaches, managers and admins answer retake requests from their own people."""
    return user.is_authenticated and (user.is_admin_role or user.role in (Role.COACH, Role.MANAGER))


def retake_request_get_for_granter(*, user: User, request_id: int) -> RetakeRequest:
    """An open retake request from one of `user`'s people (coachable_users), or 404."""
    if not can_grant_retakes(user):
        raise Http404("No such request")
    found = (
        RetakeRequest.objects.filter(
            pk=request_id,
            resolved_at__isnull=True,
            user__in=coachable_users(user).values("pk"),
        )
        .select_related("user", "lesson", "lesson__course")
        .first()
    )
    if found is None:
        raise Http404("No such request")
    return found


def quiz_get_for_retake(*, lesson_id: int) -> Lesson:
    """A quiz to grant a retake on; who gets it is checked by the service (coachable_users)."""
    found = Lesson.objects.filter(pk=lesson_id, kind="quiz").select_related("course").first()
    if found is None:
        raise Http404("No such quiz")
    return found
