"""URLs of the assignment board and of the notification bell."""

from django.urls import path

from outreach.errands.board import views as board_views
from outreach.errands.notifications import views as notification_views

urlpatterns = [
    path("errands/board/", board_views.board, name="errand-board"),
    path("errands/board/<uuid:pk>/assign/", board_views.board_assign, name="errand-board-assign"),
    path("errands/board/<uuid:pk>/escalate/", board_views.board_escalate, name="errand-board-escalate"),
    path("notifications/", notification_views.notification_list, name="notification-list"),
    path("notifications/count/", notification_views.notification_count, name="notification-count"),
    path("notifications/read-all/", notification_views.notification_read_all, name="notification-read-all"),
    path("notifications/<int:pk>/read/", notification_views.notification_read, name="notification-read"),
]
