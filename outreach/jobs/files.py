"""Where a job's file is kept: the default storage (local disk, or the object store when
configured), under ``jobs/``, which no URL serves — the download view checks that the
person asking started the job."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import QuerySet

from outreach.models import Job


def job_file_save(*, job: Job, data: bytes, extension: str, filename: str) -> None:
    name = f"jobs/{job.pk}.{extension}"
    if default_storage.exists(name):  # a job run again writes its file again
        default_storage.delete(name)
    job.result_file = default_storage.save(name, ContentFile(data))
    job.result_filename = filename


def job_files_delete(*, jobs: QuerySet[Job]) -> None:
    for name in jobs.exclude(result_file="").values_list("result_file", flat=True):
        default_storage.delete(name)
