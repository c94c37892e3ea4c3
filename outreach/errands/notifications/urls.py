"""URLs of the notification bell and of the user's notification channels."""

from django.urls import path

from outreach.errands.notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/count/", views.notification_count, name="notification-count"),
    path("notifications/read-all/", views.notification_read_all, name="notification-read-all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification-read"),
    path("account/notifications/", views.notification_preferences, name="notification-preferences"),
]
