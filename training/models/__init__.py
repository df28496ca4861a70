"""Training content (programs, courses, lessons, quizzes) and the learning facts around it.

A `Completion` is the fact other apps rely on: the ROI engine treats a user's program completion
(all its courses complete, at the date of the last one) as "trained at".

The models live by concern in this package (catalog, content, learning); every public name is
re-exported here, where Django, the migrations and the other apps find them.
"""

from training.models.catalog import (
    PLAN_FIELDS,
    Course,
    PrimaryMetric,
    Program,
    ProgramCourse,
    ProgramPlanChange,
    PublishStatus,
)
from training.models.content import (
    Choice,
    Lesson,
    LessonKind,
    LessonQuerySet,
    Question,
    QuestionKind,
    ScormPackage,
    ScormVersion,
    StoryOutcome,
)
from training.models.learning import (
    Assignment,
    Completion,
    CompletionSource,
    CourseRating,
    LessonProgress,
    QuizAttempt,
    RetakeGrant,
    RetakeRequest,
    ScormAttempt,
    new_certificate_code,
    new_commit_token,
)
from training.models.lti import LtiLaunch, LtiPlatform

__all__ = [
    "Assignment",
    "Choice",
    "Completion",
    "CompletionSource",
    "Course",
    "CourseRating",
    "Lesson",
    "LessonKind",
    "LessonProgress",
    "LessonQuerySet",
    "LtiLaunch",
    "LtiPlatform",
    "PLAN_FIELDS",
    "PrimaryMetric",
    "Program",
    "ProgramCourse",
    "ProgramPlanChange",
    "PublishStatus",
    "Question",
    "QuestionKind",
    "QuizAttempt",
    "RetakeGrant",
    "RetakeRequest",
    "ScormAttempt",
    "ScormPackage",
    "ScormVersion",
    "StoryOutcome",
    "new_certificate_code",
    "new_commit_token",
]
