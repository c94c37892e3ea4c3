"""URLs of errand_urls (filled in with the feature)."""

urlpatterns = []
