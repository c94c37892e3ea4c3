"""Attaching uploaded photos to the record they belong to: a visit, an errand's delivery
receipt or a branch activity. One owner for the rules every writer keeps: at most
DAIBAN_PHOTOS_PER_VISIT photos, every one cleaned before anything is written (one bad
photo and nothing is stored), the same picture stored once per owner (by upload
digest, and by the key the phone gave it when it gave one), and no file left behind by a
transaction that failed."""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from outreach.photos.models import StoredPhoto
from outreach.photos.pipeline import CleanPhoto, clean_photo, delete_stored, read_upload, store_photo


class PhotoUploads[P: StoredPhoto]:
    """Photos on their way to one kind of owner: cleaned when made, before the writer's
    transaction opens; written and attached inside it; their files deleted again if it
    fails. ``too_many`` is the message for one photo over the limit, with ``%(n)d``.
    ``keys``, one per upload when given, are the keys the phone made for its photos
    (only a model with a ``client_key`` field keeps them).

    The writer wraps its transaction::

        photos = PhotoUploads(VisitPhoto, uploads, too_many=_("A visit can have at most %(n)d photos."))
        with photos.cleanup_on_failure(), transaction.atomic():
            ...
            photos.attach(visit)
    """

    def __init__(
        self,
        model: type[P],
        uploads: Iterable[UploadedFile],
        *,
        too_many: str,
        keys: Sequence[UUID | None] = (),
    ) -> None:
        self.model = model
        self.too_many = too_many
        files = list(uploads)
        if keys and len(keys) != len(files):
            raise ValidationError({"keys": _("Send one key per photo, or none.")})
        each = photos_clean_each(files, too_many=too_many)
        self.photos = list({photo.upload_digest: photo for photo in each}.values())
        # The key of each picture kept (the first one given for a picture picked twice).
        self.keys: dict[str, UUID | None] = {}
        for photo, key in zip(each, keys or [None] * len(each), strict=True):
            self.keys.setdefault(photo.upload_digest, key)
        self._written: list[str] = []

    def __len__(self) -> int:
        return len(self.photos)

    @contextmanager
    def cleanup_on_failure(self) -> Iterator[None]:
        """Around the writer's transaction: whatever fails inside, the files this batch
        wrote go (the rows went with the rollback)."""
        try:
            yield
        except BaseException:
            delete_stored(self._written)
            raise

    def attach(self, owner: Model) -> None:
        """Attach every photo to a new owner (one that has no photos yet)."""
        for photo in self.photos:
            self._written.extend(photo_save(self.model, owner, photo, client_key=self.keys.get(photo.upload_digest)))

    def add(self, owner: Model) -> int:
        """Attach the photos ``owner`` does not have yet, keeping to the limit together
        with those it has; returns how many were new. The caller holds a lock on the
        owner, so two uploads to it take turns."""
        keyed = any(self.keys.values())
        rows = self.model._default_manager.filter(**{self.model.owner_field: owner})
        stored: list[tuple[str, UUID | None]] = (
            list(rows.values_list("upload_digest", "client_key"))
            if keyed
            else [(upload_digest, None) for upload_digest in rows.values_list("upload_digest", flat=True)]
        )
        known = {upload_digest for upload_digest, _key in stored}
        known_keys = {key for _digest, key in stored if key}
        # A photo is there already when its picture is, or its key (an upload cut off
        # after it was stored, whose second send may not carry the very same bytes).
        fresh = [
            photo
            for photo in self.photos
            if photo.upload_digest not in known and self.keys.get(photo.upload_digest) not in known_keys
        ]
        if len(stored) + len(fresh) > settings.DAIBAN_PHOTOS_PER_VISIT:
            raise _too_many(self.too_many)
        created = 0
        for photo in fresh:
            try:
                with transaction.atomic():
                    key = self.keys.get(photo.upload_digest)
                    self._written.extend(photo_save(self.model, owner, photo, client_key=key))
                    created += 1
            except IntegrityError:  # the same photo arrived concurrently
                pass
        return created


def photos_clean(uploads: list[UploadedFile], *, too_many: str) -> list[CleanPhoto]:
    """Every upload through the pipeline: one bad photo rejects them all. The same
    picture picked twice is kept once."""
    photos = photos_clean_each(uploads, too_many=too_many)
    return list({photo.upload_digest: photo for photo in photos}.values())


def photos_clean_each(uploads: list[UploadedFile], *, too_many: str) -> list[CleanPhoto]:
    """Every upload through the pipeline, one clean photo per upload, in their order."""
    if len(uploads) > settings.DAIBAN_PHOTOS_PER_VISIT:
        raise _too_many(too_many)
    return [clean_photo(read_upload(upload), getattr(upload, "name", "")) for upload in uploads]


def photo_save[P: StoredPhoto](
    model: type[P], owner: Model, photo: CleanPhoto, *, client_key: UUID | None = None
) -> list[str]:
    """Write one photo's files and its row; returns the file names."""
    image_name, thumb_name = store_photo(photo)
    keyed = {"client_key": client_key} if client_key else {}
    try:
        model._default_manager.create(
            **{model.owner_field: owner},
            **keyed,
            image=image_name,
            thumbnail=thumb_name,
            upload_digest=photo.upload_digest,
            width=photo.width,
            height=photo.height,
            size_bytes=len(photo.image),
        )
    except BaseException:  # the caller never learns these names, so they go now
        delete_stored([image_name, thumb_name])
        raise
    return [image_name, thumb_name]


def _too_many(message: str) -> ValidationError:
    return ValidationError({"photos": message % {"n": settings.DAIBAN_PHOTOS_PER_VISIT}})
