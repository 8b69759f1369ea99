"""Jobs: submit, run, cancel, retry, the dead worker's jobs, the periodic jobs, and the
jobs page — on the real database, through the services and the test client."""

from __future__ import annotations

import datetime as dt
import re
import socket
import subprocess
import sys

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_tasks_db.models import DBTaskResult

from yangguang.accounts import services as accounts
from yangguang.accounts.models import Role
from yangguang.audit.models import AuditEvent
from yangguang.audit.services import record
from yangguang.demo.generator import create_person
from yangguang.jobs import kinds, services, workers
from yangguang.jobs.models import Job, JobState
from yangguang.registry.models import Certificate, CertificateStatus

pytestmark = pytest.mark.django_db

PASSWORD = "Yg-jobs-Tests-2025!"
COUNTY_A = "140922"  # 五台县
COUNTY_B = "610103"  # 碑林区


def _steps(job: Job, context: services.Context) -> dict:
    """A job kind for these tests: writes an audit event per step in one transaction,
    reporting progress; ``params`` may ask it to fail or to be cancelled mid-way."""
    with transaction.atomic():
        for step in range(3):
            context.progress(step, 3)
            record("test", "test_step", "job", job.pk, data={"step": step})
            if step == 1 and job.params.get("cancel_at_step_1"):
                services.cancel(Job.objects.get(pk=job.pk), actor="someone")
            if step == 1 and job.params.get("fail"):
                raise services.JobFailed("第2步无法完成")
        context.progress(3, 3)
        context.log("三步完成")
    return {"steps": 3}


kinds.register(kinds.JobKind("test_steps", "测试步骤", _steps, result_labels={"steps": "步数"}))


