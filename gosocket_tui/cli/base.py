"""The root command group (without a command it starts the app) and the shared way commands
reach configuration and services."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from gosocket_tui.config import Config, load_config
from gosocket_tui.errors import UserError, ValidationError
from gosocket_tui.i18n import _, set_language
from gosocket_tui.services.context import ServiceContext, open_context
from gosocket_tui.services.exchange import FilePlace, files_for
from gosocket_tui.services.own_company import own_company_session
from gosocket_tui.services.session import Session
from gosocket_tui.services.system import system_session


@dataclass
class CliState:
    """What commands share. On the server, commands act as the system actor for the company
    ``--company`` names, on the operator's own paths. A command sent over SSH has ``remote``,
    the key's user: it acts as her, for her company only, in its exchange folder."""

    flags: dict[str, Any] = field(default_factory=dict)
    config_path: Path | None = None
    remote: Session | None = None
    screenshots: Path | None = None  # ``--screenshots``: where F12 saves pictures
    _config: Config | None = None
    _services: ServiceContext | None = None

    @classmethod
    def for_session(cls, ctx: ServiceContext, session: Session) -> CliState:
        """The state of a command run over SSH as ``session``'s user, on ``ctx``."""
        return cls(remote=session, _config=ctx.config, _services=ctx)

    def config(self, **extra: Any) -> Config:
        if self._config is None or extra:
            self._config = load_config({**self.flags, **extra}, config_path=self.config_path)
            set_language(self._config.lang)
        return self._config

    def services(self) -> ServiceContext:
        if self._services is None:
            self._services = open_context(self.config())
        return self._services

    def acting(self, company_ref: str | None) -> Session:
        """Who a supplier command acts as: the key's user over SSH (``--company`` may only
        name her own company), else the system actor of ``--company``, which is required."""
        if self.remote is not None:
            return own_company_session(self.services(), self.remote, company_ref)
        if company_ref is None:  # refused before the database is opened
            raise click.UsageError(_("Missing option '--company'."))
        return system_session(self.services(), company_ref)

    def files(self) -> FilePlace:
        """Where a file named on the command line is: any path on the server, only the
        company's exchange folder over SSH (``services/exchange.py``)."""
        if self.remote is None:
            return FilePlace()
        return files_for(self.config(), self.remote.company_id, remote=True)


pass_state = click.make_pass_decorator(CliState)
COMPANY_HELP = "The company, COUNTRY:TAXID (required on the server; over SSH, your own)."


def require_terminal() -> None:
    """Refuse to start the full-screen app without a terminal, before anything is opened.

    Without one (``ssh host cmd``, ``ssh -T``, scp/sftp sessions, ``</dev/null``, a pipe) the
    app could neither read keys nor draw: Textual's input thread spun at 100% CPU forever with
    the database open. Keys come from stdin; the screen is drawn on stdout's terminal (Textual
    writes to stderr, so both must be the terminal).
    """
    streams = (sys.stdin, sys.stdout, sys.stderr)
    if not all(stream is not None and stream.isatty() for stream in streams):
        raise UserError(
            _(
                "The full-screen app needs a terminal: connect with ssh -t, "
                "or run a command (gosocket-tui --help)."
            )
        )


def run_app(state: CliState) -> None:
    """Start the app on the configured database."""
    from gosocket_tui.tui.app import make_app  # late, for startup speed: commands skip Textual

    state.config()  # the language of the refusal
    require_terminal()
    app = make_app(state.services(), screenshots=state.screenshots)
    app.run()


class FiniteFloatRange(click.FloatRange):
    """A float in a range; unlike ``click.FloatRange`` it refuses ``inf`` and ``nan``."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(_("{value!r} is not a finite number.", value=value), param, ctx)
        return number


def read_password(password_stdin: bool) -> str:
    """One line of standard input with ``--password-stdin``, else a prompt typed twice."""
    if password_stdin:
        raw = getattr(sys.stdin, "buffer", None)
        try:
            line = raw.readline().decode("utf-8") if raw is not None else sys.stdin.readline()
        except UnicodeDecodeError:
            raise ValidationError(
                _("The password on standard input is not UTF-8 text."), field="password"
            ) from None
        if not line:
            raise ValidationError(_("No password on standard input."), field="password")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise click.UsageError(_("Use --password-stdin when standard input is not a terminal."))
    return str(click.prompt(_("Password"), hide_input=True, confirmation_prompt=True))


def screenshots_dir(ctx: click.Context, param: click.Parameter, text: str | None) -> Path | None:
    """``--screenshots DIR``: a folder path that can exist (the folder's own rules are checked
    when a picture is saved, ``services/screenshots.py``)."""
    if text is None:
        return None
    value = Path(text)
    if not text.strip() or text != text.strip():
        raise click.BadParameter(_("Name a folder."), ctx, param)
    if not text.isprintable():
        raise click.BadParameter(_("The folder name holds control characters."), ctx, param)
    if len(text) > 1024 or any(len(part.encode()) > 255 for part in value.parts):
        raise click.BadParameter(_("The folder name is too long."), ctx, param)
    return value


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="URL", help="Database URL (sqlite:///path or postgresql://…).")
@click.option("--lang", type=click.Choice(["en", "es"]), help="Language of the interface.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Config file (default: config.toml in the user config folder).",
)
@click.option(
    "--screenshots",
    metavar="DIR",
    callback=screenshots_dir,
    help="Folder for the screenshots F12 saves (default: in the user data folder).",
)
@click.version_option(package_name="gosocket-tui")
@click.pass_context
def root(
    ctx: click.Context,
    db: str | None,
    lang: str | None,
    config_path: Path | None,
    screenshots: Path | None,
) -> None:
    """Manage your suppliers in the Gosocket network.

    Without a command, starts the full-screen app.
    """
    ctx.obj = CliState(
        flags={"db": db, "lang": lang}, config_path=config_path, screenshots=screenshots
    )
    ctx.call_on_close(lambda: ctx.obj._services.close() if ctx.obj._services else None)
    if ctx.invoked_subcommand is None:
        run_app(ctx.obj)
