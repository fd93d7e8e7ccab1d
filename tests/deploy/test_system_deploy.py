"""The README's SSH deployment run literally on this machine: real users, sudo, files in /etc.

``test_ssh_deploy.py`` stays cheap (root plays the service user, no sudo); this test walks the
README's section "Deploying with OpenSSH instead (a forced command)" as an operator would,
running the shell blocks it extracts from the README, so a README that drifts fails here: the
``gosocket`` system user with a nologin shell and a ``700`` home, its venv with a wheel built
from this checkout, ``db upgrade``, the root-only SMTP password file, the wrapper, the
``gosocket-admins`` group and the sudoers rule (``visudo -c``), the mail unit (checked with
``systemd-analyze verify``: systemd does not run in CI), the administrator ``ana`` with a key.
Then an ``sshd`` of its own (port, host key, pid file; not the system's service) reads
Debian's ``sshd_config`` whose ``Include`` finds the README's ``gosocket.conf`` verbatim.
Through ``ForceCommand sudo -n`` the OpenSSH client gets the login screen at 80x24 in English
and in Spanish and logs in to the company's Network view; meanwhile the app delivers a queued
invitation to a real SMTP relay on loopback that wants the password from
``/etc/gosocket-tui/env``. ``ssh host cmd`` and ``ssh -T`` get one line and exit 1.

It creates system users and files under /etc, so it runs only when
``GOSOCKET_TEST_SYSTEM_DEPLOY=1`` (``.ci/run`` sets it for its own step), as root, and refuses
to start if any user, group or file it would create already exists. Everything it created is
removed at the end, also on failure; only processes it started (and those running as the
users it created) are stopped, by their pid.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import select
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.terminal import run_on_terminal, ssh_argv

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
SSHD = "/usr/sbin/sshd"
ENABLE = "GOSOCKET_TEST_SYSTEM_DEPLOY"

SERVICE = "gosocket"
ADMINS = "gosocket-admins"
ADMIN = "ana"
HOME = Path("/home/gosocket")
APP = "/home/gosocket/venv/bin/gosocket-tui"
UNIT = Path("/etc/systemd/system/gosocket-mail.service")
CREATED_PATHS = (
    Path("/etc/sudoers.d/gosocket"),
    Path("/usr/local/sbin/gosocket-ssh"),
    Path("/etc/gosocket-tui"),
    HOME,
    Path("/home") / ADMIN,
    UNIT,
)
SMTP_PASSWORD = "relay-pa55word"
APP_PASSWORD = "condor-glacier-7341"
COMPANY = ("CL", "76.086.428-5", "Cordillera")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get(ENABLE) != "1",
        reason=f"creates system users and files under /etc: set {ENABLE}=1 (CI does)",
    ),
    pytest.mark.skipif(os.geteuid() != 0, reason="the README's recipe runs as root"),
]


def section() -> str:
    start = README.index("## Deploying with OpenSSH instead (a forced command)")
    end = README.index("\n## ", start + 3)
    return README[start:end]


def flat(text: str) -> str:
    """Prose with its line breaks and indentation folded, to find wrapped commands."""
    return " ".join(text.split())


def code_blocks() -> list[tuple[str, str]]:
    """The section's fenced blocks as (language, dedented text)."""
    blocks = []
    for indent, language, body in re.findall(
        r"^( *)```(\w*)\n(.*?)^\1```", section(), flags=re.M | re.S
    ):
        dedented = "\n".join(line.removeprefix(indent) for line in body.split("\n"))
        blocks.append((language, dedented))
    return blocks


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"expected {old!r} exactly once"
    return text.replace(old, new)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def exists(kind: str, name: str) -> bool:
    return subprocess.run(["getent", kind, name], capture_output=True, check=False).returncode == 0


