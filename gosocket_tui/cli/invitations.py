"""Invitations on the command line: invite, resend, cancel, delivery log, mail delivery,
the local SMTP sink and the supplier's activation.

``suppliers …`` commands act for the company named by ``--company`` as the system actor (the
server's administrator), or over SSH as the key's user (``CliState.acting``); ``activate`` is
the supplier's own command and needs no account.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from types import FrameType

import click
import platformdirs

from gosocket_tui.cli.base import (
    COMPANY_HELP,
    CliState,
    FiniteFloatRange,
    pass_state,
    read_password,
    root,
)
from gosocket_tui.cli.suppliers_group import suppliers
from gosocket_tui.errors import GosocketError, UserError
from gosocket_tui.i18n import (
    SUPPLIER_LANGUAGES,
    _,
    get_language,
    speaking,
    supplier_language_from_env,
)
from gosocket_tui.mail.sink import run_sink_forever
from gosocket_tui.safe_text import plain
from gosocket_tui.services import invitations
from gosocket_tui.services.activation import activate, parse_activation_ref
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.delivery.deliverer import (
    Deliverer,
    deliver_over_connections,
    smtp_settings_from_config,
)
from gosocket_tui.services.delivery.log import delivery_log_text
from gosocket_tui.services.delivery.report import DeliveryReport
from gosocket_tui.services.session import Session

company_option = click.option(
    "--company", "company_ref", metavar="COUNTRY:TAXID", help=COMPANY_HELP
)


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _deliverer(ctx: ServiceContext) -> Deliverer:
    return Deliverer(ctx, smtp_settings_from_config(ctx.config), _worker_id())


def _deliver_now(ctx: ServiceContext, connections: int = 1) -> DeliveryReport:
    """Deliver what is due and report; a mail server problem is a user error (exit 1)."""
    settings = smtp_settings_from_config(ctx.config)
    report = deliver_over_connections(ctx, settings, _worker_id(), connections)
    click.echo(report.summary())
    if report.server_error:
        raise UserError(
            _(
                "The mail server could not be used; the emails stay queued: {error}",
                error=report.server_error,
            )
        )
    return report


def _no_send_over_ssh(state: CliState, send: bool) -> None:
    """``--send`` delivers every company's queued mail: the server's delivery does that, not a
    user's command over SSH."""
    if send and state.remote is not None:
        raise click.UsageError(
            _("--send is not available over SSH: the server delivers queued emails itself.")
        )


def _state_line(info: invitations.InvitationInfo) -> str:
    return f"{info.country}:{info.tax_id_formatted}  {info.name}: " + invitations.state_label(
        info.state
    )


def _one_supplier(
    state: CliState, company_ref: str | None, tax_id: str
) -> tuple[ServiceContext, Session, int]:
    """The services, the acting session and the link of one supplier's TAXID."""
    session = state.acting(company_ref)
    ctx = state.services()
    (link_id,) = invitations.resolve_suppliers(ctx, session, [tax_id])
    return ctx, session, link_id


@suppliers.command("invite")
@company_option
@click.option("--send", is_flag=True, help="Deliver the queued emails now (else `mail deliver`).")
@click.argument("tax_ids", nargs=-1, required=True, metavar="TAXID...")
@pass_state
def invite_command(
    state: CliState, company_ref: str | None, send: bool, tax_ids: tuple[str, ...]
) -> None:
    """Invite suppliers: each gets an email with an activation code (Invitar).

    TAXID is a supplier's Tax ID in any notation; write COUNTRY:TAXID when the number alone
    matches suppliers of several countries.
    """
    _no_send_over_ssh(state, send)
    session = state.acting(company_ref)
    ctx = state.services()
    link_ids = invitations.resolve_suppliers(ctx, session, tax_ids)
    result = invitations.invite(ctx, session, link_ids)
    for outcome in result.outcomes:
        line = f"{outcome.country}:{outcome.tax_id_formatted}  {outcome.message}"
        click.echo(line, err=not outcome.queued)
    if not result.queued:
        raise UserError(_("No invitation was queued."))
    if send:
        _deliver_now(ctx)


@suppliers.command("resend")
@company_option
@click.option("--email", default=None, help="Correct the supplier's email first, then resend.")
@click.option("--send", is_flag=True, help="Deliver the email now (else `mail deliver`).")
@click.argument("tax_id", metavar="TAXID")
@pass_state
def resend_command(
    state: CliState, company_ref: str | None, email: str | None, send: bool, tax_id: str
) -> None:
    """Send a new activation code; the previous one stops working."""
    _no_send_over_ssh(state, send)
    ctx, session, link_id = _one_supplier(state, company_ref, tax_id)
    if email is not None:
        info = invitations.change_email(ctx, session, link_id, email)
    else:
        info = invitations.resend(ctx, session, link_id)
    click.echo(_state_line(info) + f" ({info.email})")
    if send:
        _deliver_now(ctx)


@suppliers.command("cancel")
@company_option
@click.argument("tax_id", metavar="TAXID")
@pass_state
def cancel_command(state: CliState, company_ref: str | None, tax_id: str) -> None:
    """Cancel a pending invitation: its email is not sent and its code stops working."""
    ctx, session, link_id = _one_supplier(state, company_ref, tax_id)
    click.echo(_state_line(invitations.cancel(ctx, session, link_id)))


