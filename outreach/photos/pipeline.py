"""The photo pipeline: a phone photo in, a clean JPEG and a thumbnail out.

Only JPEG, PNG and WebP are accepted, checked by decoding (not by the file name); files
above the byte or pixel limits, decompression bombs and truncated files are refused with
a message a grid worker can act on. The cost of a photo is bounded before its pixels are
decoded: the header's size is checked first (PNG and WebP, which decode only whole, have
a lower limit), a JPEG decodes at the smallest scale that still fills the stored size,
and every picture is shrunk by block averages before any other pass over its pixels.
The EXIF orientation is applied, then the picture is re-encoded from its pixels alone,
so no EXIF (GPS position, phone model) survives.
Photos are stored in Django's default storage under ``photos/`` (MEDIA_ROOT on disk, or
a private S3-compatible bucket), which no URL serves: views check scope first and stream
the file from the storage.
"""

import hashlib
import io
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from outreach.common.errors import FieldRejected

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}


class PhotoRejected(FieldRejected):
    """A photo that cannot be stored; the message says why, in the user's language."""

    field = "photos"


@dataclass(frozen=True)
class CleanPhoto:
    upload_digest: str
    image: bytes
    thumbnail: bytes
    width: int
    height: int


# Photo rows keep names relative to this folder of the storage ("ab/ab12….jpg"), as they
# did when photos had a FileSystemStorage of their own at MEDIA_ROOT/photos.
PHOTO_FOLDER = "photos/"


def photo_storage() -> Storage:
    """Django's default storage (settings.STORAGES), looked up on every call, so a change
    of settings (tests, object storage) is seen at once."""
    return storages["default"]


def photo_path(name: str) -> str:
    """The storage's name of a photo file named ``name`` in a photo row."""
    return PHOTO_FOLDER + name


def photo_open(name: str):
    """A photo file of a photo row, opened for reading; FileNotFoundError when missing."""
    return photo_storage().open(photo_path(name), "rb")


