"""URLs of the offline-first app: the service worker and manifest at the site's root (a
worker controls only the paths under its own), the offline page, the Today list kept
on the phone and the CSRF token the outbox fetches before sending."""

from django.urls import path

from outreach.offline import views

urlpatterns = [
    path("sw.js", views.service_worker, name="service-worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("offline/", views.offline_page, name="offline-page"),
    path("offline/today.json", views.offline_today, name="offline-today"),
    path("offline/csrf", views.offline_csrf, name="offline-csrf"),
]
