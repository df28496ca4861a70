from django.urls import path

from coaching.api import views

urlpatterns = [
    path("coaching/sessions/", views.SessionListCreateApi.as_view(), name="coaching-session-list"),
    path(
        "coaching/sessions/<int:pk>/",
        views.SessionDetailApi.as_view(),
        name="coaching-session-detail",
    ),
    path(
        "coaching/sessions/<int:pk>/reschedule",
        views.SessionRescheduleApi.as_view(),
        name="coaching-session-reschedule",
    ),
    path(
        "coaching/sessions/<int:pk>/cancel",
        views.SessionCancelApi.as_view(),
        name="coaching-session-cancel",
    ),
    path(
        "coaching/sessions/<int:pk>/complete",
        views.SessionCompleteApi.as_view(),
        name="coaching-session-complete",
    ),
    path(
        "coaching/sessions/<int:pk>/scorecard",
        views.ScorecardApi.as_view(),
        name="coaching-session-scorecard",
    ),
    path(
        "coaching/sessions/<int:pk>/post-mortem",
        views.PostMortemApi.as_view(),
        name="coaching-session-post-mortem",
    ),
    path(
        "coaching/post-mortems/<int:pk>/commitments",
        views.CommitmentCreateApi.as_view(),
        name="coaching-commitment-create",
    ),
    path(
        "coaching/commitments/", views.CommitmentListApi.as_view(), name="coaching-commitment-list"
    ),
    path("coaching/slots/", views.SlotListApi.as_view(), name="coaching-slot-list"),
    path("coaching/rubrics/", views.RubricListApi.as_view(), name="coaching-rubric-list"),
    path("coaching/calendar-feed", views.CalendarFeedApi.as_view(), name="coaching-calendar-feed"),
]
