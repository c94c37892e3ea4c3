"""URLs of board_urls (filled in with the feature)."""

urlpatterns = []
