"""The ``gosocket-tui`` command line: the app, the demo and every administration command.

Exit codes: 0 success, 1 a user error (one line on stderr, never a traceback), 2 bad usage.
Each area registers its commands from its own module; ``main`` maps errors to exit codes.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import NoReturn

import click
import platformdirs

from gosocket_tui.cli.base import root
from gosocket_tui.errors import GosocketError
from gosocket_tui.i18n import _, language_from_env, normalize_language, set_language
from gosocket_tui.safe_text import SafeStream, plain

ROOT_OPTIONS_WITH_VALUE = ("--db", "--lang", "--config", "--screenshots")


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
    """Importing the command modules registers their commands on ``root``.

    Late, for startup speed: starting the app skips them (``_wants_subcommand``).
    """
    from gosocket_tui.cli import (  # noqa: F401
        admin,
        app,
        bulk,
        company_settings,
        deploy,
        invitations,
        serve,
        stats,
        suppliers,
        user_keys,
    )


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


def _fail(message: object, code: int) -> None:
    """End with one line on stderr: CR, LF and other control characters in it replaced."""
    click.echo(_("Error: {message}", message=plain(message)), err=True)
    sys.exit(code)


def _usage_hint(exc: click.UsageError) -> str:
    command = exc.ctx.command_path if exc.ctx else "gosocket-tui"
    return _("{message} (see {command} --help)", message=exc.format_message(), command=command)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    set_language(
        normalize_language(os.environ.get("GOSOCKET_LANG")) or language_from_env(dict(os.environ))
    )
    for position, arg in enumerate(args, start=1):
        if any("\ud800" <= ch <= "\udfff" for ch in arg):
            # Bytes that are not UTF-8 reach Python as lone surrogates, which no database, file
            # or terminal takes; refused here once rather than failing deep inside a command.
            _fail(_("Argument {position} is not valid UTF-8 text.", position=position), 2)
    if not _wants_subcommand(args):
        _run(args)  # the full-screen app: Textual owns the terminal
    _register_commands()
    run_filtered(args)


def run_filtered(
    args: list[str], group: click.Group = root, obj: object = None, prog_name: str = "gosocket-tui"
) -> NoReturn:
    """Run a command of ``group``; ``obj`` is its state when the caller made it (a command
    sent over SSH runs with the user's session, see ``cli/ssh_exec.py``)."""
    # Every command's output (tables, CSV, messages that echo a name or an input, click's
    # usage errors) passes one filter: no control character reaches the terminal.
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(stdout), SafeStream(stderr)  # type: ignore[assignment]
    try:
        _run(args, group, obj, prog_name)
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def _run(
    args: list[str], group: click.Group = root, obj: object = None, prog_name: str = "gosocket-tui"
) -> NoReturn:
    try:
        group.main(args=args, prog_name=prog_name, standalone_mode=False, obj=obj)
    except click.exceptions.NoArgsIsHelpError as exc:  # pragma: no cover - click >= 8.2
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc), err=True)
        sys.exit(2)
    except click.UsageError as exc:
        _fail(_usage_hint(exc), 2)
    except click.Abort:
        _fail(_("Aborted."), 1)
    except click.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)
    except GosocketError as exc:
        _fail(exc.message, 1)
    except OSError as exc:
        # The system refused a file or socket operation (name too long, no space, no access).
        name = str(exc.filename or "")
        shown = f": {name[:77]}…" if len(name) > 80 else f": {name}" if name else ""
        _fail(f"{exc.strerror or exc.__class__.__name__}{shown}", 1)
    except UnicodeError as exc:
        _fail(_("Not valid text: {reason}", reason=exc), 1)
    except KeyboardInterrupt:
        click.echo(_("Interrupted."), err=True)
        sys.exit(130)
    except Exception as exc:
        log = _log_crash()
        hint = _(" (details in {path})", path=str(log)) if log else ""
        _fail(_("unexpected {kind}: {reason}", kind=exc.__class__.__name__, reason=exc) + hint, 1)
    sys.exit(0)
