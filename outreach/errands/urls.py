"""URLs of the errand page and its actions."""

from django.urls import path

from outreach.errands import views as errand_views

urlpatterns = [
    path("errands/new/", errand_views.errand_create, name="errand-create"),
    path("errands/<uuid:pk>/", errand_views.errand_detail, name="errand-detail"),
    path("errands/<uuid:pk>/act/", errand_views.errand_act, name="errand-act"),
    path("errands/<uuid:pk>/assign/", errand_views.errand_assign, name="errand-assign"),
    path("errands/<uuid:pk>/materials/", errand_views.errand_materials, name="errand-materials"),
    path("errands/<uuid:pk>/deliver/", errand_views.errand_deliver, name="errand-deliver"),
    path("errand-photos/<uuid:pk>/", errand_views.errand_photo, name="errand-photo"),
    path("errand-photos/<uuid:pk>/thumb/", errand_views.errand_photo, {"thumbnail": True}, name="errand-photo-thumb"),
]
