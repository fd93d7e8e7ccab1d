"""SSH sessions: N concurrent app sessions over ``gosocket-tui serve``, against OpenSSH.

What is measured, honestly:

* A database of one buyer with 2,000 suppliers (``_scale_data.build``) and one user with a
  registered ed25519 key; ``gosocket-tui serve`` runs as a subprocess on a loopback port with
  its caps raised to N (all sessions log in as that one user: the per-user cap is the only
  thing that would differ with N users).
* **connect**: N asyncssh clients open one after another (each with a pty of 80x24, TERM
  xterm-256color) while the earlier ones stay open; each is timed from ``connect()`` to the
  first bytes of the app's first frame that hold the header's "by SSH key" (Textual writes a
  frame in one piece, so that is the shell painted). Key exchange, key authentication, the
  session's child process start, its imports and the first paint are all inside.
* **openssh_connect**: the same client, the same key, the same pty, against a private
  ``sshd`` (own host key, config and port on loopback, started by this script, as root) whose
  ``ForceCommand`` starts the app (``python -m gosocket_tui``) on the same database. OpenSSH
  has no key login into the app: that app paints its login screen, timed to "Password". One
  such connection is made (and closed) before the first and after every tenth ``serve``
  session, so both are measured under the same load. Skipped, with the reason printed, when
  ``/usr/sbin/sshd`` is missing or the script is not root.
* **keystroke**: the first ``--active`` sessions each type a Tax ID (7 digits, one key every
  120 ms) into the Suppliers filter, which has the focus at login, wait for the list, clear the
  field (ctrl+u) and start again every ``--interval`` seconds, for ``--duration`` seconds. A
  key's latency is the time from writing it to the channel to reading back the filter field
  painted with the new text (``m<text>ESC[0m``): the server, the child, Textual and the way
  back, plus this client's own event loop, which drains all N sessions.
* **idle_cpu**: then nobody types for 3 s, and the CPU time (user + system, ``/proc``) of the
  server and all its descendants is read over ``--idle-seconds``: percent of one core. The
  sessions' own timers (the session check and the mail delivery, every 5 s each) are part
  of it; their cursor does not blink over SSH, and their input thread does not poll.
* **rss_per_session**: the summed RSS of the server's descendants (one child per session)
  divided by N; RSS counts shared pages once per process, so the PSS (``smaps_rollup``) is
  printed beside it for information.

The client runs in this process on the same machine: on few cores it competes with the
server, so latencies are an upper bound. Prints the medians and ends with one line::

    RESULT sessions=50 connect_ms_p50= keystroke_ms_p50= keystroke_ms_p99= idle_cpu_pct=
    rss_mib_per_session= [openssh_connect_ms_p50=]

Targets (issue 12): keystroke p99 ≤ 50 ms at 50 sessions with 10 active, idle CPU ≤ 2 % of
one core, ≤ 70 MiB per session, connect ≤ 1.5× OpenSSH. Run:
``python benchmarks/ssh_sessions.py [--sessions 50] [--active 10]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _scale_data
from gosocket_tui.config import Config
from gosocket_tui.services import ssh_keys
from gosocket_tui.services.context import open_context

REPO = Path(__file__).resolve().parents[1]
SSHD = "/usr/sbin/sshd"
SUPPLIERS = 2_000
PAINT_SECONDS = 120.0
KEY_SECONDS = 10.0
KEY_GAP_SECONDS = 0.12
SETTLE_SECONDS = 3.0
OPENSSH_EVERY = 10
SERVE_MARK = re.compile(rb"by SSH key")
OPENSSH_MARK = re.compile(rb"Password")
CLEAR_FIELD = b"\x15"  # ctrl+u: the filter field's "delete to the start"
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{proc.args!r} did not start; its log:\n{log.read_text()}")
        time.sleep(0.1)


# ------------------------------------------------------------------------- /proc


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()  # the name may hold spaces and parentheses


def descendants(root: int) -> list[int]:
    """``root``'s live descendants, from each process's parent in /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                parents.setdefault(int(_stat_fields(int(entry.name))[1]), []).append(
                    int(entry.name)
                )
    found, todo = [], [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = _stat_fields(pid)
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def rss_bytes(pid: int) -> int:
    with contextlib.suppress(OSError, IndexError):
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    return 0


def pss_bytes(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


# ----------------------------------------------------------------------- sessions


@dataclass
class Screen:
    """One session's terminal as the client sees it: everything read, and who waits for it."""

    process: asyncssh.SSHClientProcess[bytes]
    seen: bytearray = field(default_factory=bytearray)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.reader = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while chunk := await self.process.stdout.read(65536):
            self.seen += chunk
            del self.seen[:-65536]
            self.changed.set()

    async def until(self, pattern: re.Pattern[bytes], seconds: float) -> float:
        """Wait until ``pattern`` is in what was read since the last ``forget``; when (s)."""
        deadline = time.perf_counter() + seconds
        while not pattern.search(self.seen):
            self.changed.clear()
            left = deadline - time.perf_counter()
            if left <= 0 or (self.reader is not None and self.reader.done()):
                tail = bytes(self.seen[-800:])
                raise SystemExit(f"not seen {pattern.pattern!r} in time; last output: {tail!r}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)
        return time.perf_counter()

    def forget(self) -> None:
        self.seen.clear()

    async def keystroke(self, key: bytes, shown: bytes) -> float:
        """Type ``key``; ms until the filter field is painted holding ``shown``."""
        self.forget()
        sent = time.perf_counter()
        self.process.stdin.write(key)
        echoed = await self.until(re.compile(b"m" + re.escape(shown) + rb"\x1b\[0m"), KEY_SECONDS)
        return (echoed - sent) * 1000


@dataclass
class Session:
    conn: asyncssh.SSHClientConnection
    screen: Screen
    connect_ms: float

    async def close(self) -> None:
        self.conn.close()
        with contextlib.suppress(Exception):
            await self.conn.wait_closed()
        if self.screen.reader is not None:
            self.screen.reader.cancel()


async def open_session(
    port: int, username: str, key: asyncssh.SSHKey, mark: re.Pattern[bytes]
) -> Session:
    started = time.perf_counter()
    conn = await asyncssh.connect(
        "127.0.0.1",
        port,
        username=username,
        client_keys=[key],
        known_hosts=None,
        agent_path=None,
        preferred_auth="publickey",
        keepalive_interval=0,
    )
    process = await conn.create_process(
        term_type="xterm-256color", term_size=(80, 24), encoding=None
    )
    screen = Screen(process)
    screen.start()
    painted = await screen.until(mark, PAINT_SECONDS)
    return Session(conn, screen, (painted - started) * 1000)


async def type_searches(
    session: Session, tax_ids: list[str], until: float, interval: float, rng: random.Random
) -> list[float]:
    """Tax ID searches, one every ``interval`` s, until ``until``: each key's latency (ms)."""
    latencies: list[float] = []
    await asyncio.sleep(rng.uniform(0, interval))
    while time.perf_counter() < until:
        began = time.perf_counter()
        wanted = rng.choice(tax_ids)[:7]
        for end in range(1, len(wanted) + 1):
            latencies.append(
                await session.screen.keystroke(wanted[end - 1].encode(), wanted[:end].encode())
            )
            await asyncio.sleep(KEY_GAP_SECONDS)
        await asyncio.sleep(1.0)  # the list filters while the user reads it
        session.screen.process.stdin.write(CLEAR_FIELD)
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - began)))
    return latencies


