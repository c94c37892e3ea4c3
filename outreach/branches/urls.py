"""URLs of the joint branches' workspace: the city view, each branch's home, members,
pairings, activities (and their photos), queue and monthly report."""

from django.urls import path

from outreach.branches import selectors, views
from outreach.photos.views import serve_photo

urlpatterns = [
    path("branches/", views.branch_list, name="branch-list"),
    path("branches/report.xlsx", views.branch_list_xlsx, name="branch-list-xlsx"),
    path("branches/<int:pk>/", views.branch_home, name="branch-home"),
    path("branches/<int:pk>/points.geojson", views.branch_points_geojson, name="branch-points-geojson"),
    path("branches/<int:pk>/members/", views.branch_member_add, name="branch-member-add"),
    path("branches/<int:pk>/members/<int:user_id>/remove/", views.branch_member_remove, name="branch-member-remove"),
    path("branches/<int:pk>/pairings/", views.branch_pairings, name="branch-pairings"),
    path("branches/<int:pk>/pairings/add/", views.branch_pairing_add, name="branch-pairing-add"),
    path("branches/<int:pk>/pairings/<int:pairing_id>/end/", views.branch_pairing_end, name="branch-pairing-end"),
    path(
        "branches/<int:pk>/pairings/<int:pairing_id>/liaison/",
        views.branch_pairing_liaison,
        name="branch-pairing-liaison",
    ),
    path("branches/<int:pk>/activities/", views.branch_activities, name="branch-activities"),
    path("branches/<int:pk>/activities/new/", views.branch_activity_create, name="branch-activity-create"),
    path(
        "branches/<int:pk>/activities/<uuid:activity_id>/", views.branch_activity_detail, name="branch-activity-detail"
    ),
    path(
        "branches/<int:pk>/activities/<uuid:activity_id>/held/", views.branch_activity_held, name="branch-activity-held"
    ),
    path("branches/<int:pk>/queue/", views.branch_queue, name="branch-queue"),
    path("branches/<int:pk>/queue/<uuid:errand_id>/assign/", views.branch_queue_assign, name="branch-queue-assign"),
    path("branches/<int:pk>/report/", views.branch_report, name="branch-report"),
    path("branches/<int:pk>/report.xlsx", views.branch_report_xlsx, name="branch-report-xlsx"),
    path(
        "branch-photos/<uuid:pk>/",
        serve_photo,
        {"find": selectors.activity_photo_for_user_or_404},
        name="branch-activity-photo",
    ),
    path(
        "branch-photos/<uuid:pk>/thumb/",
        serve_photo,
        {"find": selectors.activity_photo_for_user_or_404, "thumbnail": True},
        name="branch-activity-photo-thumb",
    ),
]
