"""URLs of the "跑一次没办成" complaints window."""

from django.urls import path

from outreach.complaints import views as complaint_views

urlpatterns = [
    path("complaints/", complaint_views.complaint_list, name="complaint-list"),
    path("complaints/new/", complaint_views.complaint_create, name="complaint-create"),
    path("complaints/<int:pk>/", complaint_views.complaint_detail, name="complaint-detail"),
    path("complaints/<int:pk>/resolve/", complaint_views.complaint_resolve, name="complaint-resolve"),
]