def clean_env() -> dict[str, str]:
    """An operator's root shell: nothing that points Python at this checkout."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTHON", "GOSOCKET_", "VIRTUAL_ENV", "PYTEST", "COV_"))
    }


def sh(script: str, cwd: Path | str = "/", stdin: str | None = None) -> str:
    """Run README shell text as root with ``sh -e``; fail with its output."""
    done = subprocess.run(
        ["sh", "-ec", script],
        cwd=cwd,
        env=clean_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, f"{script}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    return done.stdout


@dataclass
class Relay:
    """A real SMTP server on loopback that wants the README's password (AUTH without TLS,
    which the app allows only to a loopback relay)."""

    logins: list[tuple[str, str]] = field(default_factory=list)
    messages: list[Envelope] = field(default_factory=list)

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        self.logins.append((login, password))
        return AuthResult(success=(login, password) == (SERVICE, SMTP_PASSWORD))

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if not session.authenticated:
            return "530 Authentication required"
        self.messages.append(envelope)
        return "250 OK"


def service_processes(uids: set[int]) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid in uids:
                    pids.append(int(entry.name))
    return pids


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@dataclass
class Deployment:
    port: int
    key: Path
    relay: Relay
    folder: Path

    def ssh(self, *extra: str) -> list[str]:
        return ssh_argv(self.port, self.key, f"{ADMIN}@127.0.0.1", "-o", "SendEnv=LANG", *extra)


def refuse_to_clobber() -> None:
    taken = [f"user {name}" for name in (SERVICE, ADMIN) if exists("passwd", name)]
    taken += [f"group {name}" for name in (SERVICE, ADMINS, ADMIN) if exists("group", name)]
    taken += [str(path) for path in CREATED_PATHS if path.exists() or path.is_symlink()]
    if taken:
        pytest.fail(f"refusing to run: already on this machine: {', '.join(taken)}")


def clean_up(sshd: subprocess.Popen[bytes] | None) -> None:
    """Remove what the test created (it refused to start if any of it existed)."""
    if sshd is not None:
        stop(sshd)
    uids = set()
    for name in (ADMIN, SERVICE):
        with contextlib.suppress(KeyError):
            uids.add(pwd.getpwnam(name).pw_uid)
    deadline = time.monotonic() + 15
    while (pids := service_processes(uids)) and time.monotonic() < deadline:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM if time.monotonic() < deadline - 5 else signal.SIGKILL)
        time.sleep(0.2)
    for name in (ADMIN, SERVICE):
        if exists("passwd", name):
            subprocess.run(["userdel", "-r", name], capture_output=True, check=False)
    for name in (ADMINS, ADMIN, SERVICE):
        if exists("group", name):
            subprocess.run(["groupdel", name], capture_output=True, check=False)
    for path in CREATED_PATHS:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def run_readme(dist: Path, smtp_port: int) -> str:
    """Steps 1 to 3 as the README writes them; returns step 4's sshd settings."""
    blocks = code_blocks()
    assert [language for language, _ in blocks] == ["sh", "sh", "sh", "", "sh"]
    install, password_file, wrapper, sshd_settings, mail_unit = (text for _, text in blocks)
    prose = flat(section())

    # 1. From a checkout: build a wheel as root, install it into the service account's venv.
    assert "python3 -m pip wheel --no-deps -w /tmp/dist ." in prose
    wheel = "'/tmp/dist/gosocket_tui-0.1.0-py3-none-any.whl[postgres]'"
    assert f"`{wheel}`" in prose
    sh(f"python3 -m pip wheel --no-deps -w {dist} .", cwd=REPO)
    sh(replace_once(install, "'gosocket-tui[postgres]'", wheel.replace("/tmp/dist", str(dist))))
    config = HOME / ".config/gosocket-tui/config.toml"
    assert f"Write `{config}`" in prose and "owned by `gosocket`, mode `600`" in prose
    sh(
        f"install -o gosocket -g gosocket -m 600 /dev/stdin {config}",
        stdin=(
            "[smtp]\n"
            'host = "127.0.0.1"\n'
            f"port = {smtp_port}\n"
            'security = "none"\n'
            'username = "gosocket"\n'
            'sender = "facturacion@example.com"\n'
        ),
    )
    upgrade = f"runuser -u gosocket -- {APP} db upgrade"
    assert f"`{upgrade}`" in prose
    sh(upgrade)

    # 2. The SMTP password, root's only.
    sh(
        replace_once(
            password_file, "GOSOCKET_SMTP_PASSWORD=…", f"GOSOCKET_SMTP_PASSWORD={SMTP_PASSWORD}"
        )
    )

    # 3. The wrapper, the group, the sudoers rule (the block ends with visudo -c).
    sh(wrapper)

    # 6. The unit is written as the README says; systemd itself does not run in CI.
    write_unit, start_unit = mail_unit.strip().split("\n")
    assert write_unit == f"{APP} deploy mail-unit > {UNIT}"
    assert start_unit == "systemctl daemon-reload && systemctl enable --now gosocket-mail"
    sh(write_unit)
    return sshd_settings


