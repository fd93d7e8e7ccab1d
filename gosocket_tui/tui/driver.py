"""The terminal driver: Textual's Linux driver, except that the end of input ends the app and
an idle app does not wake up to look for keys.

Textual's input thread treats an empty read as "nothing this time" and selects again: on a
terminal that hung up (the SSH connection dropped, the pty closed) every select returns at
once and the thread spins at 100% CPU forever, with the database open. Here an empty read,
or a read error, stops reading and tells the app (:class:`InputEnded`), which logs out and
exits.

Textual's thread also wakes ten times a second, keys or not, to time out a lone Escape. On a
server with fifty idle sessions that was most of their CPU (``benchmarks/ssh_sessions.py``).
Here the thread waits for a key without a timeout, and with one only while the parser holds
the start of a sequence; stopping the driver wakes it through a pipe.

Textual's parser also reads an ESC inside a bracketed paste as the start of a key sequence and,
when that sequence matches nothing, hands its characters to the app as key presses: a cell
copied from a hostile spreadsheet could press Tab and Enter. :class:`PasteGuard` drops an ESC
inside a paste before the parser sees it (as terminals that filter pasted controls do).
"""

from __future__ import annotations

import os
import selectors
import threading
from codecs import getincrementaldecoder
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from textual._xterm_parser import XTermParser  # the driver's own parser; none is public
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App

READ_SIZE = 4096
SELECT_SECONDS = 0.1
ESC = "\x1b"
PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"


class PasteGuard:
    """Filters terminal input so that a bracketed paste holds no ESC but its end marker.

    Outside a paste every character passes at once (a lone Escape key is never held); the
    start marker is recognised as it passes, even split across reads. Inside, an ESC is held
    while what follows may still be the end marker; otherwise the ESC is dropped and what
    followed it stays pasted text.
    """

    def __init__(self) -> None:
        self._inside = False
        self._matched = 0  # characters of the start marker seen so far, outside a paste
        self._held = ""  # inside: an ESC and what followed it, while it may be the end marker

    def feed(self, text: str) -> str:
        out: list[str] = []
        for char in text:
            if not self._inside:
                out.append(char)
                if PASTE_START[self._matched] == char:
                    self._matched += 1
                else:
                    self._matched = 1 if char == ESC else 0
                if self._matched == len(PASTE_START):
                    self._inside, self._matched = True, 0
                continue
            if self._held:
                candidate = self._held + char
                if PASTE_END.startswith(candidate):
                    self._held = candidate
                    if candidate == PASTE_END:
                        out.append(PASTE_END)
                        self._held, self._inside = "", False
                    continue
                out.append(self._held[1:])  # the ESC goes; what followed it is text
                self._held = ""
            if char == ESC:
                self._held = ESC
            else:
                out.append(char)
        return "".join(out)


class InputEnded(Message):
    """Posted to the app when its terminal input ended (end of file or a hung-up terminal)."""


class _WakingEvent(threading.Event):
    """The driver's stop flag: setting it also wakes the input thread from its wait."""

    def __init__(self, wake: int) -> None:
        super().__init__()
        self.wake = wake

    def set(self) -> None:
        super().set()
        if self.wake >= 0:
            with suppress(OSError):  # the pipe is full: the thread is woken already
                os.write(self.wake, b"\0")


def _waiting(parser: XTermParser) -> float | None:
    """How long to wait for input: forever, unless the parser must time out a sequence."""
    # The parser's one record of a pending timeout; Textual's own driver polls instead.
    return SELECT_SECONDS if parser._timeout_time is not None else None


class HangupAwareDriver(LinuxDriver):
    """Reads keys like Textual's driver; stops, telling the app, when input ends."""

    def __init__(self, app: App[Any], **options: Any) -> None:
        super().__init__(app, **options)
        self._wake_read, wake_write = os.pipe()
        for fd in (self._wake_read, wake_write):
            os.set_blocking(fd, False)
        self.exit_event: _WakingEvent = _WakingEvent(wake_write)

    def run_input_thread(self) -> None:
        parser = XTermParser(self._debug)
        guard = PasteGuard()
        decode = getincrementaldecoder("utf-8")().decode
        with selectors.SelectSelector() as selector:
            selector.register(self.fileno, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while not self.exit_event.is_set():
                ready = {key.fd for key, _ in selector.select(_waiting(parser))}
                if self._wake_read in ready:
                    with suppress(OSError):
                        os.read(self._wake_read, READ_SIZE)
                if self.fileno in ready:
                    try:
                        data = os.read(self.fileno, READ_SIZE)
                    except OSError:  # EIO from a terminal that hung up
                        data = b""
                    if not data:
                        self.send_message(InputEnded())
                        return
                    for event in parser.feed(guard.feed(decode(data))):
                        self.process_message(event)
                for event in parser.tick():
                    self.process_message(event)
            # The app is leaving: swallow what the terminal still sends (answers to the
            # driver's queries) so it does not reach the shell after the app.
            selector.unregister(self._wake_read)
            if selector.select(SELECT_SECONDS):
                with suppress(OSError):
                    os.read(self.fileno, READ_SIZE)

    def close(self) -> None:
        super().close()
        wake, self.exit_event.wake = self.exit_event.wake, -1  # never write to a reused fd
        for fd in (self._wake_read, wake):
            with suppress(OSError):
                os.close(fd)
