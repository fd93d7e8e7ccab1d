"""Tenants stay apart, refusals reveal nothing, one Tax ID has one form (SECURITY.md).

* A buyer's own data about a supplier (its name included) is that buyer's until the supplier
  registers; another buyer adding the same Tax ID never sees it, in any output.
* Every refused activation gives the one generic message and costs the same password hash.
* Zero-padded Chilean, Colombian and Paraguayan numbers are the same company everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gosocket_tui.clock import FixedClock
from gosocket_tui.config import Config
from gosocket_tui.db import migrations
from gosocket_tui.db.connection import open_database
from gosocket_tui.db.models import AuditEvent, Company, SupplierLink
from gosocket_tui.errors import Duplicate, UserError
from gosocket_tui.i18n import set_language
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services import (
    activation,
    activity,
    auth,
    bulk,
    companies,
    invitations,
    suppliers,
)
from gosocket_tui.services.bulk import ImportOptions, import_file
from gosocket_tui.services.context import ServiceContext, open_context
from gosocket_tui.services.session import Session
from gosocket_tui.services.suppliers import SupplierFilter, SupplierInput
from gosocket_tui.services.taxid import (
    compact_tax_id,
    fast_tax_id,
    parse_company_ref,
    parse_tax_id,
)
from tests.cli_helpers import Cli
from tests.conftest import PASSWORD
from tests.invitation_helpers import code_in, deliver
from tests.unit.test_bulk_import import row, write_csv

SECRET = SupplierInput(
    country="CL", tax_id="9.876.543-3", name="Secret A", email="a-only@secret.example"
)
OTHER = SupplierInput(
    country="CL", tax_id="9.876.543-3", name="Different name", email="b@x.example"
)
INVALID = "Invalid or expired activation code."
INVALID_ES = "Código de activación inválido o vencido."
NEW_PASSWORD = "tostado medio 2026"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(maildir=tmp_path / "maildir") as server:
        yield server


def invite_code(ctx: ServiceContext, session: Session, link_id: int, sink: MailSink) -> str:
    before = len(sink.messages())
    assert invitations.invite(ctx, session, [link_id]).queued
    assert deliver(ctx, sink.port).sent == 1
    return code_in(sink.wait_for(before + 1)[-1])


# --- a buyer's data is its own ---------------------------------------------------------


def test_second_buyer_sees_its_own_name_never_the_first_buyers(
    ctx: ServiceContext, admin: Session, other_admin: Session
) -> None:
    mine = suppliers.add_supplier(ctx, admin, SECRET)
    theirs = suppliers.add_supplier(ctx, other_admin, OTHER)
    assert theirs.name == "Different name" and theirs.email == "b@x.example"
    assert suppliers.get_supplier(ctx, other_admin, theirs.id).name == "Different name"
    listed = suppliers.list_suppliers(ctx, other_admin).rows
    assert [r.name for r in listed] == ["Different name"]
    assert suppliers.list_suppliers(ctx, other_admin, SupplierFilter(name="Secret")).rows == []
    found = suppliers.find_supplier(ctx, other_admin, "CL", "98765433")
    assert found is not None and found.name == "Different name"
    assert suppliers.get_supplier(ctx, admin, mine.id).name == "Secret A"
    # The network's row for an unregistered company carries no buyer's name at all.
    assert Company.get(Company.tax_id == "98765433").name == ""


def test_imported_supplier_keeps_the_importers_name(
    ctx: ServiceContext, admin: Session, other_admin: Session, tmp_path: Path
) -> None:
    suppliers.add_supplier(ctx, admin, SECRET)
    path = write_csv(tmp_path / "b.csv", [row("9.876.543-3", "Different name", "b@x.example")])
    report = import_file(ctx, other_admin, path, ImportOptions(default_country="CL"))
    assert report.added == 1
    (link,) = SupplierLink.select().where(SupplierLink.buyer == other_admin.company_id)
    assert link.name == "Different name"
    assert Company.get(Company.tax_id == "98765433").name == ""
    # Nothing B reads tells a supplier new to the network from one another buyer has.
    assert not hasattr(report, "companies_created")
    trail = activity.list_events(ctx, other_admin).rows
    assert all("companies" not in event.detail for event in trail)


def test_invitation_email_names_the_supplier_as_its_own_buyer_does(
    ctx: ServiceContext, admin: Session, other_admin: Session, sink: MailSink
) -> None:
    suppliers.add_supplier(ctx, admin, SECRET)
    theirs = suppliers.add_supplier(ctx, other_admin, OTHER)
    invite_code(ctx, other_admin, theirs.id, sink)
    (message,) = sink.messages()
    assert "Different name" in message.text and "Secret A" not in message.text


def test_registration_shows_the_suppliers_own_profile_to_every_buyer(
    ctx: ServiceContext, admin: Session, other_admin: Session, sink: MailSink
) -> None:
    mine = suppliers.add_supplier(ctx, admin, SECRET)
    suppliers.add_supplier(ctx, other_admin, OTHER)
    code = invite_code(ctx, admin, mine.id, sink)
    result = activation.activate(
        ctx,
        supplier_country="CL",
        supplier_tax_id="9.876.543-3",
        inviter_country="CL",
        inviter_tax_id="76.086.428-5",
        code=code,
        username="secret.admin",
        password=NEW_PASSWORD,
    )
    # The supplier registered with the invitation it accepted: that name is now its profile,
    # shown to every buyer in place of their own notes.
    assert result.company.name == "Secret A"
    names = {link.buyer_id: link.name for link in SupplierLink.select()}
    assert names == {admin.company_id: "Secret A", other_admin.company_id: "Secret A"}
    # B's activity trail says the supplier registered, not whose invitation it used.
    other_trail = activity.list_events(ctx, auth.authenticate(ctx, "lucia", PASSWORD)).rows
    assert "supplier.registered" in {event.action for event in other_trail}
    assert not any("760864285" in f"{e.target} {e.detail}" for e in other_trail)
    supplier = auth.authenticate(ctx, "secret.admin", NEW_PASSWORD)
    clients = suppliers.list_clients(ctx, supplier).rows
    assert sorted(c.name for c in clients) == [
        "Comercial Andes SpA",
        "Distribuidora del Pacífico SAC",
    ]


def test_cli_listing_of_the_second_buyer_shows_its_own_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(tmp_path / "cli.db", capsys, monkeypatch)
    for country, tax_id, name in (("CL", "76.086.428-5", "Andes"), ("PE", "20100070970", "Pac")):
        assert (
            cli("company", "add", "--country", country, "--tax-id", tax_id, "--name", name).code
            == 0
        )
    for company, name in (("CL:760864285", "Secret A"), ("PE:20100070970", "Different name")):
        added = cli(
            "suppliers", "add", "--company", company, "--country", "CL",
            "--tax-id", "9.876.543-3", "--name", name, "--email", "x@x.example",
        )  # fmt: skip
        assert added.code == 0, added.err
        assert "Secret A" not in added.out or name == "Secret A"
    listed = cli("suppliers", "list", "--company", "PE:20100070970", "--format", "json")
    assert listed.code == 0
    assert [r["name"] for r in json.loads(listed.out)] == ["Different name"]
    table = cli("suppliers", "list", "--company", "PE:20100070970")
    assert "Different name" in table.out and "Secret A" not in table.out


# --- activation refusals --------------------------------------------------------------


def _activate(ctx: ServiceContext, code: str, **overrides: Any) -> activation.ActivationResult:
    values = {
        "supplier_country": "CO",
        "supplier_tax_id": "860007386",
        "inviter_country": "CL",
        "inviter_tax_id": "76.086.428-5",
        "code": code,
        "username": "cafe.admin",
        "password": NEW_PASSWORD,
        **overrides,
    }
    return activation.activate(ctx, **values)


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_refused_activation_is_one_message_and_one_hash(
    ctx: ServiceContext,
    admin: Session,
    other_admin: Session,
    clock: FixedClock,
    sink: MailSink,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
) -> None:
    registered = companies.create_company(ctx, "CO", "900.123.456-8", "Registered Co SAS")
    cafe = suppliers.add_supplier(
        ctx, admin, SupplierInput("CO", "860.007.386-1", "Cafés SAS", "c@cafe.example")
    )
    quiet = suppliers.add_supplier(
        ctx, admin, SupplierInput("CL", "96.790.240-3", "Never Invited", "n@x.example")
    )
    old = suppliers.add_supplier(
        ctx, other_admin, SupplierInput("CL", "9.876.543-3", "Old Invite", "o@x.example")
    )
    old_code = invite_code(ctx, other_admin, old.id, sink)
    clock.advance(hours=ctx.config.activation_code_lifetime_hours)
    admin = auth.authenticate(ctx, "ana", PASSWORD)
    code = invite_code(ctx, admin, cafe.id, sink)
    invitations.resend(ctx, admin, cafe.id)  # the first code is superseded
    assert deliver(ctx, sink.port).sent == 1
    used = code_in(sink.wait_for(3)[-1])
    hashes: list[str] = []
    real = activation.hash_password

    def counting(password: str) -> str:
        hashes.append(password)
        return real(password)

    monkeypatch.setattr(activation, "hash_password", counting)
    set_language(language)
    cases: list[dict[str, Any]] = [
        {"supplier_tax_id": registered.tax_id_formatted, "code": "ABCD-EFGH-JKMN"},
        {"supplier_country": "CL", "supplier_tax_id": "11.111.111-1"},  # not in the network
        {"supplier_country": "CL", "supplier_tax_id": "96.790.240-3"},  # never invited
        {"inviter_country": "PE", "inviter_tax_id": "20512333797"},  # unknown inviter
        {
            "supplier_country": "CL",
            "supplier_tax_id": "9.876.543-3",
            "inviter_country": "PE",
            "inviter_tax_id": "20100070970",
            "code": old_code,
        },  # expired
        {"code": code},  # superseded by the resend
        {"code": "ABCD-EFGH-JKMN"},  # wrong
    ]
    messages = []
    for overrides in cases:
        with pytest.raises(UserError) as info:
            _activate(ctx, overrides.pop("code", used), **overrides)
        messages.append(info.value.message)
    assert len(hashes) == len(cases)
    set_language("en")
    monkeypatch.setattr(activation, "hash_password", real)
    assert _activate(ctx, used).company.name == "Cafés SAS"
    set_language(language)
    monkeypatch.setattr(activation, "hash_password", counting)
    with pytest.raises(UserError) as info:
        _activate(ctx, used, username="someone.else")  # used, and the company registered
    messages.append(info.value.message)
    assert len(hashes) == len(cases) + 1
    assert set(messages) == {INVALID_ES if language == "es" else INVALID}
    assert quiet.state == "not_invited"


def test_cli_activate_for_a_registered_company_names_nobody(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(tmp_path / "cli.db", capsys, monkeypatch)
    added = cli("company", "add", "--country", "CL", "--tax-id", "76.086.428-5", "--name", "Andes")
    assert added.code == 0
    result = cli(
        "activate", "--tax-id", "CL:76.086.428-5", "--inviter", "CL:76.086.428-5",
        "--code", "ABCD-EFGH-JKMN", "--username", "intruder", "--password-stdin",
        stdin=NEW_PASSWORD + "\n",
    )  # fmt: skip
    assert result.code == 1 and "Andes" not in result.err
    assert result.err.strip() == f"Error: {INVALID}"


# --- one canonical Tax ID ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "padded", "plain", "canonical"),
    [
        ("CL", "09.876.543-3", "9.876.543-3", "98765433"),
        ("CL", "000.123.456-0", "0.123.456-0", "01234560"),
        ("CO", "0860.007.386-1", "860.007.386-1", "8600073861"),
        ("CO", "00860007386-1", "8600073861", "8600073861"),
        ("PY", "0123456-0", "123456-0", "1234560"),
        ("GT", "0576937-K", "576937-K", "576937K"),
    ],
)
def test_leading_zeros_do_not_make_another_number(
    country: str, padded: str, plain: str, canonical: str
) -> None:
    assert parse_tax_id(country, padded).compact == canonical
    assert parse_tax_id(country, plain).compact == canonical
    assert compact_tax_id(country, padded) == canonical
    assert parse_company_ref(f"{country}:{padded}").compact == canonical
    assert fast_tax_id(country, padded) == (country, canonical)


@pytest.mark.parametrize(
    ("country", "padded"),
    [
        ("PE", "020512333797"),
        ("AR", "030-50001091-2"),
        ("UY", "021-100342-001-7"),
        ("BR", "016.727.230/0001-97"),
        ("EC", "01792060346001"),
        ("DO", "01-01-85004-3"),
        ("SV", "00614-050707-104-8"),
        ("CR", "03-101-123456"),
    ],
)
def test_fixed_length_numbers_refuse_a_padded_form(country: str, padded: str) -> None:
    with pytest.raises(Exception) as info:
        parse_tax_id(country, padded)
    assert type(info.value).__name__ == "ValidationError"


@pytest.mark.parametrize(
    ("country", "first", "second"),
    [("CL", "9.876.543-3", "09.876.543-3"), ("CO", "860.007.386-1", "0860.007.386-1")],
)
def test_padded_tax_id_is_the_same_supplier_on_add_filter_and_import(
    ctx: ServiceContext,
    other_admin: Session,
    tmp_path: Path,
    country: str,
    first: str,
    second: str,
) -> None:
    added = suppliers.add_supplier(
        ctx, other_admin, SupplierInput(country, first, "Uno", "u@x.example")
    )
    with pytest.raises(Duplicate) as info:
        suppliers.add_supplier(
            ctx, other_admin, SupplierInput(country, second, "Dos", "d@x.example")
        )
    assert info.value.existing_id == added.id
    for text in (second, second.replace(".", "")):
        rows = suppliers.list_suppliers(ctx, other_admin, SupplierFilter(tax_id=text)).rows
        assert [r.id for r in rows] == [added.id], text
    partial = second.replace(".", "")[:5]
    rows = suppliers.list_suppliers(ctx, other_admin, SupplierFilter(tax_id=partial)).rows
    assert [r.id for r in rows] == [added.id]
    path = write_csv(tmp_path / "s.csv", [row(second, "Tres", "t@x.example", country=country)])
    report = bulk.validate(ctx, other_admin, path, ImportOptions(default_country=country))
    assert (report.new, report.existing) == (0, 1)
    report.discard()
    both = write_csv(
        tmp_path / "both.csv",
        [
            row(first, "A", "a@x.example", country=country),
            row(second, "B", "b@x.example", country=country),
        ],
    )
    report = bulk.validate(ctx, other_admin, both, ImportOptions(default_country=country))
    assert report.invalid == 1 and "Same supplier as row 2" in report.issues[0].message
    report.discard()
    assert Company.select().where(Company.country == country).count() == (
        2 if country == "CL" else 1
    )
    refs = invitations.resolve_suppliers(ctx, other_admin, [f"{country}:{second}", second])
    assert refs == [added.id, added.id]


def test_padded_tax_ids_in_company_add_and_activation(
    ctx: ServiceContext, admin: Session, sink: MailSink
) -> None:
    with pytest.raises(Duplicate):
        companies.create_company(ctx, "CL", "076.086.428-5", "Andes again")
    assert companies.get_company_by_ref(ctx, "CL:076.086.428-5").name == "Comercial Andes SpA"
    link = suppliers.add_supplier(
        ctx, admin, SupplierInput("CO", "860.007.386-1", "Cafés SAS", "c@cafe.example")
    )
    code = invite_code(ctx, admin, link.id, sink)
    # Without its check digit, as activation asks for it, padded too.
    padded = parse_tax_id("CO", "0860007386", allow_missing_check_digit=True)
    assert padded.compact == "8600073861"
    result = _activate(ctx, code, supplier_tax_id="0860007386-1", inviter_tax_id="076086428-5")
    assert result.company.tax_id == "8600073861"
    assert auth.authenticate(ctx, "ana", PASSWORD).company_id == admin.company_id


# --- migration of stored rows ------------------------------------------------------------------


def test_migration_blanks_unregistered_names_and_merges_padded_tax_ids(db_url: str) -> None:
    db = open_database(db_url)
    p = db.param
    db.execute_sql("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for version, migration in enumerate(migrations.MIGRATIONS[:3], start=1):
        migration(db)
        db.execute_sql(f"INSERT INTO schema_version (version) VALUES ({p})", (version,))
    when = "2026-01-01 00:00:00"
    companies_rows = [
        (1, "CL", "760864285", "Andes", when),  # buyer A
        (2, "PE", "20100070970", "Pacífico", when),  # buyer B
        (3, "CL", "098765433", "Secret A", None),  # padded, A's name leaked onto the row
        (4, "CL", "98765433", "Secret A", None),  # the same company again
        (5, "CO", "08600073861", "Cafés", None),  # padded, alone
        (6, "CL", "0967902403", "Registered Co", when),  # padded and registered...
        (7, "CL", "96790240-3".replace("-", ""), "", None),  # ...and its unregistered twin
    ]
    for row_values in companies_rows:
        db.execute_sql(
            "INSERT INTO company (id, country, tax_id, name, registered_at, created_at) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, '2026-01-01 00:00:00')",
            row_values,
        )
    links = [
        (10, 1, 3, "CL", "098765433", "Secret A", "a@x.example", "not_invited"),
        (11, 1, 4, "CL", "98765433", "Dup of A", "dup@x.example", "not_invited"),
        (12, 2, 4, "CL", "98765433", "Secret A", "b@x.example", "not_invited"),
        (13, 2, 5, "CO", "08600073861", "Cafés", "c@x.example", "not_invited"),
        (14, 2, 7, "CL", "967902403", "Twin", "t@x.example", "not_invited"),
    ]
    for link in links:
        db.execute_sql(
            "INSERT INTO supplier_link (id, buyer_id, supplier_id, country, tax_id, name, email, "
            f"status, added_at, updated_at) VALUES ({', '.join([p] * 10)})",
            (*link, when, when),
        )
    db.close()

    ctx = open_context(Config(db=db_url))
    assert migrations.current_version(ctx.db) == migrations.LATEST_VERSION
    rows = {(c.country, c.tax_id): (c.id, c.name) for c in Company.select()}
    assert rows == {
        ("CL", "760864285"): (1, "Andes"),
        ("PE", "20100070970"): (2, "Pacífico"),
        ("CL", "98765433"): (4, ""),
        ("CO", "8600073861"): (5, ""),
        ("CL", "967902403"): (6, "Registered Co"),
    }
    kept = {
        link.id: (link.buyer_id, link.supplier_id, link.tax_id, link.name, link.status)
        for link in SupplierLink.select()
    }
    assert kept == {
        10: (1, 4, "98765433", "Secret A", "not_invited"),  # A's older link stays
        12: (2, 4, "98765433", "Secret A", "not_invited"),
        13: (2, 5, "8600073861", "Cafés", "not_invited"),
        14: (2, 6, "967902403", "Registered Co", "registered"),
    }
    (merged,) = AuditEvent.select().where(AuditEvent.action == "supplier.merged")
    assert merged.company_id == 1 and "dup@x.example" in merged.detail
    ctx.close()
