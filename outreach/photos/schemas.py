"""The API's photo schemas."""

from uuid import UUID

from django.urls import reverse
from ninja import Schema

from outreach.photos.models import StoredPhoto

# A list of files in a multipart request: the photos sent beside a record's form fields.
PHOTO_FILES = {"type": "array", "items": {"type": "string", "format": "binary"}}


# A stored photo (visit, receipt or activity) as the API shows it: the URLs are the
# scope-checked views that serve it, named by its model. (No docstring: it would become
# the schema's description in the OpenAPI document.)
class PhotoOut(Schema):
    id: UUID
    url: str
    thumbnail_url: str
    width: int
    height: int

    @staticmethod
    def resolve_url(obj: StoredPhoto) -> str:
        return reverse(obj.serving_url_name, args=[obj.pk])

    @staticmethod
    def resolve_thumbnail_url(obj: StoredPhoto) -> str:
        return reverse(f"{obj.serving_url_name}-thumb", args=[obj.pk])
