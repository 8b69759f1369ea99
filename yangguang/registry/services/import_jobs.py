"""Imports started from the import page.

The upload is kept under ``MEDIA_ROOT/imports`` with a random name until it has been
imported, then deleted. A small file is imported within the upload request; a large
one in a background thread started once the job row is committed, whose progress
goes to the ``progress`` cache (on disk, so any server process can answer the page's
poll). The import itself is ``importing.import_file``, the same as the command line's,
limited to the regions where the user may edit persons.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.files.uploadedfile import UploadedFile
from django.db import connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_prefixes
from yangguang.audit.services import Actor
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.registry import importing
from yangguang.registry.models import ImportJob, ImportJobStatus

log = logging.getLogger(__name__)

UPLOAD_DIR = "imports"
ALLOWED_SUFFIXES = (".xlsx", ".xls", ".csv")
#: How many row errors the job keeps for its page; the error report has them all.
ERRORS_KEPT = 500
PROGRESS_TIMEOUT = 24 * 60 * 60
#: A queued or running job whose progress has not moved for this long was cut off:
#: its server process stopped. The import is one transaction, so nothing was written.
STALLED_AFTER = 30 * 60
#: Error reports hold the rejected rows as typed, ID numbers included: kept this long.
REPORT_DAYS = 7

MESSAGES = {
    "file_required": _("请选择要导入的文件"),
    "file_type": _("文件“{value}”不是 XLSX、XLS 或 CSV 文件"),
    "file_empty": _("文件“{value}”是空的"),
}


def _problem(code: str, **params: Any) -> Problem:
    return Problem(code=code, field="file", template=MESSAGES[code], params=params)


def _directory() -> Path:
    directory = Path(settings.MEDIA_ROOT) / UPLOAD_DIR
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def upload_path(job: ImportJob) -> Path:
    return _directory() / f"{job.pk.hex}{Path(job.file_name).suffix.lower()}"


def report_path(job: ImportJob) -> Path:
    """Where the error report of the job's rejected rows is (when it has any)."""
    return _directory() / f"{job.pk.hex}-errors.xlsx"


def _progress_key(job_id: uuid.UUID | str) -> str:
    return f"import:{job_id}"


def progress(job: ImportJob) -> dict[str, int | None]:
    """``{"done": rows read, "total": rows in the file or None}`` of a running job."""
    latest = caches["progress"].get(_progress_key(job.pk)) or {}
    return {"done": latest.get("done", 0), "total": latest.get("total")}


def _note_progress(job_id: uuid.UUID, done: int, total: int | None) -> None:
    caches["progress"].set(_progress_key(job_id), {"done": done, "total": total, "at": time.time()},
                           PROGRESS_TIMEOUT)


def settle_if_stalled(job: ImportJob) -> bool:
    """Mark ``job`` failed when it stopped moving ``STALLED_AFTER`` ago (its process was
    stopped: a restart, a crash); True when it did. Pages call it on the jobs they show,
    so no job stays "running" for ever."""
    if job.finished:
        return False
    latest = caches["progress"].get(_progress_key(job.pk)) or {}
    moved = latest.get("at") or job.created_at.timestamp()
    if time.time() - moved < STALLED_AFTER:
        return False
    settled = ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportJobStatus.QUEUED, ImportJobStatus.RUNNING],
    ).update(status=ImportJobStatus.FAILED, error=gettext(
        "导入被中断（服务程序停止运行），没有写入任何数据。请重新上传文件导入。"),
        finished_at=timezone.now())
    if settled:
        upload_path(job).unlink(missing_ok=True)
        caches["progress"].delete(_progress_key(job.pk))
        job.refresh_from_db()
    return bool(settled)


def import_scope(user: Any) -> tuple[str, ...]:
    """The region code prefixes under which ``user`` may edit persons."""
    return tuple(scope_prefixes(user, Capability.EDIT_PERSON))


def start_import(user: Any, upload: UploadedFile | None, *, dry_run: bool) -> ImportJob:
    """Keep the upload and import it: now when it is small, else in a background thread.

    Raises ``ValidationFailed`` (field ``file``) when no file, an empty file or a file
    that is not XLSX, XLS or CSV was uploaded; nothing is kept then.
    """
    if upload is None:
        raise ValidationFailed([_problem("file_required")])
    name = Path(upload.name or "").name[:255]
    if Path(name).suffix.lower() not in ALLOWED_SUFFIXES:
        raise ValidationFailed([_problem("file_type", value=name)])
    if not upload.size:
        raise ValidationFailed([_problem("file_empty", value=name)])
    purge_old_files()
    job = ImportJob.objects.create(user=user, file_name=name, dry_run=dry_run)
    path = upload_path(job)
    with open(path, "xb") as target:
        path.chmod(0o600)
        for chunk in upload.chunks():
            target.write(chunk)
    language = translation.get_language()
    if upload.size <= settings.YANGGUANG_IMPORT_INLINE_BYTES:
        run_import_job(job.pk, language=language)
        job.refresh_from_db()
    else:
        _note_progress(job.pk, 0, None)
        transaction.on_commit(lambda: _start_thread(job.pk, language))
    return job


def purge_old_files(days: int = REPORT_DAYS) -> int:
    """Delete error reports, and uploads left by an interrupted import, older than ``days``.

    Returns how many files were deleted.
    """
    cutoff = time.time() - days * 24 * 60 * 60
    deleted = 0
    for path in _directory().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                deleted += 1
        except FileNotFoundError:  # deleted by another request meanwhile
            continue
    return deleted


def _start_thread(job_id: uuid.UUID, language: str | None) -> None:
    def run() -> None:
        try:
            run_import_job(job_id, language=language)
        finally:
            connections.close_all()

    threading.Thread(target=run, name=f"import-{job_id}", daemon=True).start()


def run_import_job(job_id: uuid.UUID | str, *, language: str | None = None) -> None:
    """Import a queued job's file and record the outcome on the job; delete the upload.

    A job runs once: a job that is no longer queued is left alone.
    """
    if not ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.QUEUED).update(
            status=ImportJobStatus.RUNNING):
        return
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    cache = caches["progress"]

    def report_progress(done: int, total: int | None) -> None:
        _note_progress(job.pk, done, total)

    path = upload_path(job)
    with translation.override(language or settings.LANGUAGE_CODE):
        try:
            result = importing.import_file(
                path, actor=Actor.of(job.user), dry_run=job.dry_run,
                progress=report_progress, scope=import_scope(job.user), source=job.file_name,
            )
            if result.rejected:
                importing.write_report(result, report_path(job))
            summary = result.to_json()
            summary["errors_total"] = len(summary["errors"])
            summary["errors"] = summary["errors"][:ERRORS_KEPT]
            job.status, job.result = ImportJobStatus.DONE, summary
        except importing.UnreadableFile as exc:
            job.status, job.error = ImportJobStatus.FAILED, str(exc)
        except Exception:
            log.exception("import job %s failed", job.pk)
            job.status = ImportJobStatus.FAILED
            job.error = gettext("导入时发生了系统错误，没有写入任何数据。请稍后重试，或联系系统管理员。")
        finally:
            path.unlink(missing_ok=True)
            cache.delete(_progress_key(job.pk))
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "result", "error", "finished_at"])
