"""``gosocket-tui company settings``: a company's reminders, note and reply-to.

Without a change it shows the settings; with one or more it changes them (every value is
checked first: one bad value changes nothing) and shows the result.
"""

from __future__ import annotations

import click

from gosocket_tui.cli.admin import company
from gosocket_tui.cli.base import COMPANY_HELP, CliState, pass_state
from gosocket_tui.safe_text import json_text, plain
from gosocket_tui.services import company_settings as service


@company.command("settings")
@click.option("--company", "company_ref", metavar="COUNTRY:TAXID", help=COMPANY_HELP)
@click.option("--reminders", type=click.Choice(["on", "off"]), help="Send reminders.")
@click.option("--reminder-days", metavar="DAYS", help="Days after the invitation, e.g. 2,5.")
@click.option("--note", help="A short personal note for the invitations ('' removes it).")
@click.option("--reply-to", metavar="ADDRESS", help="Where replies go ('' removes it).")
@click.option("--format", "fmt", default="table", type=click.Choice(["table", "json"]))
@pass_state
def company_settings(
    state: CliState,
    company_ref: str | None,
    reminders: str | None,
    reminder_days: str | None,
    note: str | None,
    reply_to: str | None,
    fmt: str,
) -> None:
    """Show or change a company's invitation settings (reminders, note, reply-to)."""
    session = state.acting(company_ref)
    ctx = state.services()
    if reminders is None and reminder_days is None and note is None and reply_to is None:
        info = service.get_settings(ctx, session)
    else:
        info = service.update_settings(
            ctx,
            session,
            reminders_enabled=None if reminders is None else reminders == "on",
            reminder_days=reminder_days,
            note=note,
            reply_to=reply_to,
        )
    values = {
        "reminders": "on" if info.reminders_enabled else "off",
        "reminder_days": list(info.reminder_days),
        "note": info.note,
        "reply_to": info.reply_to,
    }
    if fmt == "json":
        click.echo(json_text(values, indent=2))
        return
    click.echo(f"reminders = {values['reminders']}")
    click.echo(f"reminder_days = {info.reminder_days_text}")
    click.echo(f"note = {plain(info.note)}")
    click.echo(f"reply_to = {plain(info.reply_to)}")
