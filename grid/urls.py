from django.urls import path

from grid import views

urlpatterns = [
    path("network/", views.network_list, name="network-list"),
    path("network/map/", views.network_map, name="network-map"),
    path("network/map/data.geojson", views.network_map_data, name="network-map-data"),
    path("network/<int:pk>/", views.network_detail, name="network-detail"),
    path("account/", views.account, name="account"),
]
