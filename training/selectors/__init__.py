"""Reads for training pages, the API and other apps, split by concern. Each loads what it needs
in a fixed number of queries, whatever the number of courses, lessons, people or assignments.

progress: shared building blocks; assignments: the state engine; catalog; learner: view models of
the learner pages; team: managers' progress view; contracts: the API lists and other apps' reads.
"""

from training.selectors.assignments import (
    DUE_SOON_DAYS,
    AssignmentRow,
    AssignmentState,
    assignment_states,
)
from training.selectors.catalog import Catalog, CourseCard, catalog, catalog_cards
from training.selectors.contracts import (
    assignment_list,
    course_list,
    course_with_counts,
    program_completions,
    program_list,
    program_with_courses,
)
from training.selectors.learner import (
    MY_LEARNING_CATALOG_CARDS,
    CourseOutline,
    HomeSummary,
    LessonPage,
    MyLearning,
    OutlineItem,
    ProgramOutline,
    QuizReview,
    ReviewItem,
    course_outline,
    course_rating_summary,
    home_summary,
    lesson_page,
    my_learning,
    program_outline,
    quiz_questions,
    quiz_review,
)
from training.selectors.progress import (
    CompletionFact,
    CourseInfo,
    LearnerFacts,
    LessonStub,
    Status,
    courses_of_programs,
    courses_with_lesson_counts,
    learner_facts,
    lesson_count_by_course,
    lesson_stubs,
    percent_of,
    resume_lesson,
)
from training.selectors.retakes import (
    quiz_attempt_limit,
    retake_granters,
    retake_requests_open,
)
from training.selectors.team import TeamProgress, TeamRow, team_progress, team_progress_assignments

__all__ = [
    "quiz_attempt_limit",
    "retake_granters",
    "retake_requests_open",
    "AssignmentRow",
    "AssignmentState",
    "Catalog",
    "CompletionFact",
    "CourseCard",
    "CourseInfo",
    "CourseOutline",
    "DUE_SOON_DAYS",
    "HomeSummary",
    "LearnerFacts",
    "LessonPage",
    "LessonStub",
    "MY_LEARNING_CATALOG_CARDS",
    "MyLearning",
    "OutlineItem",
    "ProgramOutline",
    "QuizReview",
    "ReviewItem",
    "Status",
    "TeamProgress",
    "TeamRow",
    "assignment_list",
    "assignment_states",
    "catalog",
    "catalog_cards",
    "course_list",
    "course_outline",
    "course_rating_summary",
    "course_with_counts",
    "courses_of_programs",
    "courses_with_lesson_counts",
    "home_summary",
    "learner_facts",
    "lesson_count_by_course",
    "lesson_page",
    "lesson_stubs",
    "my_learning",
    "percent_of",
    "program_completions",
    "program_list",
    "program_outline",
    "program_with_courses",
    "quiz_questions",
    "quiz_review",
    "resume_lesson",
    "team_progress",
    "team_progress_assignments",
]
