"""URLs of the coverage map and the GeoJSON it draws."""

from django.urls import path

from outreach.reporting.coverage import views

urlpatterns = [
    path("coverage/", views.coverage_map, name="coverage-map"),
    path("coverage/areas.geojson", views.coverage_areas, name="coverage-areas"),
    path("coverage/layers.geojson", views.coverage_layers, name="coverage-layers"),
]
