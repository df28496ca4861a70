"""Fetch training objects for a caller, or answer 404 for missing and forbidden alike.

Learners see published courses and programs, plus anything assigned to them. Whoever may see
drafts (accounts.access: editors and keys that read training) sees drafts too, in the lists
(training.selectors) and here alike; editors change everything. Certificates belong to their
owner and to the people who may see the owner.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.access import (
    Actor,
    Principal,
    assignable_teams,
    assignable_users,
    coachable_users,
    managed_users,
    may_assign,
    may_edit_content,
    may_edit_costs,
    may_grant_retakes,
    may_see_costs,
    may_see_drafts,
    may_see_team_progress,
    principal_of,
    require,
    visible_user_ids,
)
from accounts.models import Team, User
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

__all__ = [
    "assignable_teams",
    "assignable_users",
    "may_assign",
    "may_edit_content",
    "may_edit_costs",
    "may_grant_retakes",
    "may_see_costs",
    "may_see_drafts",
    "may_see_team_progress",
]


def _assigned_course_q(p: Principal) -> Q:
    return Q(assignments__assignee=p.user_id) | Q(programs__assignments__assignee=p.user_id)


def courses_visible(*, user: Actor | Principal) -> QuerySet[Course]:
    """Every course `user` may open: the set `course_get_for_learner` answers for, as a query
    (search narrows it further)."""
    if may_see_drafts(user):
        return Course.objects.all()
    p = principal_of(user)
    published = Q(status=PublishStatus.PUBLISHED)
    if not p.is_person:
        return Course.objects.filter(published)
    return Course.objects.filter(pk__in=Course.objects.filter(published | _assigned_course_q(p)))


def lessons_visible(*, user: Actor | Principal) -> QuerySet[Lesson]:
    """Lessons `user` may open: published ones (all, for whoever sees drafts) of visible courses."""
    lessons = Lesson.objects.filter(course__in=courses_visible(user=user))
    return lessons if may_see_drafts(user) else lessons.published()


def programs_visible(*, user: Actor | Principal) -> QuerySet[Program]:
    """Programs `user` may open: the set `program_get_for_learner` answers for."""
    if may_see_drafts(user):
        return Program.objects.all()
    p = principal_of(user)
    published = Q(status=PublishStatus.PUBLISHED)
    if not p.is_person:
        return Program.objects.filter(published)
    assigned = Assignment.objects.filter(assignee=p.user_id).values("program_id")
    return Program.objects.filter(published | Q(pk__in=assigned))


def course_get_for_learner(*, user: Actor | Principal, slug: str) -> Course:
    """A published course, or one assigned to `user` (directly or in a program), or any course
    for whoever sees drafts (the same rule as `course_list`)."""
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        raise Http404("No such course")
    if course.status == PublishStatus.PUBLISHED or may_see_drafts(user):
        return course
    p = principal_of(user)
    if p.is_person and Course.objects.filter(_assigned_course_q(p), pk=course.pk).exists():
        return course
    raise Http404("No such course")


def lesson_get_for_learner(*, user: Actor | Principal, course: Course, slug: str) -> Lesson:
    """A published lesson of a course the caller may open (drafts for whoever sees drafts)."""
    lessons = Lesson.objects.filter(course=course, slug=slug).select_related("course")
    if not may_see_drafts(user):
        lessons = lessons.published()
    lesson = lessons.first()
    if lesson is None:
        raise Http404("No such lesson")
    return lesson


def program_get_for_learner(*, user: Actor | Principal, slug: str) -> Program:
    program = Program.objects.filter(slug=slug).first()
    if program is None:
        raise Http404("No such program")
    if program.status == PublishStatus.PUBLISHED or may_see_drafts(user):
        return program
    p = principal_of(user)
    if p.is_person and Assignment.objects.filter(program=program, assignee=p.user_id).exists():
        return program
    raise Http404("No such program")


def completion_get_for_viewer(*, user: Actor | Principal, code: str) -> Completion:
    """A certificate, for its owner and for whoever may see the owner."""
    completion = (
        Completion.objects.filter(certificate_code=code, user__in=visible_user_ids(user))
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


def _require_editor(user: Actor | Principal) -> None:
    require(may_edit_content(user))


def course_get_for_editor(*, user: Actor | Principal, slug: str) -> Course:
    _require_editor(user)
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        raise Http404("No such course")
    return course


def lesson_get_for_editor(*, user: Actor | Principal, lesson_id: int) -> Lesson:
    _require_editor(user)
    lesson = Lesson.objects.filter(pk=lesson_id).select_related("course").first()
    if lesson is None:
        raise Http404("No such lesson")
    return lesson


def question_get_for_editor(*, user: Actor | Principal, question_id: int) -> Question:
    _require_editor(user)
    question = (
        Question.objects.filter(pk=question_id).select_related("lesson", "lesson__course").first()
    )
    if question is None:
        raise Http404("No such question")
    return question


def program_get_for_editor(*, user: Actor | Principal, slug: str) -> Program:
    _require_editor(user)
    program = Program.objects.filter(slug=slug).first()
    if program is None:
        raise Http404("No such program")
    return program


# Assigning


def assignment_get_for_manager(*, user: Actor | Principal, assignment_id: int) -> Assignment:
    require(may_assign(user))
    assignment = (
        Assignment.objects.filter(pk=assignment_id, assignee__in=managed_users(user).values("pk"))
        .select_related("assignee", "program", "course")
        .first()
    )
    if assignment is None:
        raise Http404("No such assignment")
    return assignment


# The API: a person or an integration's key


def course_get_for_principal(*, principal: Actor | Principal, slug: str) -> Course:
    """Keys that read training see every course; people see what the learner pages show."""
    p = principal_of(principal)
    if p.is_key and not p.has_scope("training:read"):
        raise Http404("No such course")
    return course_get_for_learner(user=p, slug=slug)


def program_get_for_principal(*, principal: Actor | Principal, slug: str) -> Program:
    p = principal_of(principal)
    if p.is_key and not p.has_scope("training:read"):
        raise Http404("No such program")
    return program_get_for_learner(user=p, slug=slug)


def assignable_teams_named(*, principal: Actor | Principal, name: str) -> Team | None:
    return assignable_teams(principal).filter(name=name).first()


def assignees_by_email(*, principal: Actor | Principal, emails: list[str]) -> QuerySet[User]:
    return assignable_users(principal).filter(email__in=emails)


def retake_request_get_for_granter(*, user: Actor | Principal, request_id: int) -> RetakeRequest:
    """An open retake request from one of `user`'s people (coachable_users), or 404."""
    require(may_grant_retakes(user), message="No such request")
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
