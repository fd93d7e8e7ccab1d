"""One session: the app, or one allowed command, in its own child process.

The app runs on a pseudo-terminal. A command (``ssh ana@host suppliers list``) runs on a pty
when the client asked for one (``ssh -t``), else on three pipes (stdin, stdout, stderr), so a
script gets its output and its exit status unchanged. The child is its own session and
process group (with the pty, when there is one, as its controlling terminal), so a crash or
kill of one session touches no other, and ending the connection ends the whole group. The
parent only copies bytes between the SSH channel and the child; it never opens the session's
database connection (the child does, from the hand-over it reads on a pipe: see
``gosocket_tui/cli/ssh_session.py``).
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
from gosocket_tui.ssh.commands import CommandRefused

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
    """Copies bytes between an SSH channel and the child process of the session.

    Accepts a shell request on a pty (the app) and an exec request the server allows
    (``on_exec(command)`` returns the child's hand-over or raises ``CommandRefused``, which
    becomes one line and an exit status; without ``on_exec``, as for an activation, every
    exec request is refused at the SSH level); subsystems, breaks and signals are refused
    (``ssh/server.py`` classifies every request). ``on_refused(what)``, ``on_start(pid)`` and
    ``on_end(returncode, started)`` tell the server, which logs and audits.
    """

    def __init__(
        self,
        handoff: bytes,
        on_refused: Callable[[str], None],
        on_start: Callable[[int], None],
        on_end: Callable[[int | None, bool], None],
        *,
        on_exec: Callable[[str], bytes] | None = None,
    ) -> None:
        self._handoff = handoff
        self._on_refused = on_refused
        self._on_start = on_start
        self._on_end = on_end
        self._on_exec = on_exec
        self._chan: asyncssh.SSHServerChannel[bytes] | None = None
        self._term: str | None = None
        self._size = DEFAULT_SIZE
        self._exec = False
        self._refusal: CommandRefused | None = None
        self._master: int | None = None
        # Where the client's bytes go (the pty, or the command's stdin pipe) and what the child
        # writes: each readable end with its channel data type (None: stdout).
        self._input: int | None = None
        self._outputs: dict[int, int | None] = {}
        self._paused = False
        self._eof = False
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
        """An allowed command runs; any other is answered with one line and its status."""
        if self._on_exec is None:
            self._on_refused("exec")
            return False
        try:
            self._handoff = self._on_exec(command)
        except CommandRefused as refusal:
            self._refusal = refusal
        self._exec = True
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        self._on_refused("subsystem")
        return False

    def break_received(self, msec: int) -> bool:
        return False

    def signal_received(self, signal: str) -> None:
        """Signals from the client are ignored: keys reach the app through the pty."""

    def session_started(self) -> None:
        assert self._chan is not None
        if self._refusal is not None:
            end = "\r\n" if self._term else "\n"
            self._chan.write_stderr(self._refusal.message.encode("utf-8") + end.encode())
            self._chan.exit(self._refusal.status)
            return
        if self._term is None and not self._exec:
            notice = _("The app needs a terminal: connect with ssh -t.")
            self._chan.write(notice.encode("utf-8") + b"\r\n")
            self._chan.exit(1)
            return
        asyncio.get_running_loop().create_task(self._run(self._chan))

    # ------------------------------------------------------------------ the child

    async def _run(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:
        """Start the child on a pty (the app, or a command with ``ssh -t``) or on pipes."""
        if self._term is not None:
            master, slave = os.openpty()
            set_window_size(master, *self._size)
            ours, theirs = [master], [slave, slave, slave]
            self._master = master
        else:
            stdin, stdout, stderr = os.pipe(), os.pipe(), os.pipe()
            ours, theirs = [stdin[1], stdout[0], stderr[0]], [stdin[0], stdout[1], stderr[1]]
        read_end, write_end = os.pipe()
        env = child_environment(os.environ, chan.get_environment(), self._term or DEFAULT_TERM)
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                CHILD_MODULE,
                str(read_end),
                stdin=theirs[0],
                stdout=theirs[1],
                stderr=theirs[2],
                pass_fds=(read_end,),
                start_new_session=True,
                env=env,
            )
        except OSError:
            for fd in {*ours, *theirs, read_end, write_end}:
                os.close(fd)
            self._master = None
            self._finish(None)
            return
        for fd in {*theirs, read_end}:
            os.close(fd)
        self._on_start(self._process.pid)
        with contextlib.suppress(BrokenPipeError), os.fdopen(write_end, "wb") as pipe:
            pipe.write(self._handoff)
        self._handoff = b""
        for fd in ours:
            os.set_blocking(fd, False)
        if self._master is not None:
            self._input, self._outputs = self._master, {self._master: None}
        else:
            self._input = ours[0]
            self._outputs = {ours[1]: None, ours[2]: asyncssh.EXTENDED_DATA_STDERR}
        if self._chan is None:  # the connection went while the child started
            self._close_fds()
            _signal_group(self._process.pid, signal.SIGKILL)
        else:
            if not self._paused:
                self._watch_outputs()
            self._write_input()
        returncode = await self._process.wait()
        self._finish(returncode)

    def _watch_outputs(self) -> None:
        loop = asyncio.get_running_loop()
        for fd in self._outputs:
            loop.add_reader(fd, self._read_output, fd)

    def _read_output(self, fd: int) -> None:
        try:
            data = os.read(fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:  # EIO: the child closed its side of the pty
            data = b""
        if not data or self._chan is None:
            asyncio.get_running_loop().remove_reader(fd)
            return
        self._chan.write(data, self._outputs[fd])

    def _write_input(self) -> None:
        """Pass on what the client sent; its end of input closes the command's stdin."""
        if self._input is None:
            return
        loop = asyncio.get_running_loop()
        try:
            written = os.write(self._input, self._pending) if self._pending else 0
        except BlockingIOError:
            written = 0
        except OSError:  # the child closed its stdin (or the pty): the rest has no reader
            written = len(self._pending)
        del self._pending[:written]
        if self._pending:
            loop.add_writer(self._input, self._write_input)
        else:
            loop.remove_writer(self._input)
            if self._eof and self._input != self._master:
                os.close(self._input)
                self._input = None
        if self._chan is not None:
            if len(self._pending) > INPUT_HIGH_WATER:
                self._chan.pause_reading()
            else:
                self._chan.resume_reading()

    def data_received(self, data: bytes, datatype: int | None) -> None:
        self._pending += data
        self._write_input()

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self._size = terminal_size(width, height)
        if self._master is not None:
            with contextlib.suppress(OSError):
                set_window_size(self._master, *self._size)

    def pause_writing(self) -> None:
        """The client reads slower than the child writes: stop reading its output for now
        (the child then blocks on a full pty or pipe)."""
        self._paused = True
        loop = asyncio.get_running_loop()
        for fd in self._outputs:
            loop.remove_reader(fd)

    def resume_writing(self) -> None:
        self._paused = False
        if not self._ended:
            self._watch_outputs()

    def eof_received(self) -> bool:
        """The client closed its input. A command on pipes sees the end of its stdin and goes
        on writing; the app (or a command on a pty) ends with the channel."""
        if not self._exec or self._term is not None:
            return False
        self._eof = True
        self._write_input()
        return True

    # ------------------------------------------------------------------ the end

    def _finish(self, returncode: int | None) -> None:
        """The child ended: pass on what it wrote last, then close the channel."""
        if self._ended:
            return
        self._ended = True
        for fd, datatype in self._outputs.items():
            with contextlib.suppress(OSError):
                while chunk := os.read(fd, READ_SIZE):
                    if self._chan is not None:
                        self._chan.write(chunk, datatype)
        self._close_fds()
        if self._chan is not None:
            self._chan.exit(returncode if returncode is not None and returncode >= 0 else 1)
        self._on_end(returncode, self._process is not None)

    def _close_fds(self) -> None:
        loop = asyncio.get_running_loop()
        for fd in {*self._outputs, *([self._input] if self._input is not None else [])}:
            loop.remove_reader(fd)
            loop.remove_writer(fd)
            os.close(fd)
        self._outputs, self._input, self._master = {}, None, None

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection is gone: hang up the child's terminal and end its process group."""
        self._chan = None
        process = self._process
        if process is None or process.returncode is not None:
            if not self._ended:
                self._ended = True
                self._on_end(None if process is None else process.returncode, process is not None)
            return
        self._close_fds()
        _signal_group(process.pid, signal.SIGHUP)
        asyncio.get_running_loop().call_later(KILL_GRACE_SECONDS, _kill_if_alive, process)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _kill_if_alive(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        _signal_group(process.pid, signal.SIGKILL)
