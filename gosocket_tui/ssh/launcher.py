"""One interactive session: the app in its own child process on a pseudo-terminal.

The child is its own session and process group with the pty as its controlling terminal, so
a crash or kill of one session touches no other, and ending the connection ends the whole
group. The parent only copies bytes between the SSH channel and the pty master; it never
opens the session's database connection (the child does, from the hand-over it reads on a
pipe: see ``gosocket_tui/cli/ssh_session.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import signal
import struct
import sys
import termios
from collections.abc import Callable, Mapping

import asyncssh

from gosocket_tui.i18n import _

# The child's entry point: a module, not a ``gosocket-tui`` command, so nothing on the command
# line (nor a command run over SSH) can start a session without the parent's hand-over.
CHILD_MODULE = "gosocket_tui.cli.ssh_session"
DEFAULT_SIZE = (80, 24)
MAX_COLUMNS, MAX_ROWS = 1000, 500
READ_SIZE = 65536
INPUT_HIGH_WATER = 256 * 1024  # bytes typed ahead before the channel stops reading
KILL_GRACE_SECONDS = 1.0

# From the client, only what says how to show text: never PATH, LD_PRELOAD, PYTHON*, GOSOCKET*.
CLIENT_ENV_NAME = re.compile(r"LANG|LC_[A-Z]{1,20}|COLORTERM|NO_COLOR")
CLIENT_ENV_VALUE = re.compile(r"[A-Za-z0-9_.@+=:/-]{0,64}")
TERM_VALUE = re.compile(r"[A-Za-z0-9_.+-]{1,64}")
DEFAULT_TERM = "xterm-256color"
# Never inherited from the server's own environment: the client decides these (or nobody).
SERVER_ENV_DROPPED = re.compile(r"TERM|LANG|LC_.*|COLORTERM|NO_COLOR|COLUMNS|LINES|SSH_.*")


def terminal_size(columns: int, rows: int) -> tuple[int, int]:
    """The size the client asked for, kept in bounds: 0 means unknown, huge would be a DoS."""
    if columns <= 0 or rows <= 0:
        return DEFAULT_SIZE
    return min(columns, MAX_COLUMNS), min(rows, MAX_ROWS)


def terminal_type(term: str | None) -> str:
    return term if term and TERM_VALUE.fullmatch(term) else DEFAULT_TERM


def child_environment(
    server_env: Mapping[str, str], client_env: Mapping[str, str], term: str
) -> dict[str, str]:
    """The server's environment (its configuration) plus the client's display settings."""
    env = {k: v for k, v in server_env.items() if not SERVER_ENV_DROPPED.fullmatch(k)}
    for name, value in client_env.items():
        if CLIENT_ENV_NAME.fullmatch(name) and CLIENT_ENV_VALUE.fullmatch(value):
            env[name] = value
    env["TERM"] = term
    return env


def set_window_size(fd: int, columns: int, rows: int) -> None:
    """TIOCSWINSZ: the kernel tells the child's process group with SIGWINCH."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


