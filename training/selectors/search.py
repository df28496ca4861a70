"""Search over what a learner reads: courses, programs, lessons and win/loss stories.

Full text through core.search (PostgreSQL text search or SQLite FTS5); what each person may
open comes from training.access, so a search never shows a draft or a course a link would 404.
One query per group, whatever the number of matches.
"""

from dataclasses import dataclass

from accounts.access import Actor, Principal
from core.search import FullTextIndex, SearchTerms, full_text_filter
from training.access import courses_visible, lessons_visible, programs_visible
from training.models import Course, Lesson, LessonKind, Program

COURSE_INDEX = FullTextIndex("training_course", ("title",), ("summary",))
PROGRAM_INDEX = FullTextIndex("training_program", ("title",), ("summary",))
LESSON_INDEX = FullTextIndex(
    "training_lesson",
    ("title",),
    ("body", "story_what_happened", "story_what_we_learned", "story_industry"),
)
SEARCH_INDEXES = (COURSE_INDEX, PROGRAM_INDEX, LESSON_INDEX)


@dataclass
class TrainingResults:
    courses: list[Course]
    programs: list[Program]
    lessons: list[Lesson]
    stories: list[Lesson]


def training_search(
    *, user: Actor | Principal, terms: SearchTerms, limit: int = 10
) -> TrainingResults:
    """The best `limit` matches of each kind that `user` may open, best first; each row has
    `search_rank` and `search_snippet` (core.search.highlighted renders it). Four queries."""
    if terms.is_empty:
        return TrainingResults(courses=[], programs=[], lessons=[], stories=[])
    courses = full_text_filter(courses_visible(user=user), index=COURSE_INDEX, terms=terms)
    programs = full_text_filter(programs_visible(user=user), index=PROGRAM_INDEX, terms=terms)
    lessons = full_text_filter(
        lessons_visible(user=user).select_related("course"), index=LESSON_INDEX, terms=terms
    )
    return TrainingResults(
        courses=list(courses[:limit]),
        programs=list(programs[:limit]),
        lessons=list(lessons.exclude(kind=LessonKind.STORY)[:limit]),
        stories=list(lessons.filter(kind=LessonKind.STORY)[:limit]),
    )
