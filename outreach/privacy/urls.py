"""URLs of the audit log and its export."""

from django.urls import path, re_path

from outreach.privacy import views

urlpatterns = [
    path("audit/", views.audit_log, name="audit-log"),
    re_path(r"^audit/export\.(?P<fmt>xlsx|csv)$", views.audit_log_export, name="audit-log-export"),
]
