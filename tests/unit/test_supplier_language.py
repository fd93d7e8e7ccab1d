"""The supplier's language: its default by country, where it is chosen (form, CLI, bulk
files), and the mail written in it, sent to a real aiosmtpd sink on loopback and read back
with the ``email`` package; Portuguese written in a worker thread never reaches the
administrator's interface."""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import openpyxl
import pytest
from stdnum.cl import rut

from gosocket_tui.db.models import Invitation, OutboxMessage, SupplierLink, User
from gosocket_tui.errors import ValidationError
from gosocket_tui.i18n import _, get_language, set_language, speaking, translate
from gosocket_tui.mail.compose import ComposedEmail, compose_invitation
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services import invitations, suppliers
from gosocket_tui.services.bulk import ImportOptions, ImportRefused, import_file, validate
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.services.supplier_language import (
    clean_language,
    default_language,
    parse_language,
)
from tests.invitation_helpers import add_supplier, deliver

BR_CNPJ = "16.727.230/0001-97"
SUBJECTS = {
    "es": "Invitación a la red Gosocket de Comercial Andes SpA",
    "pt": "Convite para a rede Gosocket de Comercial Andes SpA",
    "en": "Invitation to the Gosocket network from Comercial Andes SpA",
}
CODE_WORDS = {
    "es": "código de activación",
    "pt": "Seu código de ativação",
    "en": "Your activation code",
}


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(maildir=tmp_path / "maildir") as server:
        yield server


@pytest.fixture(autouse=True)
def _interface_language() -> Iterator[None]:
    yield
    set_language("en")


# --------------------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    ("country", "lang"),
    [
        ("BR", "pt"),
        ("br", "pt"),
        ("CL", "es"),
        ("MX", "es"),
        ("NI", "es"),
        ("ES", "es"),
        ("US", "en"),
        ("FR", "en"),
        ("", "en"),
    ],
)
def test_default_language_by_country(country: str, lang: str) -> None:
    assert default_language(country) == lang


def test_every_network_country_but_brazil_reads_spanish() -> None:
    from gosocket_tui.services.taxid import COUNTRY_CODES

    assert {c: default_language(c) for c in COUNTRY_CODES if c != "BR"} == dict.fromkeys(
        (c for c in COUNTRY_CODES if c != "BR"), "es"
    )


@pytest.mark.parametrize(
    ("text", "lang"),
    [("pt", "pt"), ("PT-br", "pt"), ("Português", "pt"), ("Spanish", "es"), ("inglés", "en")],
)
def test_language_spellings(text: str, lang: str) -> None:
    assert parse_language(text) == lang


@pytest.mark.parametrize("bad", ["fr", "[@click=app.quit]pt", "\x1bpt", "p\u202et", "x" * 10_000])
def test_unknown_language_is_a_clear_error(bad: str) -> None:
    with pytest.raises(ValidationError) as caught:
        clean_language(bad, "BR")
    assert caught.value.field == "language"
    assert "es (Spanish), pt (Portuguese) or en (English)" in caught.value.message


# ------------------------------------------------------------------- form and detail


def test_added_supplier_gets_its_countrys_language_or_the_chosen_one(
    ctx: ServiceContext, admin: Session
) -> None:
    brazil = add_supplier(ctx, admin, country="BR", tax_id=BR_CNPJ, name="Café do Brasil")
    colombia = add_supplier(ctx, admin)
    assert suppliers.get_supplier(ctx, admin, brazil).language == "pt"
    assert suppliers.get_supplier(ctx, admin, colombia).language == "es"
    chosen = suppliers.add_supplier(
        ctx,
        admin,
        suppliers.SupplierInput(
            country="CL", tax_id="77.123.456-9", name="Ñandú", email="a@b.cl", language="English"
        ),
    )
    assert chosen.language == "en"
    changed = suppliers.update_supplier(
        ctx, admin, colombia, suppliers.SupplierUpdate(language="pt")
    )
    assert changed.language == "pt"
    back = suppliers.update_supplier(ctx, admin, colombia, suppliers.SupplierUpdate(language=""))
    assert back.language == "es"  # empty: the country's again
    with pytest.raises(ValidationError):
        suppliers.update_supplier(ctx, admin, colombia, suppliers.SupplierUpdate(language="fr"))
    assert SupplierLink.get_by_id(colombia).language == "es"