def add_admin(key: Path) -> None:
    """Step 5: the administrator's account, key and app account; a queued invitation."""
    prose = flat(section())
    useradd = f"useradd --create-home --groups {ADMINS} {ADMIN}"
    assert f"`{useradd}`" in prose and f"`/home/{ADMIN}/.ssh/authorized_keys`" in prose
    sh(useradd)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    sh(
        f"install -d -o {ADMIN} -g {ADMIN} -m 700 /home/{ADMIN}/.ssh && "
        f"install -o {ADMIN} -g {ADMIN} -m 600 /dev/stdin /home/{ADMIN}/.ssh/authorized_keys",
        stdin=key.with_suffix(".pub").read_text(),
    )
    as_service = f"runuser -u gosocket -- {APP}"
    assert f"`{as_service} user add …`" in prose
    country, tax_id, name = COMPANY
    company = f"{country}:{tax_id}"
    sh(f"{as_service} company add --country {country} --tax-id {tax_id} --name {name}")
    sh(
        f"{as_service} user add --company {company} --username {ADMIN} --admin --password-stdin",
        stdin=APP_PASSWORD + "\n",
    )
    # An invitation waits in the outbox: the app delivers it from the SSH session, with the
    # password the wrapper read from /etc/gosocket-tui/env.
    sh(
        f"{as_service} suppliers add --company {company} --country CO --tax-id 860.007.386-1 "
        "--name Proveedor --email compras@proveedor.example && "
        f"{as_service} suppliers invite --company {company} CO:860.007.386-1"
    )


def sshd_config(folder: Path, port: int, settings: str) -> Path:
    """Step 4: Debian's own sshd_config, its ``Include`` pointed at a folder holding the
    README's ``gosocket.conf`` verbatim, after the lines a test server needs (for most
    settings sshd keeps the first value it reads)."""
    assert "`sshd`: `/etc/ssh/sshd_config.d/gosocket.conf`" in flat(section())
    included = folder / "sshd_config.d"
    included.mkdir()
    (included / "gosocket.conf").write_text(settings)
    system = replace_once(
        Path("/etc/ssh/sshd_config").read_text(),
        "Include /etc/ssh/sshd_config.d/*.conf",
        f"Include {included}/*.conf",
    )
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\n"
        "ListenAddress 127.0.0.1\n"
        f"HostKey {folder / 'host_key'}\n"
        f"PidFile {folder / 'sshd.pid'}\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "UsePAM yes\n" + system
    )
    return config


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    refuse_to_clobber()
    for tool in (SSHD, "ssh", "sudo", "visudo", "runuser", "useradd"):
        assert shutil.which(tool), f"{tool} is missing (.ci/run installs it)"
    folder = tmp_path_factory.mktemp("system-deploy")
    relay = Relay()
    smtp = Controller(
        relay,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=relay.authenticate,
        auth_require_tls=False,
    )
    smtp.start()
    # The service account must read the wheel: not in pytest's 0700 temporary folder.
    dist = Path(tempfile.mkdtemp(prefix="gosocket-dist-"))
    dist.chmod(0o755)
    sshd: subprocess.Popen[bytes] | None = None
    try:
        sshd_settings = run_readme(dist, smtp.port)
        key = folder / "ana_key"
        add_admin(key)
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / "host_key")],
            check=True,
        )
        port = free_port()
        config = sshd_config(folder, port, sshd_settings)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation folder
        log = folder / "sshd.log"
        with log.open("wb") as err:
            sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=err)
        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            assert sshd.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "sshd did not start"
            time.sleep(0.1)
        yield Deployment(port, key, relay, folder)
    finally:
        smtp.stop()
        shutil.rmtree(dist, ignore_errors=True)
        clean_up(sshd)


