"""The terminal driver's input thread: keys arrive, a lone Escape still times out, an idle
app does not wake up to poll, stopping is prompt, and the end of input ends it.

The driver reads a real pipe in place of the terminal (its ``fileno``); what it would hand
the app is collected instead. The thread's waits are counted at ``SelectSelector.select``.
"""

from __future__ import annotations

import os
import selectors
import signal
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from textual import events
from textual.app import App

from gosocket_tui.tui.driver import HangupAwareDriver, InputEnded

WAIT_SECONDS = 5.0


class Harness:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.read_end, self.write_end = os.pipe()
        self.driver = HangupAwareDriver(App())
        self.driver.fileno = self.read_end
        self.got: list[Any] = []
        self.driver.process_message = self.got.append  # type: ignore[method-assign]
        self.driver.send_message = self.got.append  # type: ignore[method-assign]
        self.selects = 0
        select = selectors.SelectSelector.select

        def counted(selector: selectors.SelectSelector, timeout: float | None = None) -> Any:
            self.selects += 1
            return select(selector, timeout)

        monkeypatch.setattr(selectors.SelectSelector, "select", counted)
        self.thread = threading.Thread(target=self.driver.run_input_thread, daemon=True)
        self.thread.start()

    def keys(self) -> list[str]:
        return [m.key for m in self.got if isinstance(m, events.Key)]

    def wait_for(self, condition: Any) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not condition():
            assert time.monotonic() < deadline, self.got
            time.sleep(0.01)


@pytest.fixture
async def harness(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    # Textual's driver takes over SIGTSTP and SIGCONT: they are given back afterwards.
    handlers = {number: signal.getsignal(number) for number in (signal.SIGTSTP, signal.SIGCONT)}
    running = Harness(monkeypatch)  # a driver is made inside a running event loop
    yield running
    running.driver.exit_event.set()
    running.thread.join(WAIT_SECONDS)
    for fd in (running.read_end, running.write_end):
        if fd >= 0:
            os.close(fd)
    running.driver.close()
    for number, handler in handlers.items():
        signal.signal(number, handler)


def test_keys_arrive_and_a_lone_escape_still_times_out(harness: Harness) -> None:
    os.write(harness.write_end, b"a")
    harness.wait_for(lambda: harness.keys() == ["a"])
    os.write(harness.write_end, b"\x1b")
    harness.wait_for(lambda: harness.keys() == ["a", "escape"])


def test_an_idle_driver_does_not_poll(harness: Harness) -> None:
    time.sleep(0.2)
    before = harness.selects
    time.sleep(1.0)
    assert harness.selects - before <= 1  # Textual's own polls ten times a second


def test_stopping_wakes_the_waiting_thread_at_once(harness: Harness) -> None:
    time.sleep(0.2)  # the thread is waiting for a key
    started = time.monotonic()
    harness.driver.exit_event.set()
    harness.thread.join(WAIT_SECONDS)
    assert not harness.thread.is_alive()
    assert time.monotonic() - started < 0.5


def test_the_end_of_input_ends_the_thread_and_tells_the_app(harness: Harness) -> None:
    os.close(harness.write_end)
    harness.write_end = -1
    harness.thread.join(WAIT_SECONDS)
    assert not harness.thread.is_alive()
    assert any(isinstance(m, InputEnded) for m in harness.got)