def photo_response(item, *, thumbnail: bool = False) -> FileResponse:
    """A stored photo (visit, receipt or branch activity) or its thumbnail, shown inline and
    never cached, streamed from the storage (never a redirect to it). The caller has found
    ``item`` through the user's scope; a file missing from the storage is a 404 like any
    other."""
    try:
        stored = photo_open(item.thumbnail if thumbnail else item.image)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(stored, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    return response


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
    edge = settings.DAIBAN_PHOTO_LONG_EDGE
    with warnings.catch_warnings():
        # Pillow warns between MAX_IMAGE_PIXELS and twice that; treat both as too big.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as img:
                # The header alone decides these: nothing is decoded yet.
                if img.format not in ACCEPTED_FORMATS:
                    raise PhotoRejected(_("“%(name)s” is not a JPEG, PNG or WebP photo.") % {"name": label})
                limit = (
                    settings.DAIBAN_PHOTO_MAX_PIXELS
                    if img.format == "JPEG"
                    else settings.DAIBAN_PHOTO_MAX_PIXELS_PNG_WEBP
                )
                if img.width * img.height > limit:
                    raise _too_many_pixels(label, limit)
                # A JPEG decodes straight at 1/2, 1/4 or 1/8 of its size (never below the
                # stored size): a 48-megapixel photo costs what a 3-megapixel one does.
                img.draft(None, (edge, edge))
                img.load()  # decodes every byte: a truncated file fails here
                img = _pixels_only(ImageOps.exif_transpose(_reduced(img, edge)))  # type: ignore[assignment]  # the decoded image from here on
        except PhotoRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(label, settings.DAIBAN_PHOTO_MAX_PIXELS) from None
        except UnidentifiedImageError:
            raise PhotoRejected(
                _("“%(name)s” is not a photo Daiban can read (JPEG, PNG or WebP).") % {"name": label}
            ) from None
        except Exception:  # noqa: BLE001 — whatever a decoder trips on in untrusted bytes (OSError,
            # SyntaxError, EOFError, struct.error from a broken EXIF block…), the file is unusable.
            raise PhotoRejected(
                _("“%(name)s” is damaged or incomplete. Take or send it again.") % {"name": label}
            ) from None

    image, (stored_width, stored_height), stored = _encode(img, edge, quality=82)
    thumbnail, _size, _thumb = _encode(stored, settings.DAIBAN_PHOTO_THUMB_EDGE, quality=70)
    return CleanPhoto(
        upload_digest=hashlib.sha256(data).hexdigest(),
        image=image,
        thumbnail=thumbnail,
        width=stored_width,
        height=stored_height,
    )


# Image.reduce() averages blocks of pixels in these modes; a palette or 1-bit picture
# must be widened to them first.
REDUCIBLE_MODES = {"L", "LA", "RGB", "RGBA"}


def _reduced(img: Image.Image, edge: int) -> Image.Image:
    """A PNG or WebP (or a JPEG still large after draft) shrunk by a whole factor to no
    less than ``edge``, before any other pass over its pixels: averaging blocks is the
    cheapest way down, and LANCZOS then has a small step to finish. The EXIF block goes
    along, for exif_transpose."""
    if img.mode not in REDUCIBLE_MODES:
        # Widening every pixel of a huge palette picture (a few KB of PNG) to RGBA was the
        # slowest step of all. A palette picture is a drawing or a screenshot, not a
        # camera's photo: past twice the stored size, every n-th pixel is taken first,
        # which leaves twice what the averaging below needs.
        step = max(img.size) // (2 * edge)
        if step >= 2:
            img = img.resize((-(-img.width // step), -(-img.height // step)), Image.Resampling.NEAREST)
        img = img.convert("RGBA" if img.has_transparency_data else "RGB")
    factor = max(img.size) // edge
    if factor < 2:
        return img
    small = img.reduce(factor)
    small.info = img.info
    return small


def _pixels_only(img: Image.Image) -> Image.Image:
    """An RGB picture with nothing but the pixels. Pillow copies ``info`` (EXIF, XMP, ICC,
    JPEG comments) through convert() and copy(), and the JPEG encoder writes the comment
    back out, so it is emptied here. Transparent parts become white, not black."""
    if img.has_transparency_data:
        rgba = img.convert("RGBA")
        rgb = Image.new("RGB", rgba.size, "white")
        rgb.paste(rgba, mask=rgba.getchannel("A"))
    else:
        rgb = img.convert("RGB")
    rgb.info = {}
    return rgb


def _too_many_pixels(label: str, limit: int) -> PhotoRejected:
    return PhotoRejected(
        _("“%(name)s” has more than %(limit)s million pixels. Take the photo again at a lower resolution.")
        % {"name": label, "limit": limit // 1_000_000}
    )


def _encode(img: Image.Image, edge: int, quality: int) -> tuple[bytes, tuple[int, int], Image.Image]:
    """The picture shrunk to fit ``edge`` as a JPEG, its size in pixels, and the shrunk
    picture (the thumbnail is made from the stored image, not again from the upload)."""
    copy = img.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=quality, optimize=True, exif=b"")
    return out.getvalue(), copy.size, copy


def store_photo(clean: CleanPhoto) -> tuple[str, str]:
    """Write the image and its thumbnail; returns their storage names."""
    storage = photo_storage()
    stem = uuid.uuid4().hex
    image_name = storage.save(photo_path(f"{stem[:2]}/{stem}.jpg"), ContentFile(clean.image))
    thumb_name = storage.save(photo_path(f"{stem[:2]}/{stem}.thumb.jpg"), ContentFile(clean.thumbnail))
    return image_name.removeprefix(PHOTO_FOLDER), thumb_name.removeprefix(PHOTO_FOLDER)


def delete_stored(names: list[str]) -> None:
    """Delete photo files (names as the photo rows keep them) from the storage."""
    storage = photo_storage()
    for name in names:
        storage.delete(photo_path(name))