class Terminal:
    """The OpenSSH client under a pty of 80x24; everything it printed so far in ``seen``."""

    def __init__(self, deployment: Deployment, lang: str) -> None:
        env = {**clean_env(), "TERM": "xterm-256color", "LANG": lang}
        self.client, self.master = run_on_terminal(deployment.ssh("-tt"), env)
        self.seen = b""

    def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], min(left, 0.2))
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                self.seen += chunk

    def wait_for(self, *wanted: str, seconds: float = 60) -> None:
        """Until every text appeared in the output printed from now on (Textual redraws)."""
        start = len(self.seen)
        deadline = time.monotonic() + seconds
        while not all(text.encode() in self.seen[start:] for text in wanted):
            assert time.monotonic() < deadline, f"not seen {wanted}; got {self.seen[-3000:]!r}"
            if self.client.poll() is not None:
                self.pump(0.5)
                assert all(text.encode() in self.seen[start:] for text in wanted), (
                    f"ssh ended without {wanted}; got {self.seen[-3000:]!r}"
                )
                return
            self.pump(0.2)

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.type("\x11")  # ctrl+q
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.client.wait(20)
        stop(self.client)
        os.close(self.master)


@contextlib.contextmanager
def terminal(deployment: Deployment, lang: str) -> Iterator[Terminal]:
    term = Terminal(deployment, lang)
    try:
        yield term
    finally:
        term.close()


def mode_and_owner(path: Path) -> tuple[int, str]:
    info = path.lstat()
    return stat.S_IMODE(info.st_mode), pwd.getpwuid(info.st_uid).pw_name


def test_an_administrator_logs_in_and_the_app_sends_with_the_root_only_password(
    deployment: Deployment,
) -> None:
    data = HOME / ".local/share/gosocket-tui"
    with terminal(deployment, "en_US.UTF-8") as term:
        term.wait_for("Log in", "Username", "Password")
        term.type(ADMIN)
        term.type("\t")
        term.type(APP_PASSWORD)
        term.type("\r")
        term.wait_for(COMPANY[2], "Network", "Mailbox")
        # The app delivers the queued invitation within a few seconds, logged in to the relay
        # with the password only root can read.
        deadline = time.monotonic() + 30
        while not deployment.relay.messages:
            assert time.monotonic() < deadline, f"no mail; logins {deployment.relay.logins}"
            term.pump(0.5)
        assert deployment.relay.messages[0].rcpt_tos == ["compras@proveedor.example"]
        assert (SERVICE, SMTP_PASSWORD) in deployment.relay.logins
        # A remote session's file fields use the company's exchange folder (created 0700).
        term.type("\x0f")  # ctrl+o: Bulk add, whose file field lists the folder
        deadline = time.monotonic() + 20
        while not (data / "exchange").exists():
            assert time.monotonic() < deadline, f"no exchange folder; {term.seen[-2000:]!r}"
            term.pump(0.5)
    assert mode_and_owner(HOME) == (0o700, SERVICE)
    assert pwd.getpwnam(SERVICE).pw_shell == "/usr/sbin/nologin"
    assert not (HOME / ".ssh").exists()  # nobody logs in as the service account
    assert mode_and_owner(data) == (0o700, SERVICE)
    assert mode_and_owner(data / "gosocket.db") == (0o600, SERVICE)
    for folder in (data / "exchange", *(data / "exchange").iterdir()):
        assert mode_and_owner(folder) == (0o700, SERVICE), folder
    assert mode_and_owner(Path("/etc/gosocket-tui/env")) == (0o600, "root")
    assert mode_and_owner(Path("/usr/local/sbin/gosocket-ssh")) == (0o755, "root")


def test_the_client_language_reaches_the_app_through_sudo(deployment: Deployment) -> None:
    with terminal(deployment, "es_CL.UTF-8") as term:
        term.wait_for("Iniciar sesión", "Usuario", "Contraseña")


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_the_mail_unit_is_valid_for_systemd(deployment: Deployment) -> None:
    done = subprocess.run(
        ["systemd-analyze", "verify", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("options", "command"),
    [(["-T"], []), ([], ["id"])],
    ids=["ssh -T", "ssh host cmd"],
)
def test_a_session_without_a_terminal_gets_one_line_and_exit_1(
    deployment: Deployment, options: list[str], command: list[str]
) -> None:
    done = subprocess.run(
        [*deployment.ssh(*options), *command],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=clean_env(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == b""
    assert done.stderr.decode().strip() == (
        "gosocket-ssh: gosocket-tui needs a terminal: connect with ssh -t"
    )
