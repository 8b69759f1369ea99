"""Data comparison's background job (``yangguang.jobs.kinds``): keep an uploaded list
and match it, for the user who uploaded it and within their regions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from yangguang.audit.services import Actor
from yangguang.jobs.kinds import JobKind, register
from yangguang.matching import exchange, kinds, services


def match_list(job: Any, context: Any) -> dict[str, Any]:
    """Import the uploaded file as a list (``params``: path, kind, department, date,
    file name; ``key_path`` for a hashed list's exchange key) and match it with the
    persons of the owner's regions. The upload and the key are deleted once the job
    has run, whatever its end: the platform keeps neither."""
    params = job.params
    path = Path(params["path"])
    key_path = Path(params["key_path"]) if params.get("key_path") else None
    try:
        return _match(job, context, path, key_path)
    finally:
        path.unlink(missing_ok=True)
        if key_path is not None:
            key_path.unlink(missing_ok=True)


def _match(job: Any, context: Any, path: Path, key_path: Path | None) -> dict[str, Any]:
    params = job.params
    user = get_user_model().objects.get(pk=job.owner_id)
    key = exchange.read_key(key_path) if key_path is not None else None
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
    run = services.run_match(stored, actor=Actor.of(user), user=user, key=key)
    context.progress(run.rows, run.rows)
    context.log(gettext_noop("名单已比对：{rows}行"), rows=run.rows)
    return {"run": run.pk, **run.summary()}


register(JobKind("match_list", _("部门名单比对"), match_list, result_labels={
    "rows": _("名单行数"), "matched_exact": _("精确匹配"), "matched_probable": _("概率匹配"),
    "review": _("待复核"), "unmatched": _("未匹配"), "rejected": _("有问题的行"),
    "key_missing": _("缺少交换密钥")}))
