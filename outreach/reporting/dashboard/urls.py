"""URLs of the dashboard, the exports of the dashboard's and the coverage map's tables, and
the monthly coverage report."""

from django.urls import path, re_path

from outreach.reporting.dashboard import views as dashboard_views

urlpatterns = [
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    re_path(r"^dashboard/export\.(?P<fmt>xlsx|csv)$", dashboard_views.dashboard_export, name="dashboard-export"),
    path("coverage/report.xlsx", dashboard_views.coverage_report, name="coverage-report"),
]
