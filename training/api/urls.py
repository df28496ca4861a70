from django.urls import path

from training.api import views

urlpatterns = [
    path("courses/", views.CourseListApi.as_view(), name="course-list"),
    path("courses/<slug:slug>/", views.CourseDetailApi.as_view(), name="course-detail"),
    path("courses/<slug:slug>/lessons/", views.LessonListApi.as_view(), name="lesson-list"),
    path(
        "courses/<slug:slug>/lessons/<slug:lesson>/attempts/",
        views.QuizAttemptApi.as_view(),
        name="quiz-attempt",
    ),
    path("programs/", views.ProgramListApi.as_view(), name="program-list"),
    path("programs/<slug:slug>/", views.ProgramDetailApi.as_view(), name="program-detail"),
    path("assignments/", views.AssignmentListApi.as_view(), name="assignment-list"),
    path("me/assignments/", views.MyAssignmentsApi.as_view(), name="my-assignments"),
    path("me/progress/", views.MyProgressApi.as_view(), name="my-progress"),
    path("completions/bulk", views.CompletionBulkApi.as_view(), name="completion-bulk"),
    path("xapi/statements", views.XapiStatementsApi.as_view(), name="xapi-statements"),
]
