"""The photo pipeline (outreach.photos) and visits with photos: bad files are refused with
a message and leave nothing behind; good ones are stored upright, as JPEG, without EXIF."""

import io
import random
import struct
import uuid
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import ExifTags, Image, ImageFile

from outreach.models import AuditEvent, Visit, VisitPhoto
from outreach.photos.pipeline import PhotoRejected, clean_photo, photo_open, read_upload
from outreach.photos.services import photo_save
from outreach.residents import selectors, services
from outreach.residents.services import VisitInput
from tests import factories

pytestmark = pytest.mark.django_db

GPS_MARKER = b"DAIBAN-GPS-MARKER"
CAMERA_MARKER = b"DaibanPhoneMaker"


# --- pictures ------------------------------------------------------------------------------


def encoded(img: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **params)
    return out.getvalue()


def plain_jpeg(colour=(40, 120, 200), size=(400, 300)) -> bytes:
    return factories.image_bytes(size=size, color=colour)


def noisy_jpeg(size=(640, 480), seed: int = 1) -> bytes:
    """Detail everywhere, so the scan data is most of the file."""
    noise = random.Random(seed).randbytes(size[0] * size[1] * 3)
    return encoded(Image.frombytes("RGB", size, noise), quality=90)


def noisy_png(size=(300, 200)) -> bytes:
    return encoded(Image.frombytes("L", size, random.Random(2).randbytes(size[0] * size[1])), "PNG")


def phone_photo() -> bytes:
    """A landscape sensor image the phone says to turn 90° clockwise (EXIF Orientation 6),
    with GPS, the camera make, a JPEG comment and XMP. A red block marks the top-left."""
    img = Image.new("RGB", (400, 300), "white")
    img.paste((255, 0, 0), (0, 0, 100, 75))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = CAMERA_MARKER.decode()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (29.0, 18.0, 30.5),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (120.0, 4.0, 12.25),
            ExifTags.GPS.GPSMapDatum: GPS_MARKER.decode(),
        }
    )
    data = encoded(img, exif=exif, comment=b"secret comment", xmp=b"<x:xmpmeta>XMP-MARKER</x:xmpmeta>")
    assert GPS_MARKER in data and b"Exif" in data  # the fixture really carries what must go
    return data


