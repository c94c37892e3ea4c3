"""URLs of offline_urls (filled in with the feature)."""

urlpatterns = []