# ------------------------------------------------------------------------ servers


def prepare(folder: Path) -> tuple[str, asyncssh.SSHKey, list[str]]:
    """The database, the user's key and the Tax IDs to search for."""
    url = f"sqlite:///{folder / 'bench.db'}"
    _scale_data.build(url, SUPPLIERS)
    key = asyncssh.generate_private_key("ssh-ed25519")
    ctx = open_context(Config(db=url))
    ssh_keys.add_key(ctx, _scale_data.ADMIN, key.export_public_key().decode())
    ctx.close()
    from stdnum.cl import rut

    tax_ids = []
    for i in range(0, SUPPLIERS, 37):
        body = str(10_000_000 + i * 7)
        tax_ids.append(body + rut.calc_check_digit(body))
    return url, key, tax_ids


def app_env(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "XDG_DATA_HOME": str(folder / "data"),
        "GOSOCKET_CONFIG": str(folder / "no-config.toml"),
        "GOSOCKET_LANG": "en",
    }


def start_serve(folder: Path, url: str, sessions: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    log = folder / "serve.log"
    cap = str(sessions + 1)
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "gosocket_tui", "--db", url, "serve"),
            *("--listen", f"127.0.0.1:{port}"),
            *("--max-sessions", cap, "--max-sessions-per-user", cap),
        ],
        env=app_env(folder),
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    wait_for_port(port, proc, log)
    return proc, port


def openssh_missing() -> str:
    if not os.path.exists(SSHD):
        return f"{SSHD} is not installed"
    if os.geteuid() != 0:
        return "sshd needs root to log a user in"
    return ""


def start_sshd(folder: Path, url: str, key: asyncssh.SSHKey) -> tuple[subprocess.Popen[bytes], int]:
    """A private sshd on loopback whose ForceCommand starts the app (the README's
    alternative, without the sudo hop): root logs in with the benchmark's key."""
    place = folder / "sshd"
    place.mkdir(mode=0o700)
    host_key = place / "host_key"
    host_key.write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_private_key())
    host_key.chmod(0o600)
    (place / "authorized_keys").write_bytes(key.export_public_key())
    env = app_env(folder)
    launcher = place / "app"
    launcher.write_text(
        "#!/bin/sh\n"
        f"exec env PYTHONPATH={env['PYTHONPATH']} XDG_DATA_HOME={env['XDG_DATA_HOME']} "
        f"GOSOCKET_CONFIG={env['GOSOCKET_CONFIG']} GOSOCKET_LANG=en GOSOCKET_DB={url} "
        f"{sys.executable} -m gosocket_tui\n"
    )
    launcher.chmod(0o755)
    port = free_port()
    config = place / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
        f"PidFile {place / 'sshd.pid'}\nAuthorizedKeysFile {place / 'authorized_keys'}\n"
        "StrictModes no\nUsePAM no\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
        "DisableForwarding yes\nPermitTTY yes\n"
        f"ForceCommand {launcher}\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation folder
    log = place / "sshd.log"
    proc = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=log.open("wb")
    )
    wait_for_port(port, proc, log)
    return proc, port


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# --------------------------------------------------------------------------- run