class PtySession(asyncssh.SSHServerSession[bytes]):
    """Copies bytes between an SSH channel and the pty of the app's child process.

    Accepts a shell request on a pty only: exec, subsystems, breaks and signals are refused
    (``ssh/server.py`` classifies every request). ``on_refused(what)``, ``on_start(pid)`` and
    ``on_end(returncode, started)`` tell the server, which logs and audits.
    """

    def __init__(
        self,
        handoff: bytes,
        on_refused: Callable[[str], None],
        on_start: Callable[[int], None],
        on_end: Callable[[int | None, bool], None],
    ) -> None:
        self._handoff = handoff
        self._on_refused = on_refused
        self._on_start = on_start
        self._on_end = on_end
        self._chan: asyncssh.SSHServerChannel[bytes] | None = None
        self._term: str | None = None
        self._size = DEFAULT_SIZE
        self._master: int | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._pending = bytearray()
        self._ended = False

    # ------------------------------------------------------------------ requests

    def connection_made(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:  # type: ignore[override]
        self._chan = chan

    def pty_requested(
        self, term_type: str, term_size: tuple[int, int, int, int], term_modes: Mapping[int, int]
    ) -> bool:
        self._term = terminal_type(term_type)
        self._size = terminal_size(term_size[0], term_size[1])
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self._on_refused("exec")
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        self._on_refused("subsystem")
        return False

    def break_received(self, msec: int) -> bool:
        return False

    def signal_received(self, signal: str) -> None:
        """Signals from the client are ignored: keys reach the app through the pty."""

    def session_started(self) -> None:
        assert self._chan is not None
        if self._term is None:
            notice = _("The app needs a terminal: connect with ssh -t.")
            self._chan.write(notice.encode("utf-8") + b"\r\n")
            self._chan.exit(1)
            return
        asyncio.get_running_loop().create_task(self._run(self._chan))

    # ------------------------------------------------------------------ the child

    async def _run(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:
        master, slave = os.openpty()
        set_window_size(master, *self._size)
        read_end, write_end = os.pipe()
        env = child_environment(os.environ, chan.get_environment(), self._term or DEFAULT_TERM)
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                CHILD_MODULE,
                str(read_end),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                pass_fds=(read_end,),
                start_new_session=True,
                env=env,
            )
        except OSError:
            for fd in (master, slave, read_end, write_end):
                os.close(fd)
            self._finish(None)
            return
        os.close(slave)
        os.close(read_end)
        self._on_start(self._process.pid)
        with contextlib.suppress(BrokenPipeError), os.fdopen(write_end, "wb") as pipe:
            pipe.write(self._handoff)
        self._handoff = b""
        os.set_blocking(master, False)
        self._master = master
        loop = asyncio.get_running_loop()
        loop.add_reader(master, self._read_master)
        if self._pending:
            self._write_master()
        returncode = await self._process.wait()
        self._finish(returncode)

    def _read_master(self) -> None:
        assert self._master is not None and self._chan is not None
        try:
            data = os.read(self._master, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:  # EIO: the child closed its side of the pty
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self._master)
            return
        self._chan.write(data)

    def _write_master(self) -> None:
        if self._master is None:
            return
        loop = asyncio.get_running_loop()
        try:
            written = os.write(self._master, self._pending)
        except BlockingIOError:
            written = 0
        except OSError:
            self._pending.clear()
            return
        del self._pending[:written]
        if self._pending:
            loop.add_writer(self._master, self._write_master)
        else:
            loop.remove_writer(self._master)
        if self._chan is not None:
            if len(self._pending) > INPUT_HIGH_WATER:
                self._chan.pause_reading()
            else:
                self._chan.resume_reading()

    def data_received(self, data: bytes, datatype: int | None) -> None:
        self._pending += data
        self._write_master()

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self._size = terminal_size(width, height)
        if self._master is not None:
            with contextlib.suppress(OSError):
                set_window_size(self._master, *self._size)

    def pause_writing(self) -> None:
        """The client reads slower than the app paints: stop reading the pty for now."""
        if self._master is not None:
            asyncio.get_running_loop().remove_reader(self._master)

    def resume_writing(self) -> None:
        if self._master is not None and not self._ended:
            asyncio.get_running_loop().add_reader(self._master, self._read_master)

    def eof_received(self) -> bool:
        return False  # the client closed its input: close the channel, which ends the child

    # ------------------------------------------------------------------ the end

    def _finish(self, returncode: int | None) -> None:
        """The child ended: pass on what it painted last, then close the channel."""
        if self._ended:
            return
        self._ended = True
        if self._master is not None:
            with contextlib.suppress(OSError):
                while chunk := os.read(self._master, READ_SIZE):
                    if self._chan is not None:
                        self._chan.write(chunk)
        self._close_master()
        if self._chan is not None:
            self._chan.exit(returncode if returncode is not None and returncode >= 0 else 1)
        self._on_end(returncode, self._process is not None)

    def _close_master(self) -> None:
        if self._master is None:
            return
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._master)
        loop.remove_writer(self._master)
        os.close(self._master)
        self._master = None

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection is gone: hang up the child's terminal and end its process group."""
        self._chan = None
        process = self._process
        if process is None or process.returncode is not None:
            if not self._ended:
                self._ended = True
                self._on_end(None if process is None else process.returncode, process is not None)
            return
        self._close_master()
        _signal_group(process.pid, signal.SIGHUP)
        asyncio.get_running_loop().call_later(KILL_GRACE_SECONDS, _kill_if_alive, process)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _kill_if_alive(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        _signal_group(process.pid, signal.SIGKILL)
