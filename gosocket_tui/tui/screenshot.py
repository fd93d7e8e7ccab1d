"""F12 and the palette's "Save screenshot": the current screen as an SVG file.

Where it goes (SECURITY.md, "Screenshots"):

* locally, the screenshots folder (``--screenshots DIR``, ``services/screenshots.py``);
* in a remote session (SSH), the company's exchange ``outbox/``, like every other export, with
  the ``sftp`` line that fetches it: the picture belongs to the person at the other end, and a
  server path is never reachable from a remote session;
* in a browser (``demo --web``), the browser itself receives the file (Textual's delivery):
  nothing is written on the server, whose folders the person in the browser cannot reach.

The name is built from the app's own identifiers (screen, language, size, time), never from
what the screen shows, and nothing else (no markup, no action parameter) chooses a path.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.screen import Screen

from gosocket_tui.errors import GosocketError
from gosocket_tui.i18n import _, get_language
from gosocket_tui.services.screenshots import SUFFIX, screenshot_name
from gosocket_tui.tui.files import with_fetch_hint, write_export
from gosocket_tui.tui.safe import plain
from gosocket_tui.tui.workers import call_service

if TYPE_CHECKING:
    from gosocket_tui.services.screenshots import ScreenshotFolder
    from gosocket_tui.tui.host import AppHost

SHOT_NOTICE_SECONDS = 10


def screen_place(screen: Screen[object]) -> str:
    """What the screen is, by the app's own names: the shell's view (the Network's tab),
    else the screen's class (``LoginScreen`` → ``login``)."""
    from gosocket_tui.tui.screens.shell import ShellScreen
    from gosocket_tui.tui.views.network import NetworkView

    if isinstance(screen, ShellScreen):
        view = screen.current
        if view == "network":
            return screen.query_one(NetworkView).active_tab
        return view
    name = type(screen).__name__.removesuffix("Screen") or "screen"
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def take_screenshot(app: App[Any], host: AppHost, folder: ScreenshotFolder) -> None:
    """Save ``app``'s screen now (painted on the UI thread, written in a worker) in
    ``folder``, or where ``host`` keeps a remote session's files; say where."""
    svg = app.export_screenshot()
    when = host.ctx.clock.now()
    name = screenshot_name(screen_place(app.screen), get_language(), app.size, when)
    if app.is_web:
        app.deliver_text(
            io.StringIO(svg),
            save_filename=name + SUFFIX,
            open_method="download",
            mime_type="image/svg+xml",
            name="screenshot",
        )
        app.notify(_("Screenshot sent to your browser: {name}", name=name + SUFFIX))
        return
    if host.remote:
        session = host.session
        if session is None:
            app.bell()
            app.notify(
                _("Screenshots are saved in your exchange folder once you are logged in."),
                severity="warning",
            )
            return
        files = host.files_for(session)

        def write_remote() -> str:
            return write_export(files, name + SUFFIX, lambda path: _write_text(path, svg))[1]

        call_service(
            app,
            write_remote,
            lambda shown: app.notify(
                with_fetch_hint(app, files, _("Screenshot saved: {path}", path=shown), shown),
                timeout=SHOT_NOTICE_SECONDS,
            ),
            lambda error: app.notify(error.message, severity="error"),
            group="screenshot",
            exclusive=False,
        )
        return

    def write_local() -> Path:
        try:
            return folder.save(svg, name)
        except OSError as exc:
            raise GosocketError(
                _("Could not save the screenshot: {reason}.", reason=exc.strerror or exc)
            ) from exc

    call_service(
        app,
        write_local,
        lambda path: app.notify(
            _("Screenshot saved: {path}", path=plain(path)), timeout=SHOT_NOTICE_SECONDS
        ),
        lambda error: app.notify(error.message, severity="error"),
        group="screenshot",
        exclusive=False,
    )


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
