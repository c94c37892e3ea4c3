"""URLs of complaint_urls (filled in with the feature)."""

urlpatterns = []
