"""URLs of the progress page (public) and the staff's progress slip of an errand."""

from django.urls import path

from outreach.tracking import views

urlpatterns = [
    path("track/", views.track, name="track"),
    path("track/rate/", views.track_rate, name="track-rate"),
    path("errands/<uuid:pk>/slip/", views.errand_progress_slip, name="errand-progress-slip"),
]
