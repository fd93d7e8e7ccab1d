"""``serve``: the app's own SSH endpoint (see ``gosocket_tui/ssh/``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from typing import TYPE_CHECKING

import click

from gosocket_tui.cli.base import CliState, pass_state, root
from gosocket_tui.errors import UserError
from gosocket_tui.i18n import _

if TYPE_CHECKING:
    import asyncssh

    from gosocket_tui.ssh.server import Endpoint

DEFAULT_LISTEN = "127.0.0.1:2222"
STOP_WAIT_SECONDS = 5.0


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[IPv6]:PORT``; port 0 picks a free one (printed at start)."""
    host, sep, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or len(host) > 253 or not port.isascii() or not port.isdigit():
        raise click.BadParameter(_("Use HOST:PORT, for example 127.0.0.1:2222."))
    if len(port) > 5 or int(port) > 65535:
        raise click.BadParameter(_("The port must be between 0 and 65535."))
    if not all(ch.isascii() and (ch.isalnum() or ch in ".-:") for ch in host):
        raise click.BadParameter(_("Use HOST:PORT, for example 127.0.0.1:2222."))
    return host, int(port)


def _bind(host: str, port: int) -> socket.socket:
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return socket.create_server((host, port), family=family, backlog=100)
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UserError(
            _("Cannot listen on {host}:{port}: {reason}", host=host, port=port, reason=reason)
        ) from None


@root.command("serve")
@click.option(
    "--listen",
    default=DEFAULT_LISTEN,
    show_default=True,
    metavar="HOST:PORT",
    help="Address to listen on (0.0.0.0:2222 opens it to the network).",
)
@click.option(
    "--max-sessions",
    type=click.IntRange(1, 1000),
    default=50,
    show_default=True,
    help="Interactive sessions open at once, in all.",
)
@click.option(
    "--max-sessions-per-user",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Interactive sessions open at once for one user.",
)
@click.option("--fingerprint", is_flag=True, help="Print the host key's fingerprint and exit.")
@pass_state
def serve(
    state: CliState, listen: str, max_sessions: int, max_sessions_per_user: int, fingerprint: bool
) -> None:
    """Serve the app over SSH: users log in with their registered keys.

    The host key is created in the data folder on first start. Stop with Ctrl+C or SIGTERM;
    open sessions end with the server.
    """
    # Late, for startup speed: asyncssh loads only for this command.
    from gosocket_tui.ssh.host_key import fingerprint as key_fingerprint
    from gosocket_tui.ssh.host_key import load_host_key

    if fingerprint:
        click.echo(key_fingerprint(load_host_key(create=False)))
        return
    try:
        host, port = parse_listen(listen)
    except click.BadParameter as exc:
        exc.param_hint = "'--listen'"
        raise
    from gosocket_tui.ssh.server import Endpoint, Limits

    limits = Limits(max_sessions=max_sessions, max_sessions_per_user=max_sessions_per_user)
    endpoint = Endpoint(
        state.services(), limits, flags=dict(state.flags), config_path=state.config_path
    )
    sock = _bind(host, port)
    try:
        key = load_host_key()
        _log_to_stderr()
        asyncio.run(_serve(endpoint, sock, key))
    finally:
        sock.close()
        endpoint.close()


def _log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger = logging.getLogger("gosocket_tui.ssh")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logging.getLogger("asyncssh").setLevel(logging.WARNING)


async def _serve(endpoint: Endpoint, sock: socket.socket, key: asyncssh.SSHKey) -> None:
    from gosocket_tui.ssh.host_key import fingerprint
    from gosocket_tui.ssh.server import start_server

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    acceptor = await start_server(endpoint, sock, key)
    host, port = sock.getsockname()[:2]
    click.echo(_("Host key {fingerprint}", fingerprint=fingerprint(key)))
    click.echo(_("Listening on {host}:{port}", host=host, port=port))
    sys.stdout.flush()
    checker = loop.create_task(endpoint.check_keys())
    await stop.wait()
    checker.cancel()
    acceptor.close()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(acceptor.wait_closed(), STOP_WAIT_SECONDS)
    await endpoint.close_connections(STOP_WAIT_SECONDS)
