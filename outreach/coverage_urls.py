"""URLs of coverage_urls (filled in with the feature)."""

urlpatterns = []
