"""The one view that serves stored photos. Each feature mounts it with its own door, the
selector that finds a photo through the user's scope, so this module imports no feature::

    path("photos/<uuid:pk>/", serve_photo, {"find": photo_for_user_or_404}, name="photo")
"""

from collections.abc import Callable
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.views.decorators.http import require_GET

from outreach.photos.models import StoredPhoto
from outreach.photos.pipeline import photo_response


@require_GET
@login_required
def serve_photo(
    request, pk: UUID, *, find: Callable[[object, UUID], StoredPhoto], thumbnail: bool = False
) -> FileResponse:
    """A photo or its thumbnail, for someone whose scope covers its owner; never a public
    URL. ``find`` raises Http404 for a photo that is missing or not the user's to see."""
    return photo_response(find(request.user, pk), thumbnail=thumbnail)
