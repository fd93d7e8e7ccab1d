"""The terminal driver: Textual's Linux driver, except that the end of input ends the app.

Textual's input thread treats an empty read as "nothing this time" and selects again: on a
terminal that hung up (the SSH connection dropped, the pty closed) every select returns at
once and the thread spins at 100% CPU forever, with the database open. Here an empty read,
or a read error, stops reading and tells the app (:class:`InputEnded`), which logs out and
exits.
"""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder
from contextlib import suppress

from textual._xterm_parser import XTermParser  # the driver's own parser; none is public
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

READ_SIZE = 4096
SELECT_SECONDS = 0.1


class InputEnded(Message):
    """Posted to the app when its terminal input ended (end of file or a hung-up terminal)."""


class HangupAwareDriver(LinuxDriver):
    """Reads keys like Textual's driver and stops, telling the app, when input ends."""

    def run_input_thread(self) -> None:
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        with selectors.SelectSelector() as selector:
            selector.register(self.fileno, selectors.EVENT_READ)
            while not self.exit_event.is_set():
                if selector.select(SELECT_SECONDS):
                    try:
                        data = os.read(self.fileno, READ_SIZE)
                    except OSError:  # EIO from a terminal that hung up
                        data = b""
                    if not data:
                        self.send_message(InputEnded())
                        return
                    for event in parser.feed(decode(data)):
                        self.process_message(event)
                for event in parser.tick():
                    self.process_message(event)
            # The app is leaving: swallow what the terminal still sends (answers to the
            # driver's queries) so it does not reach the shell after the app.
            if selector.select(SELECT_SECONDS):
                with suppress(OSError):
                    os.read(self.fileno, READ_SIZE)
