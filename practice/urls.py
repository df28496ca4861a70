from django.urls import path

from practice import views

app_name = "practice"

urlpatterns = [
    path("lessons/<int:lesson_id>/", views.lesson_practice, name="lesson"),
    path("lessons/<int:lesson_id>/attempts/", views.attempt_start, name="attempt_start"),
    path("lessons/<int:lesson_id>/upload/", views.attempt_upload, name="upload"),
    path("attempts/<int:attempt_id>/", views.attempt_detail, name="attempt"),
    path("attempts/<int:attempt_id>/chunks/", views.chunk_upload, name="chunk"),
    path("attempts/<int:attempt_id>/recording", views.recording, name="recording"),
    path("attempts/<int:attempt_id>/comments/", views.comment_add, name="comment"),
    path("attempts/<int:attempt_id>/review/", views.review_submit, name="review"),
    path("attempts/<int:attempt_id>/delete/", views.attempt_delete, name="delete"),
    path("reviews/", views.review_queue, name="queue"),
]
