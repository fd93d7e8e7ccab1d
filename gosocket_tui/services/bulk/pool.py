"""Checking a file's rows in worker processes: in file order, a few chunks in flight.

The field checks cost ~20 µs a row (python-stdnum's Tax ID check alone ~12.5 µs), so a
million rows take 20 s on one core. The reading, the file-wide checks (``FileChecker``) and
the lookups stay in the calling process; the field checks of ``CHUNK_ROWS`` rows at a time go
to a pool of one worker per core but one (the calling process keeps a core).

Decisions (documented here once):

* **spawn**, not fork: the TUI runs the check in a thread worker, and forking a threaded
  process can copy a held lock. Workers ignore SIGINT from birth (started with it blocked):
  Ctrl+C reaches the whole process group, and only the parent decides (it stops the pool and
  reports one line).
* **Small files are checked in this process**: a file that ends within ``IN_PROCESS_ROWS``
  rows never starts the pool (a worker's start-up, importing the app, takes about a second
  of CPU).
* **The main module is guarded**: ``spawn`` imports the calling program's main module in each
  worker, so a program that checks a big file needs ``if __name__ == "__main__":`` (the
  project's entry points have it); a worker that cannot start breaks the pool, and the rows
  are then checked here.
* **Bounded memory and file order**: at most ``AHEAD`` chunks per worker are in flight, and
  results are taken in the order the chunks were read.
* **Stopping**: leaving the ``with`` block (done, cancelled from the progress callback, Ctrl+C,
  a refused file) cancels the chunks not started and waits for the workers to exit; none
  outlives the check. A pool that breaks (a worker killed) is not fatal: its chunks and the
  rest are checked in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from itertools import chain, islice
from types import TracebackType
from typing import Final

from gosocket_tui.i18n import get_language, set_language
from gosocket_tui.services.bulk.checks import (
    Checked,
    CheckedFields,
    RowChecker,
    RowText,
    as_raw,
    candidate_fields,
    field_values,
    issue_fields,
)
from gosocket_tui.services.bulk.source import RawRow

#: How often a caller waiting for a chunk checks that every worker is still alive.
WATCH_SECONDS: Final = 1.0
CHUNK_ROWS: Final = 5_000  # rows per task: ~1 MB pickled, ~50 ms of work
IN_PROCESS_ROWS: Final = 10_000
# Rows per chunk checked in this process: small, so that a row is read, checked, looked up
# and spooled while it is still in the CPU's cache (5,000 took a third more time for 1M).
HERE_ROWS: Final = 500
AHEAD: Final = 2  # chunks in flight per worker
END_SECONDS: Final = 5.0  # a worker of a broken pool is asked, then made, to end

CheckedChunk = list[tuple[RawRow | RowText, CheckedFields]]

_worker_checker: RowChecker | None = None


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT held back in this thread (any thread may call it); processes started meanwhile
    inherit the mask, so they start ignoring Ctrl+C."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _start_worker(checker: RowChecker, language: str) -> None:
    global _worker_checker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a pending Ctrl+C is dropped too
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    set_language(language)
    _worker_checker = checker


def _check_chunk(rows: list[RowText]) -> list[CheckedFields]:
    """A worker's task: the field checks of one chunk, as plain tuples (cheap to pickle)."""
    checker = _worker_checker
    assert checker is not None
    return [_as_fields(checker.check(as_raw(row))) for row in rows]


def _as_fields(checked: Checked) -> CheckedFields:
    candidate, issues, key = checked
    return (
        None if candidate is None else candidate_fields(candidate),
        [issue_fields(i) for i in issues],
        key,
    )


def _chunks(rows: Iterable[RawRow]) -> Iterator[list[RawRow]]:
    it = iter(rows)
    while chunk := list(islice(it, CHUNK_ROWS)):
        yield chunk


def _texts(chunk: list[RawRow]) -> list[RowText]:
    """A chunk as plain tuples: what a worker receives, and all a chunk in flight holds."""
    return [(r.row_number, field_values(r.values), r.warnings) for r in chunk]


