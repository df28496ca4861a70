from django.urls import path

from tools import views

app_name = "tools"

urlpatterns = [
    path("", views.tools_page, name="list"),
    path("new/", views.tool_new, name="new"),
    path("import/", views.tools_csv, name="import"),
    path("<int:tool_id>/", views.tool_edit, name="edit"),
    path("<int:tool_id>/delete", views.tool_remove, name="delete"),
]
