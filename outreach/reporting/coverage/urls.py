"""URLs of the coverage map and the GeoJSON it draws."""

from django.urls import path

from outreach.reporting.coverage import views as coverage_views

urlpatterns = [
    path("coverage/", coverage_views.coverage_map, name="coverage-map"),
    path("coverage/areas.geojson", coverage_views.coverage_areas, name="coverage-areas"),
    path("coverage/layers.geojson", coverage_views.coverage_layers, name="coverage-layers"),
]
