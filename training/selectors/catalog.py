"""The course catalog as cards with the learner's progress."""

from dataclasses import dataclass

from django.db.models import Avg, Count, Sum
from django.utils.translation import gettext, ngettext

from accounts.models import User
from core.formats import rating_text
from training.models import Course, CourseRating, Lesson, PublishStatus
from training.selectors.progress import (
    CompletionFact,
    CourseInfo,
    LearnerFacts,
    Status,
    learner_facts,
    percent_of,
)


@dataclass(frozen=True)
class CourseCard:
    course: Course | CourseInfo
    lesson_count: int
    done_count: int
    completion: CompletionFact | None
    rating_avg: float | None = None
    rating_count: int = 0
    # The sum of the published lessons' minutes (what the course page says); None: not loaded.
    lesson_minutes: int | None = None

    @property
    def minutes(self) -> int:
        if self.lesson_minutes is not None:
            return self.lesson_minutes
        return self.course.estimated_minutes

    @property
    def percent(self) -> int:
        return 100 if self.completion else percent_of(self.done_count, self.lesson_count)

    @property
    def status(self) -> str:
        if self.completion:
            return Status.DONE
        return Status.IN_PROGRESS if self.done_count else Status.NOT_STARTED

    @property
    def facts(self) -> list[str]:
        """ "6 lessons", "45 min": built here once, because a catalog renders many cards and
        template tags per card are what a catalog page spends its time on."""
        return [
            ngettext("%(n)d lesson", "%(n)d lessons", self.lesson_count) % {"n": self.lesson_count},
            gettext("%(n)d min") % {"n": self.minutes},
        ]

    @property
    def rating_display(self) -> str:
        return rating_text(self.rating_avg)


def _catalog_courses() -> list[tuple[CourseInfo, tuple[int, int], float | None, int]]:
    """Published courses with (lesson count, mean rating, ratings). Three plain queries (the
    courses, lessons per course, ratings per course): much cheaper than correlated subqueries
    once a catalog has a few dozen courses."""
    published = PublishStatus.PUBLISHED
    courses = [
        CourseInfo(*row)
        for row in Course.objects.filter(status=published)
        .order_by("title", "pk")
        .values_list("pk", "slug", "title", "summary", "tags", "estimated_minutes")
    ]
    lessons = {
        course_id: (n, minutes or 0)
        for course_id, n, minutes in Lesson.objects.filter(
            status=published, course__status=published
        )
        .order_by()
        .values("course_id")
        .annotate(n=Count("pk"), minutes=Sum("minutes"))
        .values_list("course_id", "n", "minutes")
    }
    ratings = {
        course_id: (avg, n)
        for course_id, avg, n in CourseRating.objects.filter(course__status=published)
        .order_by()
        .values("course_id")
        .annotate(avg=Avg("stars"), n=Count("pk"))
        .values_list("course_id", "avg", "n")
    }
    return [(c, lessons.get(c.pk, (0, 0)), *ratings.get(c.pk, (None, 0))) for c in courses]


@dataclass
class Catalog:
    cards: list[CourseCard]  # the ones matching the search
    tags: list[str]  # every tag of a published course, for the filter


def catalog(
    *, user: User, query: str = "", tag: str = "", facts: LearnerFacts | None = None
) -> Catalog:
    """Published courses as cards with this user's progress. Queries: courses, lesson counts,
    ratings, progress rows, completions. Filtering happens here, in Python: tags
    are a JSON list, and a catalog has hundreds of courses, not millions."""
    courses = _catalog_courses()
    if facts is None:
        facts = learner_facts(user_ids=[user.pk])
    cards = []
    tags: dict[str, str] = {}
    needle = query.strip().casefold()
    wanted_tag = tag.strip().casefold()
    for course, (lesson_count, lesson_minutes), rating_avg, rating_count in courses:
        folded = {t.casefold(): t for t in course.tags}
        for folded_tag, spelling in folded.items():
            tags.setdefault(folded_tag, spelling)
        if needle and needle not in f"{course.title} {course.summary}".casefold():
            continue
        if wanted_tag and wanted_tag not in folded:
            continue
        key = (user.pk, course.pk)
        cards.append(
            CourseCard(
                course=course,
                lesson_count=lesson_count,
                lesson_minutes=lesson_minutes,
                done_count=facts.done_count(*key),
                completion=facts.completed.get(key),
                rating_avg=rating_avg,
                rating_count=rating_count,
            )
        )
    return Catalog(cards=cards, tags=sorted(tags.values(), key=str.casefold))


def catalog_cards(*, user: User) -> list[CourseCard]:
    return catalog(user=user).cards
