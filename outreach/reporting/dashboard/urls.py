"""URLs of the dashboard, the exports of the dashboard's and the coverage map's tables, and
the monthly coverage report."""

from django.urls import path, re_path

from outreach.reporting.dashboard import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    re_path(r"^dashboard/export\.(?P<fmt>xlsx|csv)$", views.dashboard_export, name="dashboard-export"),
    path("coverage/report.xlsx", views.coverage_report, name="coverage-report"),
]
