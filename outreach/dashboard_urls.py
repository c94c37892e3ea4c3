"""URLs of dashboard_urls (filled in with the feature)."""

urlpatterns = []