# --------------------------------------------------------------------------- the mail


def _parsed(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def test_invitations_are_written_in_each_suppliers_language_not_the_admins(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    """The administrator reads Spanish; each supplier gets its own language, and the
    language is recorded on the invitation and its outbox row. A resend keeps it."""
    User.update(language="es").where(User.username == "ana").execute()
    ids = {
        "pt": add_supplier(
            ctx, admin, country="BR", tax_id=BR_CNPJ, name="Café do Brasil", email="br@ex.com"
        ),
        "es": add_supplier(ctx, admin, email="co@ex.com"),
        "en": suppliers.add_supplier(
            ctx,
            admin,
            suppliers.SupplierInput(
                country="CL",
                tax_id="77.123.456-9",
                name="Ñandú",
                email="cl@ex.com",
                language="en",
            ),
        ).id,
    }
    invitations.invite(ctx, admin, list(ids.values()))
    assert deliver(ctx, sink.port).sent == 3
    received = {m.rcpt_tos[0]: m for m in sink.wait_for(3)}
    for lang, link_id in ids.items():
        invitation = Invitation.get(Invitation.link == link_id)
        outbox = OutboxMessage.get(OutboxMessage.invitation == invitation.id)
        assert (invitation.language, outbox.language) == (lang, lang)
        assert outbox.subject == SUBJECTS[lang]
        message = _parsed(received[invitation.email].raw)
        assert message.defects == []
        assert message["Subject"] == SUBJECTS[lang]
        assert message["Content-Language"] == lang
        parts = list(message.iter_parts())
        assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
        for part in parts:
            assert part.defects == []
            assert CODE_WORDS[lang] in part.get_content()
        assert f'<html lang="{lang}">' in parts[1].get_content()
    invitations.resend(ctx, admin, ids["pt"])
    assert deliver(ctx, sink.port).sent == 1
    resent = sink.wait_for(4)[-1]
    assert resent.subject == SUBJECTS["pt"]


def test_portuguese_in_a_worker_thread_leaves_the_interface_language() -> None:
    """The administrator's screens speak Spanish while a worker writes Portuguese."""
    set_language("es")
    inside = threading.Event()
    checked = threading.Event()
    seen: dict[str, str] = {}

    def worker() -> None:
        with speaking("pt"):
            inside.set()
            assert checked.wait(5)
            seen["worker"] = _("Activate")
            seen["mail"] = compose_email("pt").parsed()["Subject"]

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(5)
    seen["main"] = _("Activate")  # while the worker speaks Portuguese
    seen["main_language"] = get_language()
    checked.set()
    thread.join(5)
    assert not thread.is_alive()
    assert seen == {
        "worker": "Ativar",
        "mail": "Convite para a rede Gosocket de Comercial Andes SpA",
        "main": "Activar",
        "main_language": "es",
    }
    assert get_language() == "es"


def compose_email(lang: str) -> ComposedEmail:
    return compose_invitation(
        lang=lang,
        sender="Gosocket <no-reply@gosocket.example>",
        recipient="compras@example.com",
        message_id="<x1@gosocket.example>",
        buyer_name="Comercial Andes SpA",
        buyer_tax_id_formatted="76.086.428-5",
        buyer_country="CL",
        supplier_name="Café do Brasil Ltda",
        supplier_tax_id_formatted=BR_CNPJ,
        supplier_country="BR",
        code="ABCD1234EFGH",
        expires_at=datetime(2026, 3, 9, 12),
        activation_url=None,
        now=datetime(2026, 3, 2, 12),
    )


@pytest.mark.parametrize("lang", ["es", "pt", "en"])
def test_composed_invitation_parses_back_in_its_language(lang: str) -> None:
    message = _parsed(compose_email(lang).raw)
    assert message.defects == []
    assert message["Content-Language"] == lang
    expected = translate("Invitation to the Gosocket network from {buyer}", lang, buyer="X")
    assert message["Subject"] == expected.removesuffix("X") + "Comercial Andes SpA"
    for part in message.iter_parts():
        body = part.get_content()
        assert CODE_WORDS[lang] in body
        assert "ABCD-1234-EFGH" in body


# --------------------------------------------------------------------------- bulk files

HEADER = ["Tax ID*", "Name*", "Email*", "Notify*", "Country", "Language"]


def _rows() -> list[list[str]]:
    def cl(n: int) -> str:
        body = str(20_000_000 + n * 7)
        return body + rut.calc_check_digit(body)

    return [
        [BR_CNPJ, "Café do Brasil", "br@ex.com", "1", "BR", ""],  # pt by its country
        [cl(1), "Uno", "uno@ex.com", "1", "CL", ""],  # es by its country
        [cl(2), "Dos", "dos@ex.com", "1", "CL", "Português"],
        [cl(3), "Tres", "tres@ex.com", "0", "CL", "EN"],
    ]


def _write(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    if path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(header)
        for values in rows:
            sheet.append(values)
        book.save(path)
    else:
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, delimiter=";")
            writer.writerow(header)
            writer.writerows(rows)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_bulk_language_column(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path, suffix: str
) -> None:
    spanish = ["ID Fiscal*", "Nombre*", "Correo electrónico*", "Notificar*", "País", "Idioma"]
    path = _write(tmp_path / f"s{suffix}", _rows(), spanish if suffix == ".xlsx" else HEADER)
    summary = import_file(ctx, other_admin, path, ImportOptions(default_country="CL"))
    assert (summary.added, summary.invitations_queued) == (4, 3)
    got = {
        link.name: link.language
        for link in SupplierLink.select().where(SupplierLink.buyer == other_admin.company_id)
    }
    assert got == {"Café do Brasil": "pt", "Uno": "es", "Dos": "pt", "Tres": "en"}
    mail = {
        m.recipient: (m.language, m.invitation.language, m.subject.split()[0])
        for m in OutboxMessage.select()
    }
    assert mail == {
        "br@ex.com": ("pt", "pt", "Convite"),
        "uno@ex.com": ("es", "es", "Invitación"),
        "dos@ex.com": ("pt", "pt", "Convite"),
    }


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_bulk_unknown_language_is_a_row_problem(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path, suffix: str
) -> None:
    rows = _rows()
    rows[2][5] = "Français"
    path = _write(tmp_path / f"bad{suffix}", rows)
    report = validate(ctx, other_admin, path, ImportOptions(default_country="CL"))
    assert (report.valid, report.invalid) == (3, 1)
    (issue,) = report.issues
    assert (issue.row, issue.letter, issue.value) == (4, "F", "Français")
    assert issue.message == "The language must be es (Spanish), pt (Portuguese) or en (English)."
    report.discard()
    with pytest.raises(ImportRefused):
        import_file(ctx, other_admin, path, ImportOptions(default_country="CL"))
    assert not SupplierLink.select().where(SupplierLink.buyer == other_admin.company_id).exists()


def test_bulk_update_keeps_the_language_an_empty_cell_leaves(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path
) -> None:
    link_id = add_supplier(ctx, other_admin, country="BR", tax_id=BR_CNPJ, name="Café do Brasil")
    suppliers.update_supplier(ctx, other_admin, link_id, suppliers.SupplierUpdate(language="en"))
    path = _write(tmp_path / "u.csv", [[BR_CNPJ, "Café do Brasil", "novo@ex.com", "1", "BR", ""]])
    summary = import_file(ctx, other_admin, path, ImportOptions(on_existing="update"))
    assert (summary.updated, summary.invitations_queued) == (1, 1)
    assert SupplierLink.get_by_id(link_id).language == "en"
    assert Invitation.get(Invitation.link == link_id).language == "en"
    path = _write(tmp_path / "v.csv", [[BR_CNPJ, "Café do Brasil", "novo@ex.com", "0", "BR", "pt"]])
    import_file(ctx, other_admin, path, ImportOptions(on_existing="update"))
    assert SupplierLink.get_by_id(link_id).language == "pt"
