"""URLs of branch_urls (filled in with the feature)."""

urlpatterns = []
