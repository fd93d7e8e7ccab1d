"""Company settings: administrators only, own company only, every value checked, audited; the
note and reply-to in the email as it is sent."""

import json
from datetime import datetime
from pathlib import Path

import pytest

from gosocket_tui.db.models import AuditEvent, CompanySettings
from gosocket_tui.errors import PermissionDenied, ValidationError
from gosocket_tui.mail.compose import compose_invitation, parse_message
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services import company_settings as settings
from gosocket_tui.services import invitations
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from tests.cli_helpers import Cli
from tests.conftest import BUYER_REF, OTHER_BUYER_REF
from tests.invitation_helpers import add_supplier, deliver

MARKUP = "[@click=app.quit]x[/] <b>bold</b> & co"


def refused(ctx: ServiceContext, session: Session, field: str, **change: object) -> str:
    with pytest.raises(ValidationError) as info:
        settings.update_settings(ctx, session, **change)  # type: ignore[arg-type]
    assert info.value.field == field
    return info.value.message


def test_defaults_then_a_change_that_is_audited(ctx: ServiceContext, admin: Session) -> None:
    assert settings.get_settings(ctx, admin) == settings.DEFAULTS
    assert settings.DEFAULTS.reminder_days == (2, 5) and not settings.DEFAULTS.reminders_enabled
    info = settings.update_settings(
        ctx,
        admin,
        reminders_enabled=True,
        reminder_days=" 1, 3 ,6",
        note="Gracias por trabajar con nosotros.\nCompras",
        reply_to="Compras@Andes.example",
    )
    assert (info.reminders_enabled, info.reminder_days, info.reply_to) == (
        True,
        (1, 3, 6),
        "Compras@andes.example",
    )
    assert info.note == "Gracias por trabajar con nosotros.\nCompras"
    event = AuditEvent.get(AuditEvent.action == "settings.update")
    assert (event.outcome, event.actor_name) == ("ok", "ana")
    assert "reminder_days 2,5 -> 1,3,6" in event.detail and "note 0 -> 42 chars" in event.detail
    # Nothing changed: nothing written, nothing audited.
    settings.update_settings(ctx, admin, reminders_enabled=True)
    assert AuditEvent.select().where(AuditEvent.action == "settings.update").count() == 1


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("", "whole numbers separated by commas"),
        ("2;5", "whole numbers separated by commas"),
        ("9" * 5000, "whole numbers separated by commas"),
        ("-1", "whole numbers separated by commas"),
        ("\x1b[2J", "whole numbers separated by commas"),
        ("1,2,3,4", "At most 3 reminders."),
        ("0", "at least 1 day"),
        ("5,2", "must increase"),
        ("2,2", "must increase"),
        ("7", "before the code expires (7 days"),
    ],
)
def test_a_bad_schedule_is_refused_with_a_clear_message(
    ctx: ServiceContext, admin: Session, days: str, message: str
) -> None:
    assert message in refused(ctx, admin, "reminder_days", reminder_days=days)
    assert CompanySettings.select().count() == 0
    event = AuditEvent.get(AuditEvent.action == "settings.update")
    assert event.outcome == "refused"


@pytest.mark.parametrize(
    "note",
    [
        "x" * (settings.NOTE_MAX_CHARS + 1),
        "line\n" * settings.NOTE_MAX_LINES + "more",
        "hola \x1b]0;pwned\x07",
        "\u202eevil",
        "csi \u009b31m",
        "tab\there",
        "zero\u200bwidth",
    ],
)
def test_a_note_with_control_characters_or_too_long_is_refused(
    ctx: ServiceContext, admin: Session, note: str
) -> None:
    refused(ctx, admin, "note", note=note)
    assert settings.get_settings(ctx, admin).note == ""


def test_markup_in_the_note_is_kept_as_text(ctx: ServiceContext, admin: Session) -> None:
    assert settings.update_settings(ctx, admin, note=MARKUP).note == MARKUP


@pytest.mark.parametrize(
    "address",
    [
        "abc",
        "a@b@c.example",
        "x@y.example\r\nBcc: z@y.example",
        "\u202ea@b.example",
        # An encoded word is legal in a local part, but readers decode it: the preview (and
        # some mail programs) would show boss@bank.example, not the address in the header.
        "=?utf-8?q?boss=40bank.example?=@andes.example",
    ],
)
def test_a_bad_reply_to_is_refused(ctx: ServiceContext, admin: Session, address: str) -> None:
    assert refused(ctx, admin, "reply_to", reply_to=address) == (
        "The reply-to address is not valid."
    )


def test_one_bad_value_changes_nothing(ctx: ServiceContext, admin: Session) -> None:
    refused(ctx, admin, "reply_to", note="fine", reminders_enabled=True, reply_to="nope")
    assert settings.get_settings(ctx, admin) == settings.DEFAULTS


