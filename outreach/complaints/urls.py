"""URLs of the "跑一次没办成" complaints window."""

from django.urls import path

from outreach.complaints import views

urlpatterns = [
    path("complaints/", views.complaint_list, name="complaint-list"),
    path("complaints/new/", views.complaint_create, name="complaint-create"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint-detail"),
    path("complaints/<int:pk>/resolve/", views.complaint_resolve, name="complaint-resolve"),
]
