"""URLs of errands: the errand page and its actions, the assignment board, the
notification bell and online orders."""

from django.urls import include, path

from outreach.errands import views

urlpatterns = [
    path("errands/new/", views.errand_create, name="errand-create"),
    path("errands/<uuid:pk>/", views.errand_detail, name="errand-detail"),
    path("errands/<uuid:pk>/act/", views.errand_act, name="errand-act"),
    path("errands/<uuid:pk>/assign/", views.errand_assign, name="errand-assign"),
    path("errands/<uuid:pk>/materials/", views.errand_materials, name="errand-materials"),
    path("errands/<uuid:pk>/deliver/", views.errand_deliver, name="errand-deliver"),
    path("errand-photos/<uuid:pk>/", views.errand_photo, name="errand-photo"),
    path("errand-photos/<uuid:pk>/thumb/", views.errand_photo, {"thumbnail": True}, name="errand-photo-thumb"),
    path("", include("outreach.errands.board.urls")),
    path("", include("outreach.errands.notifications.urls")),
    path("", include("outreach.errands.orders.urls")),
]
