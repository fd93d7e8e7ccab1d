"""Administration commands: configuration, schema upgrades, companies and users."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gosocket_tui.cli.base import CliState, pass_state, read_password, root
from gosocket_tui.db import migrations
from gosocket_tui.db.connection import open_database, redact_url
from gosocket_tui.db.copy import copy_database
from gosocket_tui.errors import UserError
from gosocket_tui.safe_text import json_text
from gosocket_tui.services import auth, companies
from gosocket_tui.services.output_files import check_output


@root.group()
def config() -> None:
    """Show the effective configuration."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of name = value lines.")
@pass_state
def config_show(state: CliState, as_json: bool) -> None:
    """Print the effective configuration, secrets masked."""
    values = state.config().masked()
    values["db"] = redact_url(values["db"])
    if as_json:
        click.echo(json_text(values, indent=2))
        return
    for name, value in values.items():
        click.echo(f"{name} = {value}")


@root.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@pass_state
def db_upgrade(state: CliState) -> None:
    """Bring the database schema up to date."""
    url = state.config().db
    database = open_database(url)
    try:
        applied = migrations.upgrade(database)
    finally:
        database.close()
    if applied:
        click.echo(f"Upgraded {redact_url(url)} to schema {applied[-1]}.")
    else:
        click.echo(f"{redact_url(url)} is up to date (schema {migrations.LATEST_VERSION}).")


@root.group()
def company() -> None:
    """Companies (buyers) in the network."""


@company.command("add")
@click.option("--country", required=True, help="ISO country code, e.g. CL.")
@click.option("--tax-id", required=True, help="Tax ID in any notation.")
@click.option("--name", required=True)
@pass_state
def company_add(state: CliState, country: str, tax_id: str, name: str) -> None:
    """Add a company to the network."""
    info = companies.create_company(state.services(), country, tax_id, name)
    click.echo(f"Added {info.name} ({info.country}:{info.tax_id_formatted}).")


@root.group()
def user() -> None:
    """User accounts."""


@user.command("add")
@click.option("--company", "company_ref", required=True, metavar="COUNTRY:TAXID")
@click.option("--username", required=True)
@click.option("--admin", is_flag=True, help="Give the administrator profile.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_state
def user_add(
    state: CliState, company_ref: str, username: str, admin: bool, password_stdin: bool
) -> None:
    """Add a user to a company; the password is prompted twice."""
    ctx = state.services()
    companies.get_company_by_ref(ctx, company_ref)
    password = read_password(password_stdin)
    info = auth.create_user(ctx, company_ref, username, password, is_admin=admin)
    role = "administrator" if info.is_admin else "user"
    click.echo(f"Added {role} {info.username} to {info.company.name}.")


@user.command("list")
@click.option("--company", "company_ref", metavar="COUNTRY:TAXID")
@pass_state
def user_list(state: CliState, company_ref: str | None) -> None:
    """List users, optionally of one company."""
    ctx = state.services()
    now = ctx.clock.now()
    for info in auth.list_users(ctx, company_ref):
        flags = []
        if info.is_admin:
            flags.append("admin")
        if not info.is_active:
            flags.append("disabled")
        if info.locked_until and info.locked_until > now:
            flags.append("locked")
        click.echo(
            f"{info.username:<24} {info.company.country}:{info.company.tax_id_formatted:<16} "
            f"{info.company.name[:30]:<30} {','.join(flags)}"
        )


@user.command("unlock")
@click.argument("username")
@pass_state
def user_unlock(state: CliState, username: str) -> None:
    """Clear a lockout after too many failed logins."""
    info = auth.unlock_user(state.services(), username)
    click.echo(f"Unlocked {info.username}.")


@user.command("disable")
@click.argument("username")
@pass_state
def user_disable(state: CliState, username: str) -> None:
    """Disable an account; a logged-in session ends at its next action."""
    info = auth.set_user_active(state.services(), username, False)
    click.echo(f"Disabled {info.username}.")


@user.command("enable")
@click.argument("username")
@pass_state
def user_enable(state: CliState, username: str) -> None:
    """Enable a disabled account."""
    info = auth.set_user_active(state.services(), username, True)
    click.echo(f"Enabled {info.username}.")


__all__ = ["UserError"]


def _sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///path`` URL (None for PostgreSQL or an in-memory database)."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url.removeprefix("sqlite:///"))
    return None


@db.command("copy")
@click.option("--from", "source", required=True, metavar="URL", help="Database to copy.")
@click.option("--to", "target", required=True, metavar="URL", help="Database to fill.")
@click.option("--replace", is_flag=True, help="Overwrite a target that already holds data.")
def db_copy(source: str, target: str, replace: bool) -> None:
    """Move a whole installation between SQLite and PostgreSQL, verifying row counts."""
    target_file = _sqlite_file(target)
    if target_file is not None:  # the output file rules; an existing database needs --replace
        source_file = _sqlite_file(source)
        check_output(target_file, force=True, inputs=[source_file] if source_file else [])

    show = sys.stderr.isatty()
    last: dict[str, int] = {}

    def progress(table: str, done: int, total: int) -> None:
        if show and (done - last.get(table, -1) >= 10_000 or done == total):
            last[table] = done
            pct = 100 if total == 0 else done * 100 // total
            bar = "#" * (pct // 5)
            click.echo(f"\r{table:<18} [{bar:<20}] {done}/{total}", err=True, nl=done == total)

    report = copy_database(source, target, replace=replace, progress=progress)
    summary = ", ".join(f"{table} {count}" for table, count in report.counts.items())
    click.echo(f"Copied {redact_url(source)} to {redact_url(target)}: {summary}.")
