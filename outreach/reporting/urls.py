"""URLs of reporting: the coverage map with its GeoJSON, the dashboard, and the
spreadsheets of both."""

from django.urls import include, path

urlpatterns = [
    path("", include("outreach.reporting.coverage.urls")),
    path("", include("outreach.reporting.dashboard.urls")),
]
