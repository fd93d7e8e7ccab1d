"""``demo --web``: the demo in a browser, one fresh demo per tab (textual-serve).

textual-serve runs a command for each browser tab that connects (its websocket), and relays
the app's screen and keys between the process and the page. Here that command is
``python -m gosocket_tui.cli.demo_tab``: the tab's own process copies a demo database
prepared once (the template, seeded when the server starts) into a private folder of its
own, starts its own mail sink, and removes the folder when the tab closes. So twenty trainees
invite, activate and import side by side without seeing each other's data or mail, and each
Mailbox shows only the codes that work in its own database.

The rules (SECURITY.md, "The demo in a browser"):

* it listens on loopback (``127.0.0.1:8000``) unless ``--listen`` names another address, and
  then a warning says who can reach it;
* a websocket whose page came from another site is refused (a page the trainer visits cannot
  open demo sessions on their machine), and so is a request naming the server by a name other
  than an address, ``localhost`` or the ``--listen`` name (DNS rebinding); at most
  :data:`MAX_TABS` tabs run at once;
* each tab is a remote session: files only in its own exchange folder (inside its private
  folder), pictures (F12) sent to the browser; nothing of the server's files is reachable.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from aiohttp import web
from textual_serve.server import Server

from gosocket_tui.cli.demo_tab import TEMPLATE_NAME
from gosocket_tui.config import Config
from gosocket_tui.i18n import _
from gosocket_tui.services.context import open_context
from gosocket_tui.services.demo import load_fixture, seed_demo

DEFAULT_LISTEN = "127.0.0.1:8000"
MAX_TABS = 40
_HOST = re.compile(r"(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8000`` for IPv6) as (host, port), or a usage error."""
    host, colon, port_text = text.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise click.BadParameter(
            _("{value!r} is not HOST:PORT (e.g. 127.0.0.1:8000).", value=text[:80])
        )
    if not _HOST.fullmatch(host if ":" not in host else f"[{host}]"):
        raise click.BadParameter(_("{value!r} is not a host name or address.", value=host[:80]))
    return host, int(port_text)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def prepare_template(config: Config, folder: Path) -> Path:
    """Seed the demo database every tab starts from, once, in ``folder``."""
    template = folder / TEMPLATE_NAME
    ctx = open_context(replace(config, db="sqlite:///" + str(template)))
    try:
        seed_demo(ctx, load_fixture())
    finally:
        ctx.close()
    return template


def tab_command(root: Path, lang: str, config_path: Path | None) -> str:
    """The shell command textual-serve runs for each tab (every argument quoted)."""
    argv = [sys.executable, "-m", "gosocket_tui.cli.demo_tab", str(root), lang]
    if config_path is not None:
        argv.append(str(config_path))
    return shlex.join(argv)


def serve_demo(config: Config, listen: str | None, config_path: Path | None) -> None:
    """Serve the demo until Ctrl+C; every tab's folder is gone when it returns."""
    host, port = parse_listen(listen or DEFAULT_LISTEN)
    if not is_loopback(host):
        click.echo(
            _(
                "Warning: {host}:{port} is not a loopback address: anyone who reaches it "
                "gets a demo session. Stop it when the class ends.",
                host=host,
                port=port,
            ),
            err=True,
        )
    with tempfile.TemporaryDirectory(prefix="gosocket-web-") as folder:
        root = Path(folder)  # 0700: mkdtemp's own mode
        prepare_template(config, root)
        server = DemoServer(
            tab_command(root, config.lang, config_path),
            host=host,
            port=port,
            title="Gosocket demo",
        )
        click.echo(
            _(
                "Serving the demo on {url} (a fresh demo in every browser tab); Ctrl+C stops it.",
                url=server.public_url,
            )
        )
        try:
            server.serve()
        finally:
            shutil.rmtree(root, ignore_errors=True)


class DemoServer(Server):
    """textual-serve's server, with the page's addresses taken from the address the browser
    used, websockets from other sites refused and the number of tabs bounded."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tabs = 0

    async def on_startup(self, app: Any) -> None:
        """Quiet: the command prints its own line (textual-serve prints a logo)."""

    def initialize_logging(self) -> None:
        """Only problems on the console, not every request."""
        import logging

        logging.basicConfig(level="WARNING", format="%(message)s")

    def _host_allowed(self, host: str | None) -> bool:
        """The browser reached us by an address, ``localhost`` or the --listen name: never by
        another name, which a hostile site could point at this machine (DNS rebinding) and
        then pass the Origin check with its own name in both headers."""
        if not host or not _HOST.fullmatch(host):
            return False
        name = urlsplit(f"//{host}").hostname or ""
        if name in ("localhost", str(self.host).lower()):
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    async def handle_index(self, request: Any) -> Any:
        if not self._host_allowed(request.host):
            raise web.HTTPForbidden(text="unknown host name")
        # The page's websocket and static addresses: where the browser reached us (a
        # --listen on 0.0.0.0 has no address a browser can use), if it is a plain host.
        configured = self.public_url
        if _HOST.fullmatch(request.host or ""):
            self.public_url = f"http://{request.host}"
        try:
            return await super().handle_index(request)
        finally:
            self.public_url = configured

    async def handle_websocket(self, request: Any) -> Any:
        if not self._host_allowed(request.host):
            raise web.HTTPForbidden(text="unknown host name")
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != request.host:
            raise web.HTTPForbidden(text="websocket from another site")
        if self.tabs >= MAX_TABS:
            raise web.HTTPServiceUnavailable(text="too many demo tabs at once")
        self.tabs += 1
        try:
            return await super().handle_websocket(request)
        finally:
            self.tabs -= 1
