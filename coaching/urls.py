from django.urls import path

from coaching import views

app_name = "coaching"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("calendar/", views.calendar, name="calendar"),
    path("people/<int:rep_id>/", views.rep_history, name="rep_history"),
    path("find-a-slot/", views.find_slot, name="find_slot"),
    path("book/", views.book, name="book"),
    path("book/rep-fields/", views.booking_rep_fields, name="booking_rep_fields"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/calendar.ics", views.session_ics, name="session_ics"),
    path("sessions/<int:pk>/reschedule/", views.session_reschedule_view, name="reschedule"),
    path("sessions/<int:pk>/cancel/", views.session_cancel_view, name="cancel"),
    path("sessions/<int:pk>/complete/", views.session_complete_view, name="complete"),
    path("sessions/<int:pk>/scorecard/", views.scorecard_save, name="scorecard"),
    path("sessions/<int:pk>/post-mortem/", views.post_mortem_save, name="post_mortem"),
    path("sessions/<int:pk>/action-items/", views.action_item_create, name="action_item_add"),
    path("action-items/<int:pk>/done/", views.action_item_toggle, name="action_item_toggle"),
    path("post-mortems/<int:pk>/commitments/", views.commitment_create, name="commitment_add"),
    path("post-mortems/<int:pk>/story/", views.story_lesson_create, name="story_lesson"),
    path("availability/", views.availability, name="availability"),
    path("calendar-feed/", views.calendar_feed_settings, name="calendar_feed"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
    path("trends/", views.trends, name="trends"),
]
