"""Daiban's pages, one URL module per feature (each names its own paths)."""

from django.urls import include, path

urlpatterns = [
    path("", include("outreach.residents.urls")),
    path("", include("outreach.errands.urls")),
    path("", include("outreach.complaints.urls")),
    path("", include("outreach.reporting.urls")),
    path("", include("outreach.offline.urls")),
    path("", include("outreach.branches.urls")),
    path("", include("outreach.privacy.urls")),
    path("", include("outreach.tracking.urls")),
    path("", include("outreach.jobs.urls")),
]
