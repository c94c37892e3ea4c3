"""URLs of errands: the errand page and its actions, the assignment board, the
notification bell and online orders."""

from django.urls import include, path

from outreach.errands import selectors, views
from outreach.photos.views import serve_photo

urlpatterns = [
    path("errands/new/", views.errand_create, name="errand-create"),
    path("errands/mine/", views.my_errands, name="errand-mine"),
    path("errands/<uuid:pk>/", views.errand_detail, name="errand-detail"),
    path("errands/<uuid:pk>/act/", views.errand_act, name="errand-act"),
    path("errands/<uuid:pk>/assign/", views.errand_assign, name="errand-assign"),
    path("errands/<uuid:pk>/materials/", views.errand_materials, name="errand-materials"),
    path("errands/<uuid:pk>/deliver/", views.errand_deliver, name="errand-deliver"),
    path(
        "errand-photos/<uuid:pk>/", serve_photo, {"find": selectors.receipt_photo_for_user_or_404}, name="errand-photo"
    ),
    path(
        "errand-photos/<uuid:pk>/thumb/",
        serve_photo,
        {"find": selectors.receipt_photo_for_user_or_404, "thumbnail": True},
        name="errand-photo-thumb",
    ),
    path("", include("outreach.errands.board.urls")),
    path("", include("outreach.errands.notifications.urls")),
    path("", include("outreach.errands.orders.urls")),
]
