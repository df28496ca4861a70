from django.urls import path

from deals import views

app_name = "deals"

urlpatterns = [
    path("", views.deal_list, name="list"),
    path("<int:deal_id>/", views.deal_detail, name="detail"),
    path("hygiene/", views.pipeline_hygiene, name="hygiene"),
    path("import/", views.import_upload, name="import"),
    path("import/<uuid:upload_id>/", views.import_map, name="import_map"),
    path("import/jobs/<uuid:job_id>/", views.import_job, name="import_job"),
    path("import/jobs/<uuid:job_id>/errors.csv", views.import_job_errors, name="import_job_errors"),
]
