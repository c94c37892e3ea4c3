"""URLs of the offline-first app: the service worker and manifest at the site's root (a
worker controls only the paths under its own), the offline page, the Today list kept
on the phone and the CSRF token the outbox fetches before sending."""

from django.urls import path

from outreach.offline import views as offline_views

urlpatterns = [
    path("sw.js", offline_views.service_worker, name="service-worker"),
    path("manifest.webmanifest", offline_views.manifest, name="manifest"),
    path("offline/", offline_views.offline_page, name="offline-page"),
    path("offline/today.json", offline_views.offline_today, name="offline-today"),
    path("offline/csrf", offline_views.offline_csrf, name="offline-csrf"),
]
