"""The API's photo schemas."""

from uuid import UUID

from django.urls import reverse
from ninja import Schema

from outreach.photos.models import StoredPhoto

# A list of files in a multipart request: the photos sent beside a record's form fields.
PHOTO_FILES = {"type": "array", "items": {"type": "string", "format": "binary"}}


def with_photos(schema: type[Schema]) -> dict:
    """The ``openapi_extra`` of an operation whose body ``schema`` may also come as
    multipart form fields beside ``photos`` files (outreach.common.api.JsonOrForm): one
    flat form with the schema's required fields marked, which generated clients read
    (an allOf of a $ref and the photos hid them from some)."""
    definition = schema.model_json_schema(ref_template="#/components/schemas/{model}")
    definition.pop("$defs", None)  # described once in the document's components
    form = {
        "type": "object",
        "properties": {**definition["properties"], "photos": PHOTO_FILES},
        "required": definition.get("required", []),
    }
    return {"requestBody": {"content": {"multipart/form-data": {"schema": form}}}}


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