@suppliers.command("delivery-log")
@company_option
@click.argument("tax_id", metavar="TAXID")
@pass_state
def delivery_log_command(state: CliState, company_ref: str | None, tax_id: str) -> None:
    """Print the invitation emails to one supplier and every delivery try (for support)."""
    ctx, session, link_id = _one_supplier(state, company_ref, tax_id)
    click.echo(delivery_log_text(ctx, session, link_id), nl=False)


@root.group()
def mail() -> None:
    """Outgoing mail."""


@mail.command("deliver")
@click.option("--watch", is_flag=True, help="Keep running and deliver as emails are queued.")
@click.option(
    "--poll",
    "poll_seconds",
    default=5.0,
    type=FiniteFloatRange(min=0.1, max=3600),
    show_default=True,
    help="Seconds between checks with --watch.",
)
@click.option(
    "--connections",
    default=2,
    type=click.IntRange(min=1, max=16),
    show_default=True,
    help="SMTP connections used at once (without --watch).",
)
@pass_state
def deliver_command(state: CliState, watch: bool, poll_seconds: float, connections: int) -> None:
    """Send the queued invitation emails that are due (retries included)."""
    ctx = state.services()
    if not watch:
        _deliver_now(ctx, connections)
        return
    deliverer = _deliverer(ctx)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    click.echo(_("Delivering queued emails; press Ctrl+C to stop."))
    try:
        deliverer.run_forever(
            stop, poll_seconds, on_report=lambda report: click.echo(report.summary())
        )
    except KeyboardInterrupt:
        stop.set()
    finally:
        signal.signal(signal.SIGTERM, previous)
        deliverer.close()
    click.echo(_("Stopped."))


def _default_maildir(state: CliState) -> Path:
    configured = state.config().maildir
    if configured:
        return Path(configured)
    return Path(platformdirs.user_data_dir("gosocket-tui")) / "maildir"


def _ip_literal(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """An IP address or ``localhost``: a local sink never waits on a name lookup."""
    if value != "localhost":
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise click.BadParameter(
                _("use an IP address such as 127.0.0.1, or localhost")
            ) from None
    return value


@root.command("smtp-sink")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    callback=_ip_literal,
    help="The address to listen on: an IP address or localhost.",
)
@click.option("--port", default=8025, type=click.IntRange(1, 65535), show_default=True)
@click.option(
    "--maildir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to keep received messages (default: the configured maildir).",
)
@pass_state
def smtp_sink_command(state: CliState, host: str, port: int, maildir: Path | None) -> None:
    """Run a local SMTP server that keeps every message in a Maildir (tests, demos)."""
    try:
        run_sink_forever(host, port, maildir or _default_maildir(state), click.echo)
    except OSError as exc:
        raise UserError(
            _("Cannot listen on {host}:{port}: {reason}", host=host, port=port, reason=exc)
        ) from None


@root.command("activate")
@click.option(
    "--tax-id",
    "supplier_ref",
    required=True,
    metavar="COUNTRY:TAXID",
    help="Your company's Tax ID (a Colombian NIT may omit the check digit).",
)
@click.option(
    "--inviter",
    "inviter_ref",
    required=True,
    metavar="COUNTRY:TAXID",
    help="The Tax ID of the company that invited you.",
)
@click.option("--code", required=True, help="The activation code from the invitation email.")
@click.option("--username", required=True, help="The username you want.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--language",
    type=click.Choice(SUPPLIER_LANGUAGES),
    help="Language of the messages (es, pt or en); default: --lang, else LANG's.",
)
@pass_state
def activate_command(
    state: CliState,
    supplier_ref: str,
    inviter_ref: str,
    code: str,
    username: str,
    password_stdin: bool,
    language: str | None,
) -> None:
    """Activate with activation code: register your company and create your user."""
    # The supplier's language: this option, else the root --lang, else the environment's
    # (LANG=pt_BR.UTF-8 reads Portuguese, which the interface does not speak), else the
    # interface's.
    state.config()
    lang = language or state.flags.get("lang") or supplier_language_from_env() or get_language()
    with speaking(lang):
        try:
            _activate(state, supplier_ref, inviter_ref, code, username, password_stdin)
        except GosocketError as exc:
            # The supplier's language, "Error:" included: one line, exit 1, as elsewhere.
            click.echo(_("Error: {message}", message=plain(exc.message)), err=True)
            sys.exit(1)


def _activate(
    state: CliState,
    supplier_ref: str,
    inviter_ref: str,
    code: str,
    username: str,
    password_stdin: bool,
) -> None:
    ctx = state.services()
    supplier = parse_activation_ref(supplier_ref, "tax_id")
    inviter = parse_activation_ref(inviter_ref, "inviter_tax_id")
    password = read_password(password_stdin)
    result = activate(
        ctx,
        supplier_country=supplier.country,
        supplier_tax_id=supplier.compact,
        inviter_country=inviter.country,
        inviter_tax_id=inviter.compact,
        code=code,
        username=username,
        password=password,
    )
    click.echo(
        _(
            "{name} is now registered in the Gosocket network. Log in as {username}.",
            name=result.company.name,
            username=result.username,
        )
    )
