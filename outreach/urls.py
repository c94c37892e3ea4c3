from django.urls import include, path

from outreach.residents import views
from outreach.residents.roster import views as roster_views

urlpatterns = [
    path("", views.home, name="home"),
    path("residents/", views.resident_list, name="resident-list"),
    path("residents/new/", views.resident_create, name="resident-create"),
    path("residents/import/", roster_views.roster_upload, name="roster-import"),
    path("residents/import/template.xlsx", roster_views.roster_template, name="roster-template"),
    path("residents/import/<int:pk>/", roster_views.roster_preview, name="roster-preview"),
    path("residents/import/<int:pk>/commit/", roster_views.roster_commit, name="roster-commit"),
    path("residents/<int:pk>/", views.resident_detail, name="resident-detail"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident-edit"),
    path("residents/<int:pk>/national-id/", views.resident_national_id, name="resident-national-id"),
    path("residents/<int:pk>/visit/", views.visit_create, name="visit-create"),
    path("visits/<uuid:pk>/", views.visit_detail, name="visit-detail"),
    path("visits/<uuid:pk>/correct/", views.visit_correct, name="visit-correct"),
    path("photos/<uuid:pk>/", views.photo, name="photo"),
    path("photos/<uuid:pk>/thumb/", views.photo, {"thumbnail": True}, name="photo-thumb"),
    path("", include("outreach.errands.urls")),
    path("", include("outreach.errands.board.urls")),
    path("", include("outreach.errands.orders.urls")),
    path("", include("outreach.complaints.urls")),
    path("", include("outreach.reporting.coverage.urls")),
    path("", include("outreach.reporting.dashboard.urls")),
    path("", include("outreach.offline.urls")),
    path("", include("outreach.branches.urls")),
]
