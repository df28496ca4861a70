from django.urls import path

from deals.api import views

urlpatterns = [
    path("deals/", views.DealListApi.as_view(), name="deal-list"),
    path("deals/bulk", views.DealBulkApi.as_view(), name="deal-bulk"),
    path("activities/bulk", views.ActivityBulkApi.as_view(), name="activity-bulk"),
    path("deals/jobs/<uuid:pk>", views.IngestJobApi.as_view(), name="deal-job"),
    path("deals/<int:pk>/", views.DealDetailApi.as_view(), name="deal-detail"),
]
