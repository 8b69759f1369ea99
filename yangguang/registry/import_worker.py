"""Checking an import's rows in a second process while this one writes them.

Checking a row (``importing.parse_row``, the ID's hash and encryption) is pure Python
work that needs no database; writing needs this process and the database server. On
a machine with two or more cores a large import runs the first in a worker process
forked for the import, so both go on at once. The worker only computes: it never
touches the database connections it inherits, and exits with the import.

The worker reads the rows itself, from its copy of the rows iterator (the file is
already in memory when it is forked), so rows are never sent to it; its results come
back in batches, in order, at most a few batches ahead of the writer.
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

BATCH = 2000  # results per message
AHEAD = 4  # batches the worker may be ahead of the writer

_END = "end"  # the worker's rows ran out, or reading them failed (the reader sees why)


def available() -> bool:
    """Whether a worker can help here: a second core, and ``fork`` to start it cheaply
    (the worker inherits the loaded code, settings, keys, region catalog and the file's
    rows) from a process running no other thread. A forked child inherits every lock
    as it was at the fork, and one held by another thread (a web server's, say) would
    never be released in it: so imports in the web server's threads check their rows
    here."""
    return ((os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1)


class WorkerFailed(RuntimeError):
    """The worker raised an exception (its traceback is the message) or died."""


def _put(outbox: Any, results: list[Any]) -> None:
    try:
        # marshal: several times faster than pickle for plain values, both ways.
        outbox.put(marshal.dumps(results))
    except ValueError:  # a value marshal does not take
        outbox.put(results)


def _work(rows: Iterator[tuple[int, Any]], outbox: Any, check: Callable[[Any], Any],
          batch: int) -> None:
    try:
        results: list[Any] = []
        while True:
            try:
                _number, raw = next(rows)
            except StopIteration:
                break
            except Exception:  # noqa: BLE001 - the reader meets the same error in its copy
                break
            results.append(check(raw))
            if len(results) >= batch:
                _put(outbox, results)
                results = []
        _put(outbox, results)
        outbox.put(_END)
    except BaseException:  # reported to the parent, which raises it
        outbox.put(WorkerFailed(traceback.format_exc()))


class Checked:
    """``(number, raw, check(raw))`` for every ``(number, raw)`` of ``rows``, in order,
    with ``check`` run in a worker process forked when this is created.

    ``rows`` must be an iterator over data in memory (not one reading a file as it
    goes, whose offset the two processes would share): this process and the worker
    each read their own copy of it. ``check`` must not use the database; its results
    come back through ``marshal`` when they are plain values (str, int, tuples, …),
    else pickled. Use as a context manager around the iteration: leaving it stops
    the worker.
    """

    def __init__(self, rows: Iterator[tuple[int, Any]], check: Callable[[Any], Any], *,
                 batch: int = BATCH) -> None:
        self._rows = rows
        context = multiprocessing.get_context("fork")
        self._outbox = context.Queue(maxsize=AHEAD)
        self._worker = context.Process(target=_work, args=(rows, self._outbox, check, batch),
                                       daemon=True, name="import-check")
        self._worker.start()

    def _receive(self) -> Any:
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

    def _batch(self) -> list[Any] | None:
        """The worker's next non-empty batch of results, or None when it has ended."""
        while (batch := self._receive()) != _END:
            if batch:
                return batch
        return None

    def __iter__(self) -> Iterator[tuple[int, Any, Any]]:
        pending: deque[Any] = deque()
        for number, raw in self._rows:
            if not pending:
                batch = self._batch()
                if batch is None:  # both read the same rows in memory: a bug if it happens
                    raise WorkerFailed(f"import worker ended before row {number}")
                pending.extend(batch)
            yield number, raw, pending.popleft()
        if pending or self._batch() is not None:
            raise WorkerFailed("import worker read more rows than this process")
        self._worker.join()

    def __enter__(self) -> Checked:
        return self

    def __exit__(self, *exc: Any) -> None:
        finished = not self._worker.is_alive() and self._worker.exitcode == 0
        if not finished:  # left early: an error here or in the worker
            self._worker.terminate()
        self._worker.join()
        self._outbox.close()
        if finished:
            self._outbox.join_thread()  # this process is left with no thread of ours
        else:
            self._outbox.cancel_join_thread()  # what is still queued is not needed
