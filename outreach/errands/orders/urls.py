"""URLs of online orders: the public form behind a point's QR code (no login), the QR
poster of a point, and the staff's order list and order page."""

from django.urls import path

from outreach.errands.orders import views

urlpatterns = [
    path("order/<slug:code>/", views.order_form, name="order-form"),
    path("order/<slug:code>/thanks/", views.order_thanks, name="order-thanks"),
    path("network/<int:pk>/qr/", views.network_qr, name="network-qr"),
    path("network/<int:pk>/qr.svg", views.network_qr_svg, name="network-qr-svg"),
    path("orders/", views.order_list, name="order-list"),
    path("orders/<int:pk>/", views.order_detail, name="order-detail"),
    path("orders/<int:pk>/confirm/", views.order_confirm, name="order-confirm"),
    path("orders/<int:pk>/reject/", views.order_reject, name="order-reject"),
    path("orders/<int:pk>/resident/", views.order_resident_create, name="order-resident-create"),
]
