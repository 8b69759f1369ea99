"""Imports started from the import page.

The upload is kept under ``MEDIA_ROOT/imports`` with a random name until it has been
imported, then deleted; after a dry run it is kept, so that 「确认导入」 imports the same
file (``confirm_import``) without a second upload. Each import is a background job of kind ``import``
(``yangguang.jobs``, registered in ``registry.jobs``): a small file's job runs within
the upload request, a large one's in a worker process (``yangguang worker``), whose
progress the page polls. The import itself is ``imports.running.import_file`` for the
job's kind, the same as the command line's, limited to the regions of the kind's
capability; it is one
transaction, so an import cut off (a killed worker) leaves nothing, and its job can be
retried: the upload is kept until the import has run to its end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from yangguang.accounts.selectors import home_region_code
from yangguang.audit.services import Actor
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.core.files import delete_older_than
from yangguang.imports import spec
from yangguang.imports.reading import UnreadableFile
from yangguang.imports.running import import_file
from yangguang.imports.workbook import write_report
from yangguang.jobs import services as jobs
from yangguang.jobs.messages import encode
from yangguang.jobs.models import Job, JobState
from yangguang.registry.models import ImportJob, ImportJobStatus

UPLOAD_DIR = "imports"
ALLOWED_SUFFIXES = (".xlsx", ".xls", ".csv")
#: How many row errors the job keeps for its page; the error report has them all.
ERRORS_KEPT = 500
#: Error reports hold the rejected rows as typed, ID numbers included: kept this long.
REPORT_DAYS = 7

MESSAGES = {
    "file_required": _("请选择要导入的文件"),
    "file_type": _("文件“{value}”不是 XLSX、XLS 或 CSV 文件"),
    "file_empty": _("文件“{value}”是空的"),
    "file_gone": _("试导入的文件已经导入过，或已超过保存期限，请重新上传"),
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


def progress(job: ImportJob) -> dict[str, int | None]:
    """``{"done": rows read, "total": rows in the file or None}`` of a running job."""
    return jobs.progress(job.job) if job.job else {"done": 0, "total": None}


#: What the import page says of an import whose job ended other than done (stored as a
#: message, ``jobs.messages``, and shown in the reader's language).
_ENDED = {
    JobState.CANCELLED: encode(gettext_noop("导入已取消，没有写入任何数据。")),
}


def sync_status(job: ImportJob) -> bool:
    """Bring ``job``'s status in line with its background job's when the import itself
    could not say: its worker was killed (the job is settled as failed: nothing was
    written, the upload is kept for a retry), or the job was queued again (retry).
    Pages call it on the imports they show. True when the status changed."""
    if job.job is None or job.status == ImportJobStatus.DONE:
        return False
    jobs.settle_interrupted([job.job])
    state = job.job.state
    if state in (JobState.QUEUED, JobState.RUNNING):
        status, error = ImportJobStatus(state), ""
    elif state == JobState.DONE:
        return False  # the import wrote its own outcome
    else:
        status, error = ImportJobStatus.FAILED, _ENDED.get(state, job.job.error)
    if (job.status, job.error) == (status, error):
        return False
    job.status, job.error = status, error
    job.finished_at = job.job.finished_at
    job.save(update_fields=["status", "error", "finished_at"])
    return True


def import_scope(user: Any, kind: spec.ImportKind) -> tuple[str, ...]:
    """The region code prefixes under which ``user`` may import ``kind``: the write scope
    of the kind's capability, as every write path passes it to the services."""
    from yangguang.registry.services import write_scope

    return write_scope(user, kind.capability)


def start_import(user: Any, upload: UploadedFile | None, *, dry_run: bool,
                 kind: str = "persons") -> ImportJob:
    """Keep the upload and import it as a background job: within this request when the
    file is small, else in a worker.

    Raises ``ValidationFailed`` (field ``file``) when no file, an empty file or a file
    that is not XLSX, XLS or CSV was uploaded; nothing is kept then. (The import
    checks the file against the limits before it reads it.)
    """
    if upload is None:
        raise ValidationFailed([_problem("file_required")])
    name = Path(upload.name or "").name[:255]
    if Path(name).suffix.lower() not in ALLOWED_SUFFIXES:
        raise ValidationFailed([_problem("file_type", value=name)])
    if not upload.size:
        raise ValidationFailed([_problem("file_empty", value=name)])
    purge_old_files()
    with transaction.atomic():
        job = ImportJob.objects.create(user=user, kind=kind, file_name=name, dry_run=dry_run)
        path = upload_path(job)
        with open(path, "xb") as target:
            path.chmod(0o600)
            for chunk in upload.chunks():
                target.write(chunk)
    return _submit(job, inline=upload.size <= settings.YANGGUANG_IMPORT_INLINE_BYTES)


