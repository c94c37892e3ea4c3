"""The photo pipeline: a phone photo in, a clean JPEG and a thumbnail out.

Only JPEG, PNG and WebP are accepted, checked by decoding (not by the file name); files
above the byte or pixel limits, decompression bombs and truncated files are refused with
a message a grid worker can act on. The EXIF orientation is applied, then the picture is
re-encoded from its pixels alone, so no EXIF (GPS position, phone model) survives.
Photos are stored under MEDIA_ROOT, which no URL serves: views check scope first.
"""

import hashlib
import io
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}


class PhotoRejected(ValueError):
    """A photo that cannot be stored; the message says why, in the user's language."""


@dataclass(frozen=True)
class CleanPhoto:
    upload_digest: str
    image: bytes
    thumbnail: bytes
    width: int
    height: int


def photo_storage() -> FileSystemStorage:
    return FileSystemStorage(location=Path(settings.MEDIA_ROOT) / "photos", base_url=None)


def read_upload(upload) -> bytes:
    """Read at most one byte past the limit, so a huge upload is refused cheaply."""
    limit = settings.DAIBAN_PHOTO_MAX_BYTES
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise PhotoRejected(
            _("“%(name)s” is larger than %(limit)s. Take the photo again at a lower resolution.")
            % {"name": getattr(upload, "name", "") or _("The photo"), "limit": filesizeformat(limit)}
        )
    return data


def clean_photo(data: bytes, name: str = "") -> CleanPhoto:
    label = name or _("The photo")
    with warnings.catch_warnings():
        # Pillow warns between MAX_IMAGE_PIXELS and twice that; treat both as too big.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format
                width, height = probe.size
            if fmt not in ACCEPTED_FORMATS:
                raise PhotoRejected(_("“%(name)s” is not a JPEG, PNG or WebP photo.") % {"name": label})
            if width * height > settings.DAIBAN_PHOTO_MAX_PIXELS:
                raise _too_many_pixels(label)
            with Image.open(io.BytesIO(data)) as img:
                img.load()  # decodes every byte: a truncated file fails here
                img = ImageOps.exif_transpose(img)
                img = img.convert("RGB")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(label) from None
        except UnidentifiedImageError:
            raise PhotoRejected(_("“%(name)s” is not a photo Daiban can read (JPEG, PNG or WebP).") % {"name": label}) from None
        except (OSError, SyntaxError, ValueError) as exc:
            if isinstance(exc, PhotoRejected):
                raise
            raise PhotoRejected(_("“%(name)s” is damaged or incomplete. Take or send it again.") % {"name": label}) from None

    image = _encode(img, settings.DAIBAN_PHOTO_LONG_EDGE, quality=82)
    thumbnail = _encode(img, settings.DAIBAN_PHOTO_THUMB_EDGE, quality=70)
    stored_width, stored_height = _fit(img.size, settings.DAIBAN_PHOTO_LONG_EDGE)
    return CleanPhoto(
        upload_digest=hashlib.sha256(data).hexdigest(), image=image, thumbnail=thumbnail,
        width=stored_width, height=stored_height,
    )


def _too_many_pixels(label: str) -> PhotoRejected:
    return PhotoRejected(
        _("“%(name)s” has more than %(limit)s million pixels. Take the photo again at a lower resolution.")
        % {"name": label, "limit": settings.DAIBAN_PHOTO_MAX_PIXELS // 1_000_000}
    )


def _fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, edge / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _encode(img: Image.Image, edge: int, quality: int) -> bytes:
    copy = img.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A fresh RGB image from pixels carries no EXIF/XMP/ICC; say so explicitly anyway.
    copy.save(out, format="JPEG", quality=quality, optimize=True, exif=b"")
    return out.getvalue()


def store_photo(clean: CleanPhoto) -> tuple[str, str]:
    """Write the image and its thumbnail; returns their storage names."""
    storage = photo_storage()
    stem = uuid.uuid4().hex
    image_name = storage.save(f"{stem[:2]}/{stem}.jpg", ContentFile(clean.image))
    thumb_name = storage.save(f"{stem[:2]}/{stem}.thumb.jpg", ContentFile(clean.thumbnail))
    return image_name, thumb_name


def delete_stored(names: list[str]) -> None:
    storage = photo_storage()
    for name in names:
        storage.delete(name)
