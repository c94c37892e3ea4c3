"""URLs of order_urls (filled in with the feature)."""

urlpatterns = []
