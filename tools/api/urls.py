from django.urls import path

from tools.api import views

urlpatterns = [
    path("tools/bulk", views.ToolBulkApi.as_view(), name="tool-bulk"),
]
