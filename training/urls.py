from django.urls import path

from training.views import attempts, learning, retakes, scorm, studio, team

app_name = "training"

urlpatterns = [
    path("", learning.my_learning, name="my_learning"),
    path("catalog/", learning.catalog, name="catalog"),
    path("programs/<slug:slug>/", learning.program_detail, name="program_detail"),
    path("courses/<slug:slug>/", learning.course_detail, name="course_detail"),
    path("courses/<slug:slug>/completed/", learning.course_completed, name="course_completed"),
    path("courses/<slug:slug>/rating/", learning.course_rating, name="course_rating"),
    path("courses/<slug:slug>/<slug:lesson>/", learning.lesson_detail, name="lesson_detail"),
    path("courses/<slug:slug>/<slug:lesson>/done/", learning.lesson_done, name="lesson_done"),
    path("courses/<slug:slug>/<slug:lesson>/quiz/", learning.quiz_attempt, name="quiz_attempt"),
    path(
        "courses/<slug:slug>/<slug:lesson>/retake/",
        retakes.retake_request,
        name="retake_request",
    ),
    path("team/retakes/", retakes.retake_requests, name="retakes"),
    path("team/retakes/<int:pk>/grant/", retakes.retake_grant_view, name="retake_grant"),
    path("scorm/<uuid:key>/<path:path>", scorm.scorm_file, name="scorm_file"),
    path("scorm-commits/<str:token>/", scorm.scorm_commit_view, name="scorm_commit"),
    path("certificates/<str:code>/", learning.certificate, name="certificate"),
    path("verify/<str:code>/", learning.certificate_verify, name="certificate_verify"),
    path("team/", team.team_progress, name="team_progress"),
    path("people/<int:user_id>/attempts/", attempts.learner_attempts, name="learner_attempts"),
    path("team/assign/", team.assign, name="assign"),
    path("team/assignments/<int:pk>/remove/", team.unassign, name="unassign"),
    path("team/assignments/<int:pk>/nudge/", team.nudge, name="nudge"),
    path("team/progress.csv", team.team_progress_csv, name="team_progress_csv"),
    path("team/people/<int:pk>/", team.person_detail, name="person_progress"),
    path(
        "team/people/<int:pk>/quizzes/<int:lesson_id>/retake/",
        team.person_retake,
        name="person_retake",
    ),
    path("studio/", studio.studio_home, name="studio"),
    path("studio/preview/", studio.markdown_preview, name="studio_preview"),
    path("studio/courses/new/", studio.course_new, name="studio_course_new"),
    path("studio/courses/<slug:slug>/", studio.course_edit, name="studio_course"),
    path(
        "studio/courses/<slug:slug>/lessons/new/<str:kind>/",
        studio.lesson_new,
        name="studio_lesson_new",
    ),
    path("studio/courses/<slug:slug>/scorm/", studio.scorm_import_view, name="studio_scorm_import"),
    path("studio/lessons/<int:pk>/", studio.lesson_edit, name="studio_lesson"),
    path("studio/lessons/<int:pk>/move/", studio.lesson_move_view, name="studio_lesson_move"),
    path("studio/lessons/<int:pk>/delete/", studio.lesson_delete_view, name="studio_lesson_delete"),
    path(
        "studio/lessons/<int:pk>/questions/new/",
        studio.question_new,
        name="studio_question_new",
    ),
    path("studio/questions/<int:pk>/", studio.question_edit, name="studio_question"),
    path("studio/questions/<int:pk>/move/", studio.question_move_view, name="studio_question_move"),
    path(
        "studio/questions/<int:pk>/delete/",
        studio.question_delete_view,
        name="studio_question_delete",
    ),
    path("studio/programs/new/", studio.program_new, name="studio_program_new"),
    path("studio/programs/<slug:slug>/", studio.program_edit, name="studio_program"),
    path(
        "studio/programs/<slug:slug>/courses/",
        studio.program_courses_edit,
        name="studio_program_courses",
    ),
]
