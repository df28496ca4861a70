from django.urls import path

from accounts.api import views

urlpatterns = [
    path("users/", views.UserListApi.as_view(), name="user-list"),
    path("users/bulk", views.UserBulkApi.as_view(), name="user-bulk"),
    path("users/<int:pk>/", views.UserDetailApi.as_view(), name="user-detail"),
]
