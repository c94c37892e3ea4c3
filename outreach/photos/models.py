"""What every stored photo records, whoever it belongs to: the abstract model that visit,
receipt and activity photos share."""

import uuid
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class StoredPhoto(models.Model):
    """A photo through the pipeline (re-encoded, no EXIF) and its thumbnail, as files in
    the photo storage that no URL serves. A concrete photo adds the foreign key to its
    owner and names it in ``owner_field``; ``serving_url_name`` is the scope-checked view
    that shows it (``<name>-thumb`` shows its thumbnail)."""

    owner_field: ClassVar[str]
    serving_url_name: ClassVar[str]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    image = models.CharField(_("image file"), max_length=200)
    thumbnail = models.CharField(_("thumbnail file"), max_length=200)
    upload_digest = models.CharField(_("upload digest"), max_length=64)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        abstract = True
