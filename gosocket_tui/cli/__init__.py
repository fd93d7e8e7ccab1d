"""The ``gosocket-tui`` command line: the app, the demo and every administration command.

Exit codes: 0 success, 1 a user error (one line on stderr, never a traceback), 2 bad usage.
Each area registers its commands from its own module; ``main`` maps errors to exit codes.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import NoReturn

import click
import platformdirs

from gosocket_tui.cli.base import root
from gosocket_tui.errors import GosocketError
from gosocket_tui.safe_text import SafeStream

ROOT_OPTIONS_WITH_VALUE = ("--db", "--lang", "--config")


def _wants_subcommand(argv: list[str]) -> bool:
    """True unless the command line only starts the app (root options at most).

    Starting the app is the common case over SSH, so it skips importing the command modules
    (openpyxl, aiosmtpd, argon2…): the login screen paints sooner.
    """
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ROOT_OPTIONS_WITH_VALUE:
            i += 2
        elif arg.startswith(tuple(f"{name}=" for name in ROOT_OPTIONS_WITH_VALUE)):
            i += 1
        else:
            return True
    return False


def _register_commands() -> None:
    """Importing the command modules registers their commands on ``root``."""
    from gosocket_tui.cli import admin, app, bulk, invitations, suppliers  # noqa: F401


def _log_crash() -> Path | None:
    """Keep the traceback of an unexpected error in a log file for support, not on screen."""
    try:
        folder = Path(platformdirs.user_log_dir("gosocket-tui"))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "crash.log"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(traceback.format_exc() + "\n")
        return path
    except OSError:
        return None


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not _wants_subcommand(args):
        _run(args)  # the full-screen app: Textual owns the terminal
    _register_commands()
    # Every command's output (tables, CSV, messages that echo a name or an input, click's
    # usage errors) passes one filter: no control character reaches the terminal.
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(stdout), SafeStream(stderr)  # type: ignore[assignment]
    try:
        _run(args)
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def _run(args: list[str]) -> NoReturn:
    try:
        root.main(args=args, prog_name="gosocket-tui", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:  # pragma: no cover - click >= 8.2
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc), err=True)
        sys.exit(2)
    except click.UsageError as exc:
        exc.show()
        sys.exit(2)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except GosocketError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:
        where = _log_crash()
        hint = f" (details in {where})" if where else ""
        click.echo(f"Error: unexpected {exc.__class__.__name__}: {exc}{hint}", err=True)
        sys.exit(1)
    sys.exit(0)
