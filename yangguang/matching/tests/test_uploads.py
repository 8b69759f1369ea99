"""The uploads of data comparison are never kept: a job that will not run (cancelled
while queued, cut off with its worker) deletes the list and its exchange key at once,
a retry asks for the file again, and the daily sweep deletes what a killed process left."""

from __future__ import annotations

import os
import time

import pytest
from django.test import Client

from yangguang.accounts import services as accounts
from yangguang.jobs import services as jobs
from yangguang.jobs import workers
from yangguang.jobs.models import Job, JobState
from yangguang.matching import exchange, views
from yangguang.matching import jobs as matching_jobs
from yangguang.matching.models import DepartmentList
from yangguang.matching.tests.conftest import DEATHS, id_of, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_upload(tmp_path, tmp_var, person, actor, monkeypatch):
    """A hashed list uploaded with its key, large enough (here: any) for a worker."""
    monkeypatch.setattr(views, "INLINE_BYTES", 0)
    a = person(姓名="王大明")
    key = tmp_path / "exchange.key"
    key.write_text(exchange.new_key() + "\n")
    hashed = tmp_path / "deaths-hashed.csv"
    exchange.hash_list(write_csv(tmp_path / "deaths.csv", DEATHS, [[a.name, id_of(a), "", "", "", "2025-01-02"]]),
                       exchange.read_key(key), hashed)
    user = accounts.create_user("uploader", "Yg-uploads-Tests-2025!", [("registrar", "140922")], actor=actor)
    client = Client()
    client.force_login(user)
    with open(hashed, "rb") as f, open(key, "rb") as k:
        assert client.post("/matching/", {"kind": "deaths", "file": f, "key_file": k}).status_code == 302
    job = Job.objects.get(kind="match_list")
    assert job.state == JobState.QUEUED
    assert sorted(p.suffix for p in matching_jobs.upload_dir().iterdir()) == [".csv", ".key"]
    return job, user


def test_a_queued_upload_cancelled_is_deleted_with_its_key_and_a_retry_asks_for_it_again(queued_upload):
    job, user = queued_upload
    jobs.cancel(job, actor=user)

    assert list(matching_jobs.upload_dir().iterdir()) == []
    jobs.retry(job, actor=user)
    job = jobs.run(job.pk)
    assert job.state == JobState.FAILED and "请重新上传名单" in job.error
    assert not DepartmentList.objects.exists()


def test_an_upload_whose_worker_died_is_deleted_when_the_job_is_settled(queued_upload):
    job, _user = queued_upload
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, worker="gone-host:1:dead")
    assert not workers.alive("gone-host:1:dead")

    assert jobs.settle_interrupted() == 1

    assert Job.objects.get(pk=job.pk).state == JobState.FAILED
    assert list(matching_jobs.upload_dir().iterdir()) == []


def test_the_daily_sweep_deletes_old_orphaned_uploads_but_not_those_a_job_waits_for(queued_upload):
    job, _user = queued_upload
    folder = matching_jobs.upload_dir()
    waiting = {p.name for p in folder.iterdir()}
    old_list, old_key, fresh = folder / "left.csv", folder / "left.key", folder / "fresh.csv"
    for file in (old_list, old_key, fresh):
        file.write_text("x")
    two_days_ago = time.time() - 48 * 3600
    for file in [old_list, old_key, *(folder / name for name in waiting)]:
        os.utime(file, (two_days_ago, two_days_ago))

    assert matching_jobs.sweep_orphaned_uploads() == 2

    assert {p.name for p in folder.iterdir()} == waiting | {"fresh.csv"}
    Job.objects.filter(pk=job.pk).update(state=JobState.CANCELLED)  # no longer waited for
    done = jobs.run(jobs.submit("sweep_match_uploads").pk)
    assert done.result == {"deleted": 2} and {p.name for p in folder.iterdir()} == {"fresh.csv"}
