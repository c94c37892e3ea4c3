"""URLs of the assignment board."""

from django.urls import path

from outreach.errands.board import views

urlpatterns = [
    path("errands/board/", views.board, name="errand-board"),
    path("errands/board/<uuid:pk>/actions/", views.board_actions, name="errand-board-actions"),
    path("errands/board/<uuid:pk>/assign/", views.board_assign, name="errand-board-assign"),
    path("errands/board/<uuid:pk>/escalate/", views.board_escalate, name="errand-board-escalate"),
]
