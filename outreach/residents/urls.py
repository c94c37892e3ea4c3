"""URLs of residents and visits: Today (the home of grid workers) and its route, the resident list,
page and form, roster imports, the visit form and page, and visit photos."""

from django.urls import path

from outreach.photos.views import serve_photo
from outreach.residents import selectors, views
from outreach.residents.roster import views as roster
from outreach.residents.route import views as route

urlpatterns = [
    path("", views.home, name="home"),
    path("today/route/", route.today_route, name="today-route"),
    path("residents/", views.resident_list, name="resident-list"),
    path("residents/new/", views.resident_create, name="resident-create"),
    path("residents/import/", roster.roster_upload, name="roster-import"),
    path("residents/import/template.xlsx", roster.roster_template, name="roster-template"),
    path("residents/import/<int:pk>/", roster.roster_preview, name="roster-preview"),
    path("residents/import/<int:pk>/commit/", roster.roster_commit, name="roster-commit"),
    path("residents/<int:pk>/", views.resident_detail, name="resident-detail"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident-edit"),
    path("residents/<int:pk>/national-id/", views.resident_national_id, name="resident-national-id"),
    path("residents/<int:pk>/visit/", views.visit_create, name="visit-create"),
    path("visits/<uuid:pk>/", views.visit_detail, name="visit-detail"),
    path("visits/<uuid:pk>/correct/", views.visit_correct, name="visit-correct"),
    path("photos/<uuid:pk>/", serve_photo, {"find": selectors.photo_for_user_or_404}, name="photo"),
    path(
        "photos/<uuid:pk>/thumb/",
        serve_photo,
        {"find": selectors.photo_for_user_or_404, "thumbnail": True},
        name="photo-thumb",
    ),
]
