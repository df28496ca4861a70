from django.urls import path

from roi import views
from roi.efficiency import views as efficiency_views

app_name = "roi"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard/<slug:table>.csv", views.dashboard_csv, name="dashboard_csv"),
    path("programs/<slug:slug>/", views.program_report, name="program"),
    path("programs/<slug:slug>/rollout/", views.program_rollout, name="program_rollout"),
    path(
        "programs/<slug:slug>/<slug:metric>/<slug:table>.csv",
        views.program_csv,
        name="program_csv",
    ),
    path("coaching/<slug:kind>/", views.coaching_report, name="coaching"),
    path(
        "coaching/<slug:kind>/<slug:metric>/<slug:table>.csv",
        views.coaching_csv,
        name="coaching_csv",
    ),
    path("teams/<int:team_id>/", views.team, name="team"),
    path("teams/<int:team_id>/<slug:table>.csv", views.team_csv, name="team_csv"),
    path("reps/", views.people, name="people"),
    path("reps/<int:rep_id>/", views.rep, name="rep"),
    path("reps/<int:rep_id>/<slug:table>.csv", views.rep_csv, name="rep_csv"),
    path("settings/", views.settings_page, name="settings"),
    path("costs/", views.costs, name="costs"),
    path("efficiency/", efficiency_views.efficiency, name="efficiency"),
    path("efficiency/<slug:table>.csv", efficiency_views.efficiency_csv, name="efficiency_csv"),
]