def test_only_administrators_of_their_own_company(
    ctx: ServiceContext, admin: Session, viewer: Session, other_admin: Session
) -> None:
    with pytest.raises(PermissionDenied):
        settings.get_settings(ctx, viewer)
    with pytest.raises(PermissionDenied):
        settings.update_settings(ctx, viewer, note="hola")
    refusals = AuditEvent.select().where(AuditEvent.outcome == "refused")
    assert {e.action for e in refusals} == {"settings.read", "settings.update"}
    settings.update_settings(ctx, admin, note="Andes")
    assert settings.get_settings(ctx, other_admin).note == ""  # each company its own
    settings.update_settings(ctx, other_admin, note="Pacífico")
    assert settings.get_settings(ctx, admin).note == "Andes"


def test_the_command_line_shows_changes_and_refuses_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(tmp_path / "cli.db", capsys, monkeypatch)
    for country, tax_id, name in (("CL", "76.086.428-5", "Andes"), ("PE", "20100070970", "Sur")):
        added = cli("company", "add", "--country", country, "--tax-id", tax_id, "--name", name)
        assert added.code == 0
    shown = cli("company", "settings", "--company", BUYER_REF)
    assert shown.code == 0, shown.err
    assert "reminders = off" in shown.out and "reminder_days = 2,5" in shown.out
    on = ("--reminders", "on", "--reminder-days", "3", "--format", "json")
    changed = cli("company", "settings", "--company", BUYER_REF, *on)
    assert changed.code == 0, changed.err
    assert json.loads(changed.out)["reminder_days"] == [3]
    bad = cli("company", "settings", "--company", BUYER_REF, "--reminder-days", "1,9")
    assert bad.code == 1 and len(bad.err.splitlines()) == 1
    assert "before the code expires" in bad.err
    assert cli("company", "settings", "--company", BUYER_REF, "--reminders", "maybe").code == 2
    # Each company its own: the PE buyer still has the defaults.
    assert "reminders = off" in cli("company", "settings", "--company", OTHER_BUYER_REF).out


def sent_email(note: str, reply_to: str, lang: str = "en") -> bytes:
    return compose_invitation(
        lang=lang,
        sender="Gosocket <no-reply@gosocket.example>",
        recipient="ventas@cafe.example",
        message_id="<gosocket.1@gosocket.example>",
        buyer_name="Comercial Andes SpA",
        buyer_tax_id_formatted="76.086.428-5",
        buyer_country="CL",
        supplier_name="Cafés de Colombia SAS",
        supplier_tax_id_formatted="860.007.386-1",
        code="ABCD-EFGH-JKMN",
        expires_at=datetime(2026, 3, 9, 12),
        activation_url=None,
        now=datetime(2026, 3, 2, 12),
        note=note,
        reply_to=reply_to,
    ).raw


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_note_and_reply_to_in_the_email_as_text_in_both_parts(lang: str) -> None:
    note = settings.check_note(f"Saludos de Compras.\n{MARKUP}")
    reply_to = settings.check_reply_to("compras@andes.example")
    message = parse_message(sent_email(note, reply_to, lang))
    assert not message.defects
    assert message["Reply-To"] == "Comercial Andes SpA <compras@andes.example>"
    text_part, html_part = message.iter_parts()
    assert not text_part.defects and not html_part.defects
    text = text_part.get_content().replace("\r\n", "\n")
    assert "  Saludos de Compras.\n  " + MARKUP + "\n" in text
    html_text = html_part.get_content()
    assert "Saludos de Compras.<br>[@click=app.quit]x[/] &lt;b&gt;bold&lt;/b&gt; &amp; co" in (
        html_text
    )
    assert "<b>bold" not in html_text


def test_a_reply_to_is_kept_in_ascii_so_every_server_takes_the_email(
    ctx: ServiceContext, admin: Session, tmp_path: Path
) -> None:
    """The invitation goes to an ASCII address without SMTPUTF8, so its headers must be ASCII:
    a domain is kept in its ASCII form (IDNA), a local part that is not ASCII is refused."""
    assert refused(ctx, admin, "reply_to", reply_to="josé@andes.example") == (
        "The reply-to address must be written in ASCII before the @."
    )
    info = settings.update_settings(ctx, admin, reply_to="compras@xn--ands-dpa.example")
    assert info.reply_to == "compras@xn--ands-dpa.example"
    info = settings.update_settings(ctx, admin, reply_to="ventas@andés.example")
    assert info.reply_to == "ventas@xn--ands-dpa.example"
    link_id = add_supplier(ctx, admin)
    invitations.invite(ctx, admin, [link_id])
    with MailSink(maildir=tmp_path / "maildir") as sink:
        assert deliver(ctx, sink.port).sent == 1
        (message,) = sink.wait_for(1)
    head = message.raw.split(b"\n\n", 1)[0]
    assert head.isascii(), head
    assert message.email()["Reply-To"].addresses[0].addr_spec == "ventas@xn--ands-dpa.example"
