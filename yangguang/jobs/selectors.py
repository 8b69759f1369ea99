"""Reads of jobs, always scoped: a user sees the jobs they submitted; an
administrator also those of the regions they administer, and the periodic ones."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_paths
from yangguang.jobs.models import Job, JobState


def sees_others_jobs(user: Any) -> bool:
    return bool(scope_paths(user, Capability.MANAGE_USERS))


def jobs_visible_to(user: Any) -> QuerySet[Job]:
    visible = Q(owner=user)
    paths = scope_paths(user, Capability.MANAGE_USERS)
    if paths:
        visible |= Q(owner__isnull=True, region__isnull=True)  # the periodic jobs
        for path in paths:
            visible |= Q(region__path__startswith=path)
    return (Job.objects.filter(visible).select_related("owner", "region")
            .order_by("-created_at"))


def get_job_for(user: Any, pk: Any) -> Job:
    """The job, if ``user`` may see it; else 404 (another's job does not exist for them)."""
    try:
        return jobs_visible_to(user).get(pk=pk)
    except (Job.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def failed_count(user: Any, *, within: int) -> int:
    """The user's visible jobs that failed in the last ``within`` days."""
    since = timezone.now() - dt.timedelta(days=within)
    return jobs_visible_to(user).filter(state=JobState.FAILED, finished_at__gte=since).count()