class CheckedRows:
    """The field checks of a stream of rows, a chunk at a time, in file order (a context
    manager: leaving it stops the pool)."""

    def __init__(self, checker: RowChecker, workers: int | None = None) -> None:
        self.checker = checker
        # The calling process reads, settles, spools and looks up (~20 µs a row): it keeps a
        # core, so one worker (2 cores) would not pay for the pickling and the check runs here.
        self.workers = cores() - 1 if workers is None else workers
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> CheckedRows:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self, *, broken: bool = False) -> None:
        """Cancel the chunks not started and wait for every worker to exit.

        A pool broken by a dead worker is not asked to shut down in order (on CPython 3.11
        that wait can hang on the dead worker's queue): its workers are ended and reaped
        here, each within :data:`END_SECONDS`.
        """
        executor, self._executor = self._executor, None
        if executor is None:
            return
        if not broken:
            executor.shutdown(wait=True, cancel_futures=True)
            return
        # The executor's own table of its processes: the one way to reach them by pid.
        processes = list(getattr(executor, "_processes", {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(END_SECONDS)
            if process.is_alive():
                process.kill()
                process.join(END_SECONDS)

    def chunks(self, rows: Iterable[RawRow]) -> Iterator[CheckedChunk]:
        """Each chunk of ``rows`` with its field checks, in the order read."""
        stream = _chunks(rows)
        head: list[list[RawRow]] = []
        if self.workers > 1:
            count = 0
            for chunk in stream:
                head.append(chunk)
                count += len(chunk)
                if count > IN_PROCESS_ROWS:
                    yield from self._pooled(chain(head, stream))
                    return
        for chunk in chain(head, stream):
            for start in range(0, len(chunk), HERE_ROWS):
                yield self._here(chunk[start : start + HERE_ROWS])

    def _here(self, chunk: list[RawRow]) -> CheckedChunk:
        check = self.checker.check
        return [(raw, _as_fields(check(raw))) for raw in chunk]

    def _here_texts(self, chunk: list[RowText]) -> CheckedChunk:
        check = self.checker.check
        return [(row, _as_fields(check(as_raw(row)))) for row in chunk]

    def _pooled(self, chunks: Iterator[list[RawRow]]) -> Iterator[CheckedChunk]:
        flight: deque[tuple[list[RowText], Future[list[CheckedFields]] | None]] = deque()
        self._executor = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self.checker, get_language()),
        )
        for chunk in chunks:
            texts = _texts(chunk)
            flight.append((texts, self._submit(texts)))
            if len(flight) >= self.workers * AHEAD:
                yield self._take(*flight.popleft())
        while flight:
            yield self._take(*flight.popleft())
        self.close()

    def _submit(self, chunk: list[RowText]) -> Future[list[CheckedFields]] | None:
        if self._executor is None:
            return None
        try:
            # A submit may start a worker: with SIGINT blocked, so that Ctrl+C during its
            # start-up cannot print a traceback (its initializer then ignores SIGINT).
            with _sigint_blocked():
                return self._executor.submit(_check_chunk, chunk)
        except BrokenProcessPool:
            self.close(broken=True)
            return None

    def _take(
        self, chunk: list[RowText], future: Future[list[CheckedFields]] | None
    ) -> CheckedChunk:
        if future is None:
            return self._here_texts(chunk)
        while True:
            try:
                results = future.result(timeout=WATCH_SECONDS)
            except BrokenProcessPool:
                self.close(broken=True)
                return self._here_texts(chunk)
            except TimeoutError:
                if self._worker_died():
                    self.close(broken=True)
                    return self._here_texts(chunk)
                continue
            return list(zip(chunk, results, strict=True))

    def _worker_died(self) -> bool:
        """Whether a worker of the pool has ended. The executor usually notices by itself and
        fails the futures; a worker killed at the wrong moment (holding the queue's lock) can
        leave it waiting for ever, so the caller looks for itself while it waits."""
        executor = self._executor
        processes = list(getattr(executor, "_processes", {}).values()) if executor else []
        return any(process.exitcode is not None for process in processes)