def png_chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def png_of_size(width: int, height: int, *, real_pixels: bool = False) -> bytes:
    """A black-and-white PNG whose header says ``width`` × ``height``. With
    ``real_pixels`` the data is complete (a genuine bomb: a few hundred KB that decode
    to gigabytes); otherwise only the header tells the size."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
    pack = zlib.compressobj(9)
    if real_pixels:
        row = bytes(1 + (width + 7) // 8)
        data = b"".join(pack.compress(row) for _ in range(height)) + pack.flush()
    else:
        data = pack.compress(bytes(64)) + pack.flush()
    return b"\x89PNG\r\n\x1a\n" + header + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = png_of_size(30_000, 30_000, real_pixels=True)
    assert len(data) < 1_000_000  # 900 million pixels in well under a megabyte
    return data


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_image(name: str) -> tuple[bytes, Image.Image]:
    with photo_open(name) as f:
        data = f.read()
    return data, Image.open(io.BytesIO(data))


# --- the visit around them -------------------------------------------------------------------


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


@pytest.fixture
def resident(db, demo_users):
    """A resident whose home is not on the map."""
    return factories.resident(
        actor=demo_users["admin"], name="王阿婆", address="绣湖路12号", home_lat=None, home_lng=None
    )


def record(resident, worker, uploads, visit_id=None):
    return services.visit_record(
        actor=worker,
        resident=resident,
        visit_id=visit_id or uuid.uuid4(),
        uploads=uploads,
        data=VisitInput(visited_at=timezone.now() - timedelta(minutes=2), outcome="met", no_location_reason="GPS off"),
    )


def assert_nothing_written(resident, media_root: Path):
    assert not Visit.objects.filter(resident=resident).exists()
    assert not VisitPhoto.objects.filter(visit__resident=resident).exists()
    assert not AuditEvent.objects.filter(resident=resident, action=AuditEvent.Action.VISIT_RECORDED).exists()
    assert files_under(media_root) == []
    stored = type(resident).objects.get(pk=resident.pk)
    assert (stored.last_met_on, stored.due_on) == (None, stored.registered_on)  # the clock did not move


# --- refused --------------------------------------------------------------------------------

BAD_FILES = {
    "bomb_header_900_megapixels": lambda: png_of_size(30_000, 30_000),
    "over_pillows_warning_limit": lambda: png_of_size(10_000, 10_000),  # 100 MP: Pillow only warns
    "over_our_pixel_limit": lambda: png_of_size(8_000, 7_000),  # 56 MP: Pillow is fine with it
    "truncated_jpeg": lambda: noisy_jpeg()[: len(noisy_jpeg()) * 6 // 10],
    "truncated_png": lambda: noisy_png()[:9000],
    "html_renamed_jpg": lambda: b"<!doctype html><html><body><script>alert(1)</script></body></html>",
    "empty": lambda: b"",
    "gif": lambda: encoded(Image.new("P", (40, 30)), "GIF"),
    "bmp": lambda: encoded(Image.new("RGB", (40, 30)), "BMP"),
    "tiff": lambda: encoded(Image.new("RGB", (40, 30)), "TIFF"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_clean_photo_refuses_with_a_message_naming_the_file(kind):
    with pytest.raises(PhotoRejected) as exc:
        clean_photo(BAD_FILES[kind](), f"{kind}.jpg")
    assert f"{kind}.jpg" in str(exc.value)


def test_a_real_decompression_bomb_is_refused_before_decoding(bomb):
    with pytest.raises(PhotoRejected):
        clean_photo(bomb, "bomb.png")


def test_a_photo_just_under_the_pixel_limit_passes_the_check(settings):
    settings.DAIBAN_PHOTO_MAX_PIXELS = 400 * 300
    assert clean_photo(plain_jpeg(size=(400, 300))).width == 400
    with pytest.raises(PhotoRejected):
        clean_photo(plain_jpeg(size=(400, 301)))


# --- the cost of a photo is bounded before its pixels are decoded ------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_a_png_or_webp_past_its_pixel_limit_is_refused_from_the_header(fmt):
    # Six 7000 × 7000 PNGs of 62 KB each kept a worker busy for many seconds.
    huge = Image.new("RGB", (7000, 7000), (40, 80, 120))
    with pytest.raises(PhotoRejected) as exc:
        clean_photo(encoded(huge, fmt), "大图")
    assert str(exc.value) == "“大图”超过 16 百万像素，请用较低分辨率重新拍摄。"


def test_a_jpeg_of_that_size_is_decoded_at_a_quarter_of_its_pixels(monkeypatch):
    decoded = []
    load = ImageFile.ImageFile.load

    def spying_load(img):
        decoded.append(img.size)
        return load(img)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spying_load)
    clean = clean_photo(plain_jpeg(size=(6400, 4800)), "相机.jpg")
    assert decoded[0] == (3200, 2400)  # not the 31 megapixels of the file
    assert (clean.width, clean.height) == (1600, 1200)


@pytest.mark.parametrize("mode", ["RGBA", "P"])
def test_a_large_transparent_png_is_stored_shrunk_on_white(mode):
    img = Image.new("RGBA", (6400, 2400), (0, 0, 0, 0))
    img.paste((0, 0, 255, 255), (3200, 0, 6400, 2400))  # the right half blue
    if mode == "P":
        img = img.quantize(4)  # a palette with one transparent entry
        assert img.has_transparency_data
    clean = clean_photo(encoded(img, "PNG"), "截图.png")
    stored = Image.open(io.BytesIO(clean.image))
    assert stored.size == (clean.width, clean.height) == (1600, 600)
    assert min(stored.getpixel((200, 300))) > 240  # transparent became white, not black
    blue = stored.getpixel((1400, 300))
    assert blue[2] > 200 and blue[0] < 40
    assert Image.open(io.BytesIO(clean.thumbnail)).size == (320, 120)


def test_read_upload_refuses_a_file_over_the_byte_limit_without_reading_it_all(settings):
    data = noisy_jpeg()
    settings.DAIBAN_PHOTO_MAX_BYTES = len(data)
    assert read_upload(upload(data)) == data
    settings.DAIBAN_PHOTO_MAX_BYTES = len(data) - 1

    class Counting(io.BytesIO):
        read_sizes: list[int | None] = []

        def read(self, size=-1):
            self.read_sizes.append(size)
            return super().read(size)

    big = Counting(data)
    big.name = "大照片.jpg"
    with pytest.raises(PhotoRejected) as exc:
        read_upload(big)
    assert "大照片.jpg" in str(exc.value)
    assert big.read_sizes == [len(data)]  # one byte past the limit, never the whole stream


@pytest.mark.parametrize("kind", [*BAD_FILES, "too_many_bytes"])
def test_a_bad_photo_refuses_the_whole_visit_and_leaves_nothing(resident, worker, media_root, settings, kind):
    data = noisy_jpeg() if kind == "too_many_bytes" else BAD_FILES[kind]()
    settings.DAIBAN_PHOTO_MAX_BYTES = 50_000 if kind == "too_many_bytes" else settings.DAIBAN_PHOTO_MAX_BYTES
    good = upload(plain_jpeg(), "good.jpg")
    with pytest.raises(PhotoRejected) as exc:
        record(resident, worker, [good, upload(data, "bad.jpg")])
    assert "bad.jpg" in str(exc.value)
    assert_nothing_written(resident, media_root)


def test_a_real_bomb_refuses_the_visit(resident, worker, media_root, bomb):
    with pytest.raises(PhotoRejected):
        record(resident, worker, [upload(bomb, "bomb.png", "image/png")])
    assert_nothing_written(resident, media_root)


def test_a_failure_after_the_files_are_written_removes_them(resident, worker, media_root, monkeypatch):
    def audit_fails(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "audit", audit_fails)
    with pytest.raises(RuntimeError):
        record(resident, worker, [upload(plain_jpeg(), "a.jpg"), upload(plain_jpeg((1, 2, 3)), "b.jpg")])
    assert_nothing_written(resident, media_root)


def test_the_seventh_photo_is_refused(resident, worker, media_root, settings):
    assert settings.DAIBAN_PHOTOS_PER_VISIT == 6
    photos = [upload(plain_jpeg((30 * n, 10, 10)), f"{n}.jpg") for n in range(7)]
    with pytest.raises(ValidationError) as exc:
        record(resident, worker, photos)
    assert "photos" in exc.value.message_dict
    assert_nothing_written(resident, media_root)

    visit, _ = record(resident, worker, photos[:6])
    assert visit.photos.count() == 6 and len(files_under(media_root)) == 12
    with pytest.raises(ValidationError) as exc:
        services.visit_add_photos(actor=worker, visit=visit, uploads=[photos[6]])
    assert "photos" in exc.value.message_dict
    assert visit.photos.count() == 6 and len(files_under(media_root)) == 12
    # a photo the visit already has is no seventh photo
    _photos, created = services.visit_add_photos(actor=worker, visit=visit, uploads=[photos[0]])
    assert created == 0


# --- accepted ------------------------------------------------------------------------------


def test_a_rotated_phone_photo_is_stored_upright_without_any_metadata(resident, worker, media_root):
    visit, created = record(resident, worker, [upload(phone_photo(), "IMG_2024.jpg")])
    assert created
    photo = VisitPhoto.objects.get(visit=visit)
    assert (photo.width, photo.height) == (300, 400)  # portrait, as the phone showed it

    for name in (photo.image, photo.thumbnail):
        data, img = stored_image(name)
        assert img.format == "JPEG" and img.mode == "RGB"
        assert len(img.getexif()) == 0
        assert not set(img.info) & {"exif", "xmp", "comment", "icc_profile"}
        for secret in (b"Exif", GPS_MARKER, CAMERA_MARKER, b"XMP-MARKER", b"secret comment"):
            assert secret not in data, secret
    data, img = stored_image(photo.image)
    assert img.size == (300, 400) and photo.size_bytes == len(data)
    top_right, top_left = img.getpixel((290, 10)), img.getpixel((10, 10))
    assert top_right[0] > 200 and top_right[1] < 60  # the red corner turned with the picture
    assert min(top_left) > 200
    assert stored_image(photo.thumbnail)[1].size == (240, 320)
    assert files_under(media_root) == sorted(
        [media_root / "photos" / photo.image, media_root / "photos" / photo.thumbnail]
    )


def test_a_png_with_transparency_is_stored_as_jpeg_on_white(resident, worker, media_root):
    img = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    img.paste((0, 0, 255, 255), (100, 0, 200, 100))
    visit, _ = record(resident, worker, [upload(encoded(img, "PNG"), "screen.png", "image/png")])
    _data, stored = stored_image(visit.photos.get().image)
    assert stored.format == "JPEG" and stored.mode == "RGB"
    assert min(stored.getpixel((20, 50))) > 240  # transparent became white, not black
    blue = stored.getpixel((180, 50))
    assert blue[2] > 200 and blue[0] < 40


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_a_webp_is_stored_as_jpeg(resident, worker, media_root, mode):
    webp = encoded(Image.new(mode, (320, 200), (10, 160, 90, 255)[: len(mode)]), "WEBP")
    visit, _ = record(resident, worker, [upload(webp, "photo.webp", "image/webp")])
    photo = visit.photos.get()
    _data, stored = stored_image(photo.image)
    assert stored.format == "JPEG" and stored.size == (photo.width, photo.height) == (320, 200)


def test_a_large_photo_is_shrunk_and_its_recorded_size_is_the_stored_one(resident, worker, media_root):
    # 2399 × 599 is one of the sizes where a naive rounding differs from Pillow's by a pixel.
    visit, _ = record(resident, worker, [upload(plain_jpeg(size=(2399, 599)), "wide.jpg")])
    photo = visit.photos.get()
    _data, stored = stored_image(photo.image)
    assert stored.size == (photo.width, photo.height) == (1600, 400)
    assert max(stored_image(photo.thumbnail)[1].size) == 320


def test_the_same_picture_twice_in_one_visit_is_stored_once(resident, worker, media_root):
    data = plain_jpeg()
    visit, _ = record(resident, worker, [upload(data, "a.jpg"), upload(data, "a (1).jpg")])
    assert visit.photos.count() == 1 and len(files_under(media_root)) == 2
    assert AuditEvent.objects.get(action=AuditEvent.Action.VISIT_RECORDED, resident=resident).detail["photos"] == 1


def test_adding_the_same_photo_twice_stores_it_once(resident, worker, media_root):
    visit, _ = record(resident, worker, [])
    data = plain_jpeg((200, 30, 30))
    photos, created = services.visit_add_photos(actor=worker, visit=visit, uploads=[upload(data), upload(data)])
    assert (len(photos), created) == (1, 1)
    # The view hands over the visit as the one door loads it: with its photos prefetched.
    prefetched = selectors.visit_for_user_or_404(worker, visit.pk)
    photos, created = services.visit_add_photos(
        actor=worker, visit=prefetched, uploads=[upload(data, "again.jpg"), upload(plain_jpeg((1, 1, 1)))]
    )
    assert (len(photos), created) == (2, 1)
    assert VisitPhoto.objects.filter(visit=visit).count() == 2 and len(files_under(media_root)) == 4


def test_a_photo_landing_twice_at_once_leaves_no_stray_files(resident, worker, media_root):
    """Another request stored the same photo between the duplicate check and the insert:
    the unique constraint refuses this one, and its files, already written, are removed."""
    visit, _ = record(resident, worker, [])
    photo = clean_photo(plain_jpeg())
    VisitPhoto.objects.create(
        visit=visit,
        image="other.jpg",
        thumbnail="other.thumb.jpg",
        width=1,
        height=1,
        upload_digest=photo.upload_digest,
        size_bytes=1,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        photo_save(VisitPhoto, visit, photo)
    assert files_under(media_root) == []


def test_only_the_visits_author_adds_photos(resident, worker, media_root, demo_users):
    visit, _ = record(resident, worker, [])
    with pytest.raises(ValidationError) as exc:
        services.visit_add_photos(actor=demo_users["worker2"], visit=visit, uploads=[upload(plain_jpeg())])
    assert "photos" in exc.value.message_dict
    assert files_under(media_root) == []


def test_a_bad_photo_added_later_leaves_the_visit_as_it_was(resident, worker, media_root):
    visit, _ = record(resident, worker, [upload(plain_jpeg(), "first.jpg")])
    before = files_under(media_root)
    with pytest.raises(PhotoRejected):
        services.visit_add_photos(
            actor=worker, visit=visit, uploads=[upload(plain_jpeg((9, 9, 9)), "ok.jpg"), upload(b"GIF89a", "x.jpg")]
        )
    assert visit.photos.count() == 1 and files_under(media_root) == before