def _user(name: str, *roles: tuple[str, str]):
    return accounts.create_user(name, PASSWORD, list(roles), actor="test")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _dead_worker() -> str:
    """The worker id of a process that has ended, on this machine."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return f"{socket.gethostname()[:60]}:{ended.stdout.strip()}:gone"


def test_a_submitted_job_is_queued_and_runs_to_done_with_result_progress_and_log():
    owner = _user("owner", (Role.REGISTRAR, COUNTY_A))

    job = services.submit("test_steps", owner=owner, region_id=COUNTY_A.ljust(12, "0"))

    assert job.state == JobState.QUEUED
    task = DBTaskResult.objects.get()
    assert task.task_path == workers.RUN_JOB_PATH and task.args_kwargs["args"] == [str(job.pk)]

    ran = services.run(job.pk, worker="w1")

    job.refresh_from_db()
    assert ran is not None and job.state == JobState.DONE
    assert job.result == {"steps": 3} and (job.progress_done, job.progress_total) == (3, 3)
    assert job.attempts == 1 and job.worker == "w1" and job.finished_at is not None
    assert job.log_lines[-1].endswith("三步完成")
    assert AuditEvent.objects.filter(action="test_step").count() == 3
    assert services.run(job.pk) is None  # a job runs once


def test_cancelling_a_queued_job_ends_it_and_the_worker_skips_it():
    owner = _user("owner", (Role.REGISTRAR, COUNTY_A))
    job = services.submit("test_steps", owner=owner)

    services.cancel(job, actor=owner)

    assert job.state == JobState.CANCELLED and job.finished_at is not None
    assert services.run(job.pk) is None
    assert not AuditEvent.objects.filter(action="test_step").exists()
    assert AuditEvent.objects.filter(action="cancel", object_type="job",
                                     object_id=str(job.pk)).exists()


def test_cancelling_a_running_job_stops_it_at_its_next_progress_and_keeps_nothing():
    job = services.submit("test_steps", params={"cancel_at_step_1": True})

    services.run(job.pk)

    job.refresh_from_db()
    assert job.state == JobState.CANCELLED
    assert not AuditEvent.objects.filter(action="test_step").exists()  # rolled back
    assert "已按要求取消" in job.log
    assert not services.cancel_requested(job)


def test_a_failed_job_says_why_and_a_retry_runs_it_again():
    owner = _user("owner", (Role.REGISTRAR, COUNTY_A))
    job = services.submit("test_steps", owner=owner, params={"fail": True})
    services.run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error_message == "第2步无法完成"
    assert not AuditEvent.objects.filter(action="test_step").exists()

    Job.objects.filter(pk=job.pk).update(params={})  # the cause is put right
    services.retry(job, actor=owner)

    assert job.state == JobState.QUEUED and job.error == ""
    assert DBTaskResult.objects.count() == 2  # queued again (the first run was called here)
    services.run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.attempts == 2
    assert "重新排队运行" in job.log


def test_only_ended_jobs_are_retried_and_only_live_ones_cancelled():
    owner = _user("owner", (Role.REGISTRAR, COUNTY_A))
    job = services.submit("test_steps", owner=owner)
    with pytest.raises(services.ValidationFailed, match="只有失败或已取消的任务可以重试"):
        services.retry(job, actor=owner)
    services.run(job.pk)
    job.refresh_from_db()
    with pytest.raises(services.ValidationFailed, match="任务已经结束，不能取消"):
        services.cancel(job, actor=owner)


def test_a_job_whose_worker_died_is_settled_as_failed_and_its_task_too():
    dead = services.submit("test_steps")
    alive = services.submit("test_steps")
    Job.objects.filter(pk=dead.pk).update(state=JobState.RUNNING, worker=_dead_worker())
    Job.objects.filter(pk=alive.pk).update(state=JobState.RUNNING,
                                           worker=workers.this_process())
    DBTaskResult.objects.update(status="RUNNING")

    assert services.settle_interrupted() == 1

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.state == JobState.FAILED and "进程停止了" in dead.error
    assert alive.state == JobState.RUNNING
    statuses = {t.args_kwargs["args"][0]: t.status for t in DBTaskResult.objects.all()}
    assert statuses == {str(dead.pk): "FAILED", str(alive.pk): "RUNNING"}


def test_a_worker_elsewhere_is_alive_while_its_heartbeat_is_fresh(settings):
    elsewhere = "another-machine:123:abc"
    assert not workers.alive(elsewhere)
    workers.beat(elsewhere)
    assert workers.alive(elsewhere)
    settings.YANGGUANG_JOBS_WORKER_TIMEOUT = 0
    assert not workers.alive(elsewhere)


def test_the_daily_certificate_expiry_is_submitted_once_a_day_and_expires_what_is_due(actor):
    # Issued a year ago, so stored valid (a random issue date past ten years would be
    # stored expired, leaving the job nothing to expire), then its validity ended.
    person = create_person(actor=actor, 发证日期=timezone.localdate() - dt.timedelta(days=365))
    Certificate.objects.filter(person=person).update(
        valid_until=timezone.localdate() - dt.timedelta(days=1))
    today = timezone.localtime().replace(hour=0, minute=30)
    expiry = kinds.get("expire_certificates")
    assert expiry.daily_at == dt.time(1, 0)

    assert workers.submit_due(today) == []  # not yet 01:00
    first = workers.submit_due(today.replace(hour=1, minute=0))
    later = workers.submit_due(today.replace(hour=23))  # once a day, whoever asks
    # Due from 02:00 (upkeep), 02:30 (the needs the annual survey found), 03:00 (the
    # benefits screening), 03:30 (data comparison's leftover uploads) and 04:00 (the
    # benefits' monthly full screening, due from the 1st: once this month).
    assert sorted(job.kind for job in later) == ["needs_from_survey", "prune_tasks", "screen_benefits",
                                                 "screen_benefits_full", "sweep_match_uploads"]
    tomorrow = workers.submit_due(today.replace(hour=2) + dt.timedelta(days=1))

    # The certificate jobs of 01:00 (expiry, moves away without transfer), then upkeep.
    assert [job.kind for job in first] == ["expire_certificates", "moved_away_certificates"]
    assert [job.slot for job in tomorrow if job.kind == "expire_certificates"] == [
        f"expire_certificates@{(today + dt.timedelta(days=1)).date().isoformat()}"]
    assert [job.kind for job in tomorrow] == ["expire_certificates", "moved_away_certificates",
                                              "needs_from_survey", "prune_tasks"]
    services.run(first[0].pk)
    services.run(tomorrow[0].pk)  # idempotent: nothing more to expire
    done = {job.pk: job for job in Job.objects.filter(kind="expire_certificates")}
    assert done[first[0].pk].result == {"expired": 1}
    assert done[tomorrow[0].pk].result == {"expired": 0}
    assert person.certificates.get().status == CertificateStatus.EXPIRED


def test_the_queue_keeps_its_finished_tasks_for_30_days():
    old, recent = services.submit("test_steps"), services.submit("test_steps")
    task_of = {t.args_kwargs["args"][0]: t.pk for t in DBTaskResult.objects.all()}
    for job, days in ((old, 31), (recent, 29)):
        DBTaskResult.objects.filter(pk=task_of[str(job.pk)]).update(
            status="SUCCESSFUL", finished_at=timezone.now() - dt.timedelta(days=days))
    prune = services.submit("prune_tasks")

    services.run(prune.pk)

    prune.refresh_from_db()
    assert prune.result == {"pruned": 1}
    remaining = {t.args_kwargs["args"][0] for t in DBTaskResult.objects.all()}
    assert remaining == {str(recent.pk), str(prune.pk)}
    assert Job.objects.filter(pk=old.pk).exists()  # the job itself is kept


# ---------------------------------------------------------------------------
# The page


def test_the_jobs_page_lists_ones_own_jobs_with_progress_result_and_buttons():
    owner = _user("owner", (Role.REGISTRAR, COUNTY_A))
    other = _user("other", (Role.REGISTRAR, COUNTY_A))
    done = services.submit("test_steps", owner=owner)
    services.run(done.pk)
    failed = services.submit("test_steps", owner=owner, params={"fail": True})
    services.run(failed.pk)
    running = services.submit("test_steps", owner=owner)
    Job.objects.filter(pk=running.pk).update(state=JobState.RUNNING,
                                             worker=workers.this_process())
    services.Context(running).progress(1, 3)
    theirs = services.submit("test_steps", owner=other)
    client = _client(owner)

    page = client.get("/jobs/").content.decode()

    assert page.count(">测试步骤</a>") == 3 and str(theirs.pk) not in page
    assert "步数：3" in page and "第2步无法完成" in page
    assert re.search(r'<progress max="3" value="1"', page)
    assert '<noscript><meta http-equiv="refresh"' in page and 'hx-trigger="every 3s"' in page
    assert f'action="/jobs/{failed.pk}/retry/"' in page
    assert f'action="/jobs/{running.pk}/cancel/"' in page
    assert f'action="/jobs/{done.pk}/' not in page  # nothing to do with a finished job
    assert client.get(f"/jobs/{theirs.pk}/").status_code == 404
    assert client.post(f"/jobs/{theirs.pk}/cancel/").status_code == 404
    detail = client.get(f"/jobs/{done.pk}/").content.decode()
    assert "三步完成" in detail and "<th scope=\"row\">步数</th>" in detail


def test_retry_and_cancel_buttons_work_without_javascript():
    owner = _user("owner", (Role.REGISTRAR, COUNTY_A))
    failed = services.submit("test_steps", owner=owner, params={"fail": True})
    services.run(failed.pk)
    queued = services.submit("test_steps", owner=owner)
    client = _client(owner)

    response = client.post(f"/jobs/{failed.pk}/retry/", {"next": "/jobs/"})
    assert response.status_code == 302 and response["Location"] == "/jobs/"
    response = client.post(f"/jobs/{queued.pk}/cancel/", {"next": "https://elsewhere.example/"})
    assert response["Location"] == f"/jobs/{queued.pk}/"  # never off the site
    page = client.get(response["Location"]).content.decode()

    failed.refresh_from_db()
    queued.refresh_from_db()
    assert failed.state == JobState.QUEUED and queued.state == JobState.CANCELLED
    assert "任务已取消" in page
    again = client.post(f"/jobs/{queued.pk}/cancel/", follow=True).content.decode()
    assert "任务已经结束，不能取消" in again


def test_an_administrator_sees_the_jobs_of_their_regions_and_the_periodic_ones():
    admin = _user("admin", (Role.ADMINISTRATOR, COUNTY_A))
    mine = services.submit("test_steps", owner=_user("a", (Role.REGISTRAR, COUNTY_A)),
                           region_id=COUNTY_A.ljust(12, "0"))
    elsewhere = services.submit("test_steps", owner=_user("b", (Role.REGISTRAR, COUNTY_B)),
                                region_id=COUNTY_B.ljust(12, "0"))
    periodic = workers.submit_due(timezone.localtime().replace(hour=23))[0]
    client = _client(admin)

    page = client.get("/jobs/").content.decode()

    assert f"/jobs/{mine.pk}/" in page and f"/jobs/{periodic.pk}/" in page
    assert f"/jobs/{elsewhere.pk}/" not in page
    assert client.get(f"/jobs/{elsewhere.pk}/").status_code == 404
    assert "系统（定期任务）" in page and ">a<" in page  # who submitted each
    home = client.get("/").content.decode()
    assert "后台任务" in home  # in the menu


def test_the_jobs_page_in_english():
    owner = _user("owner", (Role.REGISTRAR, COUNTY_A))
    job = services.submit("test_steps", owner=owner, params={"fail": True})
    services.run(job.pk)
    client = _client(owner)

    page = client.get("/jobs/", headers={"Accept-Language": "en"}).content.decode()

    assert "Background jobs" in page and "Retry" in page and "Failed" in page


def _expiry(job: Job, context: services.Context) -> dict:
    context.log(gettext_noop("到期的残疾人证：{count}本"), count=7)
    raise RuntimeError("a bug")


kinds.register(kinds.JobKind("test_expiry", "测试到期", _expiry))


def test_log_lines_and_errors_are_stored_as_messages_and_shown_in_the_readers_language():
    owner = _user("owner", (Role.REGISTRAR, COUNTY_A))
    job = services.submit("test_expiry", owner=owner)
    services.run(job.pk)
    job.refresh_from_db()
    # Stored as a message id and its parameters, not as rendered text.
    assert '"m": "到期的残疾人证：{count}本", "p": {"count": 7}' in job.log
    client = _client(owner)

    english = client.get(f"/jobs/{job.pk}/", headers={"Accept-Language": "en"}).content.decode()
    chinese = client.get(f"/jobs/{job.pk}/").content.decode()

    assert "Certificates expired: 7" in english and "A system error occurred while it ran" in english
    assert "到期的残疾人证：7本" in chinese and "运行时发生了系统错误" in chinese
    assert "{count}" not in english + chinese and '"m"' not in english + chinese


def test_a_log_and_error_written_as_plain_text_before_messages_stay_readable():
    owner = _user("owner", (Role.REGISTRAR, COUNTY_A))
    job = services.submit("test_steps", owner=owner)
    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED, error="旧的错误说明",
                                         log="2026-01-02 03:04:05 旧的日志行\n")

    page = _client(owner).get(f"/jobs/{job.pk}/", headers={"Accept-Language": "en"}).content.decode()

    assert "旧的错误说明" in page and "2026-01-02 03:04:05 旧的日志行" in page
