from django.urls import path

from outreach.jobs import views

urlpatterns = [
    path("jobs/<uuid:pk>/", views.job_detail, name="job-detail"),
    path("jobs/<uuid:pk>/download", views.job_download, name="job-download"),
]
