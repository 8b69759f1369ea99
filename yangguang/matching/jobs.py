"""Data comparison's background jobs (``yangguang.jobs.kinds``): keep an uploaded list
and match it, for the user who uploaded it and within their regions; and the daily
sweep of uploads no job will use.

The upload and a hashed list's exchange key wait in the upload folder
(``upload_dir``) only until the job has run, whatever its end, or ends without
running: cancelled while queued, or cut off with its worker (``discard_upload``).
What a killed process leaves anyway, the sweep deletes: the platform keeps neither.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from yangguang.audit.services import Actor
from yangguang.core.errors import ValidationFailed
from yangguang.core.files import delete_older_than
from yangguang.jobs.kinds import JobKind, register
from yangguang.jobs.models import Job, JobState
from yangguang.jobs.services import JobFailed
from yangguang.matching import exchange, kinds, linking, services

#: Under MEDIA_ROOT.
UPLOAD_DIR = "matching"
#: The parameters of a ``match_list`` job naming files in the upload folder.
FILE_PARAMS = ("path", "key_path")


def upload_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / UPLOAD_DIR


def discard_upload(job: Any) -> None:
    """Delete the job's upload and exchange key (either may be gone already)."""
    for name in FILE_PARAMS:
        if job.params.get(name):
            Path(job.params[name]).unlink(missing_ok=True)


def match_list(job: Any, context: Any) -> dict[str, Any]:
    """Import the uploaded file as a list (``params``: path, kind, department, date,
    file name; ``key_path`` for a hashed list's exchange key) and match it with the
    persons of the owner's regions. The upload and the key are deleted once the job
    has run, whatever its end."""
    params = job.params
    path = Path(params["path"])
    key_path = Path(params["key_path"]) if params.get("key_path") else None
    try:
        if not path.exists() or (key_path is not None and not key_path.exists()):
            raise JobFailed(gettext_noop("上传的文件已经删除（任务曾被取消或中断，平台不保留上传的名单和密钥）："
                                         "请重新上传名单。"))
        return _match(job, context, path, key_path)
    finally:
        discard_upload(job)


def _match(job: Any, context: Any, path: Path, key_path: Path | None) -> dict[str, Any]:
    params = job.params
    user = get_user_model().objects.get(pk=job.owner_id)
    key = exchange.read_key(key_path) if key_path is not None else None
    try:
        linking.check_engine(settings.YANGGUANG_MATCHING_ENGINE)  # before the list is kept
    except linking.EngineUnavailable as exc:
        raise JobFailed(exc.msgid, **exc.params) from None
    result, stored = services.import_list(
        kinds.get(params["kind"]), path, actor=Actor.of(user), department=params.get("department", ""),
        list_date=dt.date.fromisoformat(params["date"]) if params.get("date") else None,
        file_name=params.get("file_name", ""), progress=context.progress)
    if stored is None:
        for error in result.errors[:50]:
            context.log(gettext_noop("第{row}行 {column}：{message}"), row=error.row, column=error.column,
                        message=error.message)
        return {"rows": result.rows, "rejected": result.rejected}
    if stored.hashed and key is None:
        context.log(gettext_noop("名单的身份号码是部门摘要，没有交换密钥，未比对"))
        return {"rows": result.rows, "key_missing": 1}
    try:
        run = services.run_match(stored, actor=Actor.of(user), user=user, key=key)
    except ValidationFailed as exc:  # the key is not the list's: say so on the jobs page
        problem = exc.problems[0]
        with translation.override(None):
            raise JobFailed(str(problem.template), **problem.params) from None
    context.progress(run.rows, run.rows)
    context.log(gettext_noop("名单已比对：{rows}行"), rows=run.rows)
    return {"run": run.pk, **run.summary()}


def sweep_orphaned_uploads(now: float | None = None) -> int:
    """Delete the files of the upload folder older than
    ``YANGGUANG_MATCHING_UPLOAD_MAX_HOURS`` that no queued or running job will read
    (a process killed outright frees nothing); the count deleted."""
    waiting = {str(Path(params[name]))
               for params in Job.objects.filter(kind="match_list", state__in=[JobState.QUEUED, JobState.RUNNING])
               .values_list("params", flat=True)
               for name in FILE_PARAMS if params.get(name)}
    return delete_older_than(upload_dir(), settings.YANGGUANG_MATCHING_UPLOAD_MAX_HOURS * 3600,
                             keep=waiting, now=now)


def sweep_uploads(job: Any, context: Any) -> dict[str, Any]:
    return {"deleted": sweep_orphaned_uploads()}


register(JobKind("match_list", _("部门名单比对"), match_list, result_labels={
    "rows": _("名单行数"), "matched_exact": _("精确匹配"), "matched_probable": _("概率匹配"),
    "review": _("待复核"), "unmatched": _("未匹配"), "rejected": _("有问题的行"),
    "key_missing": _("缺少交换密钥")}, discard=discard_upload))
register(JobKind("sweep_match_uploads", _("清理遗留的比对上传文件"), sweep_uploads,
                 daily_at=dt.time(3, 30), result_labels={"deleted": _("删除的文件")}))
