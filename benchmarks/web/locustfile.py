"""The simulated staff of the web benchmark (run by ``run.py`` through locust).

Environment: ``WEBBENCH_PLAN`` (prepare.py's JSON), ``WEBBENCH_PHASE`` (``yangguang``
or ``baseline``: which pages), ``WEBBENCH_OUT`` (where to write every response time),
``WEBBENCH_THINK`` (seconds a user waits between requests, on average).

Each user signs in through the login page as one of the plan's registrars (users are
spread evenly over them) and waits until all have signed in (20 Argon2 password checks
take seconds of CPU; they are not what is measured). Then, for ``WEBBENCH_DURATION``
seconds, each alternates between a search by name and opening a person page, with
terms and ids from its registrar's scope, and the run stops. Every response time in
that window is recorded exactly (not locust's rounded buckets), by page.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time

import gevent
from gevent.event import Event
from locust import HttpUser, between, constant, events, task

PLAN = json.load(open(os.environ["WEBBENCH_PLAN"], encoding="utf-8"))  # noqa: SIM115
PHASE = os.environ.get("WEBBENCH_PHASE", "yangguang")
THINK = float(os.environ.get("WEBBENCH_THINK", "1.0"))
USERS = int(os.environ["WEBBENCH_USERS"])
DURATION = float(os.environ["WEBBENCH_DURATION"])
PATHS = {
    "yangguang": ("/registry/persons/", "/registry/persons/{pk}/"),
    "baseline": ("/bench-baseline/persons/", "/bench-baseline/persons/{pk}/"),
}[PHASE]
_accounts = itertools.cycle(PLAN["accounts"])
_numbers = itertools.count()
TIMES: dict[str, list[float]] = {"search": [], "person": []}
FAILURES: list[str] = []
MEASURING = Event()
WINDOW: dict[str, float] = {}
_signed_in = itertools.count(1)


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception, **kwargs):
    if name in TIMES and MEASURING.is_set() and "end" not in WINDOW:
        if exception is None:
            TIMES[name].append(response_time)
        else:
            FAILURES.append(f"{name}: {exception}")


@events.quitting.add_listener
def _write(environment, **kwargs):
    with open(os.environ["WEBBENCH_OUT"], "w", encoding="utf-8") as fh:
        json.dump({"times": TIMES, "failures": FAILURES[:50], "failure_count": len(FAILURES),
                   "seconds": WINDOW.get("end", time.monotonic()) - WINDOW.get("start", 0)}, fh)


def _start_measuring(environment) -> None:
    WINDOW["start"] = time.monotonic()
    MEASURING.set()

    def stop() -> None:
        WINDOW["end"] = time.monotonic()
        environment.runner.quit()

    gevent.spawn_later(DURATION, stop)


class Staff(HttpUser):
    wait_time = between(THINK / 2, THINK * 3 / 2) if THINK else constant(0)

    def on_start(self) -> None:
        self.account = next(_accounts)
        self.rng = random.Random(next(_numbers))
        page = self.client.get("/accounts/login/", name="login")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = self.client.post("/accounts/login/", name="login", data={
            "csrfmiddlewaretoken": token, "username": self.account["username"],
            "password": self.account["password"], "next": "/"})
        if "/accounts/login/" in response.url:
            raise RuntimeError(f"sign-in failed for {self.account['username']}")
        if next(_signed_in) == USERS:
            _start_measuring(self.environment)
        MEASURING.wait()

    def _check(self, response, what: str) -> None:
        if response.status_code != 200:
            response.failure(f"{what}: HTTP {response.status_code}")

    @task
    def search(self) -> None:
        term = self.rng.choice(self.account["terms"])
        with self.client.get(PATHS[0], params={"name": term}, name="search",
                             catch_response=True) as response:
            self._check(response, "search")

    @task
    def person(self) -> None:
        pk = self.rng.choice(self.account["ids"])
        with self.client.get(PATHS[1].format(pk=pk), name="person",
                             catch_response=True) as response:
            self._check(response, "person")
