"""Who gets in and what they may ask for: the asyncssh server of ``gosocket-tui serve``.

Public-key authentication against the app's own key table (``services/ssh_keys.py``), one
child process per interactive session (``ssh/launcher.py``), the supplier commands of
``ssh/commands.py`` run as the key's user, SFTP in their company's exchange folder for
administrators (``ssh/sftp.py``), and nothing else: no passwords, no keyboard-interactive, no
other command, no other subsystem, no forwarding of any kind. The reserved user ``activate``
takes any key the client proves it holds and opens only the activation screen, a limited
number of times per source address.
:data:`REQUESTS` classifies every request asyncssh would hand the server; a test fails when a
new one appears unclassified. Every accept, refusal and end is a log line (who, key
fingerprint, source address) and an audit event where it has someone to name.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import asyncssh

from gosocket_tui.config import SFTP_HOST
from gosocket_tui.errors import GosocketError
from gosocket_tui.safe_text import plain
from gosocket_tui.services import audit
from gosocket_tui.services.auth import ACTIVATION_USERNAME, normalize_username
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.exchange import ExchangeFolder, company_folder_name, exchange_root
from gosocket_tui.services.session import Session, require_session
from gosocket_tui.services.ssh_keys import (
    authenticate_key,
    key_accepted,
    key_still_valid,
    refuse_key,
)
from gosocket_tui.ssh.commands import CommandRefused, command_name, remote_argv
from gosocket_tui.ssh.handoff import ACTIVATE_MODE, Handoff, encode_handoff
from gosocket_tui.ssh.host_key import fingerprint
from gosocket_tui.ssh.launcher import PtySession
from gosocket_tui.ssh.limits import ActivationLimits, FailedLogins, SessionCaps
from gosocket_tui.ssh.sftp import ExchangeSFTP, Quota, SessionChannel, SftpFactory

log = logging.getLogger("gosocket_tui.ssh")
T = TypeVar("T")

# Every request the server side of asyncssh can pass to the application, and the answer.
# "allowed": served; "refused": answered no (and logged); "event": a notification, no answer.
REQUESTS: dict[str, str] = {
    # SSHServer: the connection and authentication
    "connection_made": "event",
    "connection_lost": "event",
    "debug_msg_received": "event",
    "begin_auth": "allowed",
    "auth_completed": "event",
    "public_key_auth_supported": "allowed",
    "validate_public_key": "allowed",
    "validate_ca_key": "refused",
    "password_auth_supported": "refused",
    "validate_password": "refused",
    "change_password": "refused",
    "kbdint_auth_supported": "refused",
    "get_kbdint_challenge": "refused",
    "validate_kbdint_response": "refused",
    "host_based_auth_supported": "refused",
    "validate_host_public_key": "refused",
    "validate_host_ca_key": "refused",
    "validate_host_based_user": "refused",
    "validate_gss_principal": "refused",
    "session_requested": "allowed",
    "connection_requested": "refused",
    "server_requested": "refused",
    "unix_connection_requested": "refused",
    "unix_server_requested": "refused",
    "tun_requested": "refused",
    "tap_requested": "refused",
    # SSHServerSession: one session channel
    "pty_requested": "allowed",
    "shell_requested": "allowed",
    "exec_requested": "allowed",  # only the commands of ssh/commands.py; others refused
    "subsystem_requested": "allowed",  # sftp, for administrators (ssh/sftp.py); no other
    "session_started": "event",
    "data_received": "allowed",
    "eof_received": "event",
    "soft_eof_received": "event",  # the line editor's Ctrl-D: it is off (line_editor=False)
    "terminal_size_changed": "allowed",
    "break_received": "refused",
    "signal_received": "refused",
    "pause_writing": "event",
    "resume_writing": "event",
}

# Connection options: what asyncssh itself would otherwise offer.
FEATURES_OFF = {
    "agent_forwarding": False,
    "x11_forwarding": False,
    "allow_scp": False,
    "kbdint_auth": False,
    "password_auth": False,
    "gss_host": None,
}


@dataclass(frozen=True)
class Limits:
    max_sessions: int = 50
    max_sessions_per_user: int = 5
    login_timeout_seconds: float = 30.0
    keepalive_seconds: float = 30.0
    keepalive_count_max: int = 3
    failed_logins: int = 10
    failed_window_seconds: float = 300.0
    key_check_seconds: float = 5.0
    activation_sessions_per_address: int = 2
    activations_per_window: int = 5
    activation_window_seconds: float = 900.0
    max_activation_sessions: int = 10


def _shown(value: object) -> str:
    """A client-chosen value in a log line: control characters replaced, length bounded."""
    return repr(plain(value)[:80])


@dataclass
class Endpoint:
    """What all connections share: the services (on one worker thread), the limits, the
    configuration handed to each session's child, and the sessions open now."""

    ctx: ServiceContext
    limits: Limits = field(default_factory=Limits)
    flags: dict[str, Any] = field(default_factory=dict)
    config_path: Path | None = None
    failures: FailedLogins = field(init=False)
    caps: SessionCaps = field(init=False)
    activations: ActivationLimits = field(init=False)
    open_sessions: dict[asyncssh.SSHServerConnection, tuple[Session, str]] = field(
        default_factory=dict
    )
    connections: set[asyncssh.SSHServerConnection] = field(default_factory=set)
    _executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="ssh-services")
    )

    def __post_init__(self) -> None:
        self.failures = FailedLogins(self.limits.failed_logins, self.limits.failed_window_seconds)
        self.caps = SessionCaps(self.limits.max_sessions, self.limits.max_sessions_per_user)
        self.activations = ActivationLimits(
            self.limits.activation_sessions_per_address,
            self.limits.activations_per_window,
            self.limits.activation_window_seconds,
            total=self.limits.max_activation_sessions,
        )

    async def call(self, work: Callable[[], T]) -> T:
        """Run a service call on the one services thread (its database connection)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    def audit(
        self,
        actor: Session | None,
        action: str,
        target: str,
        outcome: str,
        detail: str,
    ) -> None:
        """Record an audit event in the background; a failure to record is logged."""

        def write() -> None:
            audit.record(
                self.ctx,
                actor,
                action,
                target=target,
                outcome=outcome,
                detail=detail,
                actor_name=None if actor else target[:64],
            )

        future = asyncio.get_running_loop().run_in_executor(self._executor, write)
        future.add_done_callback(_log_audit_failure)

    async def check_keys(self) -> None:
        """Close the connections whose user or key is no longer valid (removed, disabled)."""
        while True:
            await asyncio.sleep(self.limits.key_check_seconds)
            for conn, (session, key) in list(self.open_sessions.items()):
                try:
                    valid = await self.call(partial(key_still_valid, self.ctx, session, key))
                except GosocketError:
                    continue  # the database is unreachable: judged again on the next round
                if not valid and conn in self.open_sessions:
                    log.info("ssh revoked user=%s key=%s", _shown(session.username), key)
                    conn.close()

    async def close_connections(self, timeout: float) -> None:
        """Close every connection (each session's process group is ended) and wait, at most
        ``timeout`` seconds, for the sessions' children to be gone."""
        for conn in list(self.connections):
            conn.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.caps.open_count and loop.time() < deadline:
            await asyncio.sleep(0.05)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self.ctx.close()


def _log_audit_failure(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("ssh audit event not recorded: %s", _shown(future.exception()))


class AppServer(asyncssh.SSHServer):
    """One client connection: authentication by key, then sessions of the app."""

    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint
        self._conn: asyncssh.SSHServerConnection | None = None
        self._peer = "?"
        self._username = ""
        self._candidate: tuple[str, asyncssh.SSHKey] | None = None  # the last key that matched
        self._login: tuple[Session, str] | None = None
        self._login_task: asyncio.Task[tuple[Session, str] | None] | None = None
        self._activating: str | None = None  # an activation: the fingerprint of its key
        self._activation_key = ""  # … and its OpenSSH line
        self._lost = False

    # ------------------------------------------------------------------ connection

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._endpoint.connections.add(conn)
        peer = conn.get_extra_info("peername")
        self._peer = str(peer[0]) if peer else "?"

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        if self._conn is not None:
            self._endpoint.connections.discard(self._conn)
        if self._activating is not None:
            log.info(
                "ssh disconnected user='activate' key=%s from=%s", self._activating, self._peer
            )
        elif self._login_task is None:  # no key was proved: a failed login for the address
            self._endpoint.failures.failed(self._peer)
            log.info("ssh closed before login user=%s from=%s", _shown(self._username), self._peer)
        elif self._login is not None:
            self._logged_out()
        # else the login is still being made: it ends the connection when done (_log_in)

    def _logged_out(self) -> None:
        assert self._login is not None
        self._endpoint.open_sessions.pop(self._conn, None)  # type: ignore[arg-type]
        session, key = self._login
        log.info(
            "ssh disconnected user=%s key=%s from=%s", _shown(session.username), key, self._peer
        )

    def _refuse(self, what: str) -> None:
        """Log (and audit, for a logged-in user) a request this server never serves."""
        who = self._login[0].username if self._login else self._username
        key = self._login[1] if self._login else self._activating or "-"
        log.info("ssh refused %s user=%s key=%s from=%s", what, _shown(who), key, self._peer)
        if self._login is not None:
            self._endpoint.audit(self._login[0], "ssh.refused", who, "refused", what)
        elif self._activating is not None:
            detail = f"{what} key {key} from {self._peer}"
            self._endpoint.audit(None, "ssh.refused", ACTIVATION_USERNAME, "refused", detail)

    # ------------------------------------------------------------------ authentication

    def begin_auth(self, username: str) -> bool:
        self._username = username
        if self._endpoint.failures.blocked(self._peer):
            log.info("ssh refused too-many-failures user=%s from=%s", _shown(username), self._peer)
            if self._conn is not None:
                self._conn.disconnect(
                    asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE, "Too many failed logins."
                )
        return True  # every user must authenticate

    def public_key_auth_supported(self) -> bool:
        return True

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        """Whether ``key`` is one of ``username``'s keys; asked for a key merely offered (the
        client has not proved it holds the private key yet) and again for the key that signs.

        A key that matches is not yet a login: anyone may know a public key. The login is
        made and audited in :meth:`auth_completed`, after asyncssh verified the signature. A
        key that does not match is audited as refused at once (``refuse_key``, which grants
        nothing even when the key was registered since ``key_accepted`` read).
        """
        if self._endpoint.failures.blocked(self._peer):
            return False
        if _is_activation(username):  # any key: the signature is all that is asked
            self._candidate = (username, key)
            return True
        key_id = fingerprint(key)
        ctx = self._endpoint.ctx
        try:
            registered = await self._endpoint.call(partial(key_accepted, ctx, username, key))
            if not registered:  # audited as refused, even if the key was added meanwhile
                await self._endpoint.call(partial(refuse_key, ctx, username, key))
        except GosocketError as exc:
            log.warning("ssh cannot check key user=%s: %s", _shown(username), _shown(exc))
            return False
        if not registered:
            log.info("ssh refused key user=%s key=%s from=%s", _shown(username), key_id, self._peer)
            return False
        self._candidate = (username, key)
        return True

    def auth_completed(self) -> None:
        """The client proved it holds the last key that matched: log in as its user now.

        asyncssh goes on reading the client's requests meanwhile; a session request waits
        for this login (:meth:`session_requested`).
        """
        assert self._candidate is not None
        username, key = self._candidate
        if _is_activation(username):
            self._activation_accepted(key)
            return
        self._login_task = asyncio.get_running_loop().create_task(self._log_in(username, key))

    async def _log_in(self, username: str, key: asyncssh.SSHKey) -> tuple[Session, str] | None:
        assert self._conn is not None
        key_id = fingerprint(key)
        ctx = self._endpoint.ctx
        try:
            session = await self._endpoint.call(partial(authenticate_key, ctx, username, key))
        except GosocketError:  # disabled or locked meanwhile (audited), or no database
            log.info(
                "ssh refused login user=%s key=%s from=%s", _shown(username), key_id, self._peer
            )
            self._conn.close()
            return None
        if self._lost:
            return None
        self._login = (session, key_id)
        log.info(
            "ssh accepted user=%s key=%s from=%s", _shown(session.username), key_id, self._peer
        )
        self._endpoint.open_sessions[self._conn] = self._login
        return self._login

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def host_based_auth_supported(self) -> bool:
        return False

    def validate_password(self, username: str, password: str) -> bool:
        return False

    def validate_ca_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return False

    def change_password(self, username: str, old_password: str, new_password: str) -> bool:
        return False

    def get_kbdint_challenge(self, username: str, lang: str, submethods: str) -> bool:
        return False

    def validate_kbdint_response(self, username: str, responses: object) -> bool:
        return False

    def validate_gss_principal(
        self, username: str, user_principal: str, host_principal: str
    ) -> bool:
        return False

    def validate_host_public_key(
        self, client_host: str, client_addr: str, client_port: int, key: asyncssh.SSHKey
    ) -> bool:
        return False

    def validate_host_ca_key(
        self, client_host: str, client_addr: str, client_port: int, key: asyncssh.SSHKey
    ) -> bool:
        return False

    def validate_host_based_user(
        self, username: str, client_host: str, client_username: str
    ) -> bool:
        return False

    # ------------------------------------------------------------------ channels

    async def session_requested(self) -> SessionChannel | PtySession:
        if self._activating is not None:
            return self._activation_session()
        login = await self._login_task if self._login_task is not None else None
        if login is None:
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, "No login.")
        session, key = login
        if not self._endpoint.caps.try_open(session.username):
            self._refuse("session-cap")
            raise asyncssh.ChannelOpenError(
                asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, "Too many sessions open."
            )
        flags = {**self._endpoint.flags, **self._sftp_address()}
        handoff = Handoff(session, key, flags, self._endpoint.config_path)
        pty = PtySession(
            encode_handoff(handoff),
            self._refuse,
            self._session_started,
            self._session_ended,
            on_exec=self._exec_handoff,
        )
        return SessionChannel(pty, self._sftp_factory(session, key), self._refuse)

    def _sftp_address(self) -> dict[str, object]:
        """Where this client reached the server, for the ``sftp`` lines of the session's
        exports: the configured ``sftp_host``/``sftp_port``, else this connection's own
        address (a name the client resolved is not sent over SSH)."""
        assert self._conn is not None
        config = self._endpoint.ctx.config
        local = self._conn.get_extra_info("sockname")
        host = config.sftp_host or (str(local[0]) if local else "")
        port = config.sftp_port or (int(local[1]) if local else 0)
        if not host or not SFTP_HOST.fullmatch(host) or not port:
            return {}
        return {"sftp_host": host, "sftp_port": port}

    def _sftp_factory(self, session: Session, key: str) -> SftpFactory | None:
        """SFTP in the company's exchange folder, for an administrator only."""
        if not session.is_admin:
            return None
        config = self._endpoint.ctx.config
        place = ExchangeFolder(exchange_root(config) / company_folder_name(session.company_id))
        quota = Quota(config.exchange_max_bytes, config.exchange_max_files)
        report = partial(self._sftp_event, session, key)
        ctx = self._endpoint.ctx

        def admin_now() -> bool:
            now = ctx.clock.now()
            try:
                current = require_session(ctx, replace(session, started_at=now, last_seen_at=now))
            except GosocketError:  # disabled, moved, or no database: no more files
                return False
            return current.is_admin

        async def still_admin() -> bool:
            return await self._endpoint.call(admin_now)

        return lambda chan: ExchangeSFTP(chan, place, quota, report, still_admin)

    def _sftp_event(
        self, session: Session, key: str, action: str, name: str, outcome: str, detail: str
    ) -> None:
        """One SFTP put, get, remove or refusal: a log line and an audit event."""
        log.info(
            "ssh %s user=%s key=%s from=%s name=%s outcome=%s %s",
            action.replace(".", " "),
            _shown(session.username),
            key,
            self._peer,
            _shown(name),
            outcome,
            _shown(detail),
        )
        self._endpoint.audit(session, action, name, outcome, f"key {key}: {detail}")

    def _exec_handoff(self, command: str) -> bytes:
        """The child's hand-over for an allowed command; ``CommandRefused`` (logged and
        audited) for any other. Only the command's name is logged: its arguments may hold a
        supplier's name or email."""
        assert self._login is not None
        session, key = self._login
        try:
            argv = remote_argv(command)
        except CommandRefused:
            self._refuse("exec")
            raise
        name = command_name(argv)
        log.info(
            "ssh exec user=%s key=%s from=%s command=%s",
            _shown(session.username),
            key,
            self._peer,
            _shown(name),
        )
        self._endpoint.audit(session, "ssh.exec", session.username, "ok", name)
        endpoint = self._endpoint
        handoff = Handoff(session, key, endpoint.flags, endpoint.config_path, "exec", argv)
        return encode_handoff(handoff)

    def _session_started(self, pid: int) -> None:
        assert self._login is not None
        session, key = self._login
        log.info(
            "ssh session start user=%s key=%s from=%s pid=%s",
            _shown(session.username),
            key,
            self._peer,
            pid,
        )
        self._endpoint.audit(
            session, "ssh.session", session.username, "ok", f"start from {self._peer}"
        )

    def _session_ended(self, returncode: int | None, started: bool) -> None:
        assert self._login is not None
        session, key = self._login
        self._endpoint.caps.close(session.username)
        if not started:
            return
        log.info(
            "ssh session end user=%s key=%s from=%s status=%s",
            _shown(session.username),
            key,
            self._peer,
            returncode,
        )
        self._endpoint.audit(
            session, "ssh.session", session.username, "ok", f"end status {returncode}"
        )

    # ------------------------------------------------------------------ activation

    def _activation_accepted(self, key: asyncssh.SSHKey) -> None:
        """``activate`` proved it holds ``key``: it may open the activation screen (only)."""
        assert self._conn is not None
        self._activating = fingerprint(key)
        self._activation_key = key.export_public_key("openssh").decode("ascii").strip()
        log.info("ssh accepted user='activate' key=%s from=%s", self._activating, self._peer)
        detail = f"accepted key {self._activating} from {self._peer}"
        self._endpoint.audit(None, "ssh.activate", ACTIVATION_USERNAME, "ok", detail)

    def _activation_session(self) -> PtySession:
        """The activation screen in a child process, within the per-address limits."""
        assert self._conn is not None and self._activating is not None
        endpoint, peer = self._endpoint, self._peer
        slot = f"{ACTIVATION_USERNAME}@{peer}"  # counts in the total of open sessions
        if not endpoint.caps.try_open(slot):
            self._refuse("session-cap")
            raise asyncssh.ChannelOpenError(
                asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, "Too many sessions open."
            )
        why = endpoint.activations.try_open(peer)
        if why:
            endpoint.caps.close(slot)
            log.info(
                "ssh refused activation-%s user='activate' key=%s from=%s",
                why,
                self._activating,
                peer,
            )
            detail = f"{why}: key {self._activating} from {peer}"
            endpoint.audit(None, "ssh.activate", ACTIVATION_USERNAME, "refused", detail)
            reason = {
                "full": "Too many activations at the moment; try again later.",
                "busy": "Too many activation sessions from your address at once.",
                "rate": "Too many activation sessions from your address; try again later.",
            }[why]
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, reason)
        sockname = self._conn.get_extra_info("sockname")
        handoff = Handoff(
            None,
            self._activating,
            endpoint.flags,
            endpoint.config_path,
            mode=ACTIVATE_MODE,
            public_key=self._activation_key,
            server_address=(str(sockname[0]), int(sockname[1])) if sockname else None,
        )

        def started(pid: int) -> None:
            log.info(
                "ssh session start user='activate' key=%s from=%s pid=%s",
                self._activating,
                peer,
                pid,
            )

        def ended(returncode: int | None, was_started: bool) -> None:
            endpoint.caps.close(slot)
            endpoint.activations.close(peer)
            if was_started:
                # The child's status says whether the supplier was registered.
                outcome = "activated" if returncode == 0 else "not-activated"
                log.info(
                    "ssh session end user='activate' key=%s from=%s status=%s %s",
                    self._activating,
                    peer,
                    returncode,
                    outcome,
                )
                detail = f"session end: {outcome}, key {self._activating} from {peer}"
                endpoint.audit(None, "ssh.activate", ACTIVATION_USERNAME, "ok", detail)

        return PtySession(encode_handoff(handoff), self._refuse, started, ended)

    def connection_requested(
        self, dest_host: str, dest_port: int, orig_host: str, orig_port: int
    ) -> bool:
        self._refuse("port-forwarding")
        return False

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        self._refuse("remote-forwarding")
        return False

    def unix_connection_requested(self, dest_path: str) -> bool:
        self._refuse("unix-forwarding")
        return False

    def unix_server_requested(self, listen_path: str) -> bool:
        self._refuse("unix-remote-forwarding")
        return False

    def tun_requested(self, unit: int | None) -> bool:
        self._refuse("tun")
        return False

    def tap_requested(self, unit: int | None) -> bool:
        self._refuse("tap")
        return False


def _is_activation(username: str) -> bool:
    """The SSH user ``activate`` (as usernames compare: case and outer spaces aside)."""
    return normalize_username(username) == ACTIVATION_USERNAME


async def start_server(
    endpoint: Endpoint, sock: socket.socket, host_key: asyncssh.SSHKey
) -> asyncssh.SSHAcceptor:
    """Serve on the listening socket ``sock`` until the acceptor is closed.

    The caller binds the socket first: a busy address is refused before anything is written.
    """
    limits = endpoint.limits
    return await asyncssh.create_server(
        lambda: AppServer(endpoint),
        sock=sock,
        server_host_keys=[host_key],
        encoding=None,
        allow_pty=True,
        line_editor=False,
        login_timeout=limits.login_timeout_seconds,
        keepalive_interval=limits.keepalive_seconds,
        keepalive_count_max=limits.keepalive_count_max,
        **FEATURES_OFF,
    )
