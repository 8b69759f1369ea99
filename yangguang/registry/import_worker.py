"""Checking an import's rows in a second process while this one writes them.

Checking a row (``importing.parse_row``, the ID's hash and encryption) is pure Python
work that needs no database; writing needs this process and the database server. On
a machine with two or more cores a large import runs the first in a worker process
forked for the import, so both go on at once. The worker only computes: it never
touches the database connections it inherits, and exits with the import.

Rows go to the worker in batches and come back in the same order, a few batches
ahead of the writer, so neither waits for the other.
"""

from __future__ import annotations

import marshal
import multiprocessing
import os
import queue
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

BATCH = 2000  # rows per message
AHEAD = 4  # batches sent before the first result is awaited


def available() -> bool:
    """Whether a worker can help here: a second core, and ``fork`` to start it cheaply
    (the worker inherits the loaded code, settings, keys and region catalog) from a
    process running no other thread. A forked child inherits every lock as it was at
    the fork, and one held by another thread (a web server's, say) would never be
    released in it: so imports in the web server's threads check their rows here."""
    return ((os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1)


class WorkerFailed(RuntimeError):
    """The worker raised an exception (its traceback is the message) or died."""


def _work(inbox: Any, outbox: Any, check: Callable[[Any], Any]) -> None:
    try:
        while (batch := inbox.get()) is not None:
            results = [check(raw) for raw in batch]
            try:
                # marshal: several times faster than pickle for plain values, both ways.
                outbox.put(marshal.dumps(results))
            except ValueError:  # a value marshal does not take
                outbox.put(results)
    except BaseException:  # reported to the parent, which raises it
        outbox.put(WorkerFailed(traceback.format_exc()))


class Checked:
    """``(number, raw, check(raw))`` for every ``(number, raw)`` of ``rows``, in order,
    with ``check`` run in a worker process forked when this is created.

    ``check`` must not use the database; its results come back to this process through
    ``marshal`` when they are plain values (str, int, tuples, …), else pickled.
    Use as a context manager around the iteration: leaving it stops the worker.
    """

    def __init__(self, rows: Iterator[tuple[int, Any]], check: Callable[[Any], Any], *,
                 batch: int = BATCH) -> None:
        self._rows, self._batch = rows, batch
        context = multiprocessing.get_context("fork")
        self._inbox, self._outbox = context.Queue(), context.Queue()
        self._worker = context.Process(target=_work, args=(self._inbox, self._outbox, check),
                                       daemon=True, name="import-check")
        self._worker.start()
        self._sent: deque[list[tuple[int, Any]]] = deque()
        self._more = True

    def _send(self) -> None:
        items = []
        if self._more:
            for item in self._rows:
                items.append(item)
                if len(items) >= self._batch:
                    break
            else:
                self._more = False
        if items:
            self._sent.append(items)
            self._inbox.put([raw for _number, raw in items])

    def _receive(self) -> list[Any]:
        while True:
            try:
                results = self._outbox.get(timeout=1)
            except queue.Empty:
                if not self._worker.is_alive():
                    raise WorkerFailed(
                        f"import worker exited ({self._worker.exitcode})") from None
                continue
            if isinstance(results, WorkerFailed):
                raise results
            return marshal.loads(results) if type(results) is bytes else results

    def __iter__(self) -> Iterator[tuple[int, Any, Any]]:
        for _ in range(AHEAD):
            self._send()
        while self._sent:
            items = self._sent.popleft()
            results = self._receive()
            self._send()
            for (number, raw), result in zip(items, results, strict=True):
                yield number, raw, result
        self._inbox.put(None)
        self._worker.join()

    def __enter__(self) -> Checked:
        return self

    def __exit__(self, *exc: Any) -> None:
        finished = not self._worker.is_alive() and self._worker.exitcode == 0
        if not finished:  # left early: an error here or in the worker
            self._worker.terminate()
        self._worker.join()
        for q in (self._inbox, self._outbox):
            q.close()
            if finished:
                q.join_thread()  # this process is left with no thread of ours
            else:
                q.cancel_join_thread()  # what is still queued is not needed