async def measure(args: argparse.Namespace, folder: Path) -> None:
    url, key, tax_ids = prepare(folder)
    server, port = start_serve(folder, url, args.sessions)
    reason = openssh_missing()
    sshd: subprocess.Popen[bytes] | None = None
    sshd_port = 0
    if reason:
        print(f"openssh: skipped ({reason})")
    else:
        sshd, sshd_port = start_sshd(folder, url, key)
    sessions: list[Session] = []
    openssh_ms: list[float] = []
    try:

        async def one_openssh() -> None:
            if sshd is not None:
                session = await open_session(sshd_port, "root", key, OPENSSH_MARK)
                openssh_ms.append(session.connect_ms)
                await session.close()

        # Warm-up of both (page cache, .pyc files), not counted.
        await (await open_session(port, _scale_data.ADMIN, key, SERVE_MARK)).close()
        await one_openssh()
        openssh_ms.clear()
        for index in range(args.sessions):
            if index % OPENSSH_EVERY == 0:
                await one_openssh()
            sessions.append(await open_session(port, _scale_data.ADMIN, key, SERVE_MARK))
        await one_openssh()
        connect = [s.connect_ms for s in sessions]
        print(
            f"connect to painted: p50 {statistics.median(connect):.0f} ms, "
            f"p90 {percentile(connect, 0.9):.0f} ms, max {max(connect):.0f} ms "
            f"({len(connect)} sessions, opened one after another)"
        )
        if openssh_ms:
            print(
                f"openssh + ForceCommand to login screen: p50 {statistics.median(openssh_ms):.0f} "
                f"ms ({len(openssh_ms)} connections)"
            )

        await asyncio.sleep(SETTLE_SECONDS)
        rng = random.Random(12)
        until = time.perf_counter() + args.duration
        typed = await asyncio.gather(
            *(
                type_searches(s, tax_ids, until, args.interval, random.Random(rng.random()))
                for s in sessions[: args.active]
            )
        )
        keys = [ms for per_session in typed for ms in per_session]
        print(
            f"keystroke echo: p50 {statistics.median(keys):.1f} ms, "
            f"p99 {percentile(keys, 0.99):.1f} ms, max {max(keys):.1f} ms "
            f"({len(keys)} keys in {args.active} active of {len(sessions)} sessions)"
        )

        await asyncio.sleep(SETTLE_SECONDS)
        tree = [server.pid, *descendants(server.pid)]
        before, parent_before = cpu_ticks(tree), cpu_ticks([server.pid])
        began = time.perf_counter()
        await asyncio.sleep(args.idle_seconds)
        window = (time.perf_counter() - began) * TICKS / 100
        idle_pct = (cpu_ticks(tree) - before) / window
        parent_pct = (cpu_ticks([server.pid]) - parent_before) / window
        print(
            f"idle CPU of server and sessions: {idle_pct:.2f} % of one core "
            f"(the server process itself {parent_pct:.2f} %)"
        )

        children = descendants(server.pid)
        rss = sum(rss_bytes(pid) for pid in children) / len(sessions) / 2**20
        pss = sum(pss_bytes(pid) for pid in children) / len(sessions) / 2**20
        print(
            f"memory per session: RSS {rss:.1f} MiB, PSS {pss:.1f} MiB "
            f"({len(children)} processes); server itself RSS "
            f"{rss_bytes(server.pid) / 2**20:.1f} MiB"
        )
    finally:
        for session in sessions:
            await session.close()
        stop(server)
        if sshd is not None:
            stop(sshd)

    line = (
        f"RESULT sessions={len(sessions)} connect_ms_p50={statistics.median(connect):.0f} "
        f"keystroke_ms_p50={statistics.median(keys):.1f} "
        f"keystroke_ms_p99={percentile(keys, 0.99):.1f} idle_cpu_pct={idle_pct:.2f} "
        f"rss_mib_per_session={rss:.1f}"
    )
    if openssh_ms:
        line += f" openssh_connect_ms_p50={statistics.median(openssh_ms):.0f}"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50, help="sessions open (default 50)")
    parser.add_argument("--active", type=int, default=10, help="sessions typing (default 10)")
    parser.add_argument("--interval", type=float, default=3.0, help="s between searches")
    parser.add_argument("--duration", type=float, default=30.0, help="s of typing")
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="s of the CPU window")
    args = parser.parse_args()
    if not 1 <= args.active <= args.sessions:
        parser.error("--active must be between 1 and --sessions")
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(measure(args, Path(tmp)))


if __name__ == "__main__":
    main()