def _submit(job: ImportJob, *, inline: bool) -> ImportJob:
    """Run the import of ``job``'s upload as a background job (now when ``inline``)."""
    with transaction.atomic():
        job.job = jobs.submit("import", owner=job.user,
                              region_id=home_region_code(job.user) or None,
                              params={"import": str(job.pk),
                                      "language": translation.get_language()},
                              queue=not inline)
        job.save(update_fields=["job"])
    if inline:
        jobs.run(job.job.pk)
        job.refresh_from_db()
    return job


def can_confirm(job: ImportJob) -> bool:
    """Whether 「确认导入」 may import ``job``'s file: a finished dry run whose upload
    is still kept (not yet confirmed, not purged)."""
    return (job.dry_run and job.status == ImportJobStatus.DONE
            and upload_path(job).exists())


def confirm_import(user: Any, dry_run: ImportJob) -> ImportJob:
    """Import for real the file of ``user``'s finished dry run ``dry_run``, without a
    second upload: the upload moves to a new import job, so a dry run is confirmed once.

    Raises ``ValidationFailed`` (field ``file``) when the file is no longer kept
    (already confirmed, or purged after ``REPORT_DAYS``).
    """
    if dry_run.user_id != user.pk or not dry_run.dry_run or dry_run.status != ImportJobStatus.DONE:
        raise ValidationFailed([_problem("file_gone")])
    source = upload_path(dry_run)
    with transaction.atomic():
        job = ImportJob.objects.create(user=user, kind=dry_run.kind, file_name=dry_run.file_name,
                                       dry_run=False)
        try:
            # Atomic: of two confirmations of one dry run, one finds the file gone.
            source.rename(upload_path(job))
        except FileNotFoundError:
            raise ValidationFailed([_problem("file_gone")]) from None
    size = upload_path(job).stat().st_size
    return _submit(job, inline=size <= settings.YANGGUANG_IMPORT_INLINE_BYTES)


def purge_old_files(days: int = REPORT_DAYS) -> int:
    """Delete error reports, and uploads left by an interrupted import, older than ``days``.

    Returns how many files were deleted.
    """
    return delete_older_than(_directory(), days * 24 * 60 * 60)


def run_import_job(job: Job, context: jobs.Context) -> dict[str, Any]:
    """The ``import`` job's work: import the job's upload and record the outcome on its
    import; delete the upload once the import has run to its end. Returns the counts
    (the job's result: no rows, no personal data)."""
    record = ImportJob.objects.select_related("user").get(pk=job.params["import"])
    ImportJob.objects.filter(pk=record.pk).update(status=ImportJobStatus.RUNNING, error="",
                                                  finished_at=None)
    path = upload_path(record)
    if not path.exists():
        gone = gettext_noop("上传的文件已不在（超过保存期限），请重新上传。")
        _end(record, ImportJobStatus.FAILED, encode(gone))
        raise jobs.JobFailed(gone)
    kind = spec.get(record.kind)
    with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
        try:
            result = import_file(
                kind, path, actor=Actor.of(record.user), dry_run=record.dry_run,
                progress=context.progress, scope=import_scope(record.user, kind),
                source=record.file_name,
            )
        except UnreadableFile as exc:
            path.unlink(missing_ok=True)
            _end(record, ImportJobStatus.FAILED, str(exc))
            raise jobs.JobFailed(str(exc)) from exc
        except jobs.Cancelled:
            _end(record, ImportJobStatus.FAILED, _ENDED[JobState.CANCELLED])
            raise
        except Exception:
            _end(record, ImportJobStatus.FAILED, encode(gettext_noop(
                "导入时发生了系统错误，没有写入任何数据。请稍后重试，或联系系统管理员。")))
            raise
        if result.rejected:
            write_report(kind, result, report_path(record))
    if not record.dry_run:  # a dry run's file stays for 「确认导入」
        path.unlink(missing_ok=True)
    summary = result.to_json()
    summary["errors_total"] = len(summary["errors"])
    summary["errors"] = summary["errors"][:ERRORS_KEPT]
    record.result = summary
    _end(record, ImportJobStatus.DONE, "")
    context.log(gettext_noop("{file}：{rows}行，新登记{created}，更新{updated}，没有变化{unchanged}，有问题{rejected}"),
                file=record.file_name, **{k: summary[k] for k in ("rows", "created", "updated", "unchanged",
                                                                   "rejected")})
    return {k: summary[k] for k in ("rows", "created", "updated", "unchanged", "rejected")}


def _end(record: ImportJob, status: str, error: str) -> None:
    record.status, record.error, record.finished_at = status, error, timezone.now()
    record.save(update_fields=["status", "result", "error", "finished_at"])
