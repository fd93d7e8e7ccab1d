"""Bulk registration (services/bulk): the corpus end to end, all or nothing, the
existing-supplier policies, invitations through the outbox, the audit trail, the fast email
check against the full one (the Tax ID one is in test_taxid.py), and a round trip property
over random valid rows.

Most tests act for Distribuidora del Pacífico (``other_admin``, Peru) so that the corpus's
Chilean Tax IDs are never the acting company itself; the files have no Country column, so
the default country is chosen per test (Chile, unless said otherwise).
"""

from __future__ import annotations

import csv
import dataclasses
import shutil
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cl import rut

from gosocket_tui.config import with_overrides
from gosocket_tui.db.models import AuditEvent, Company, Invitation, OutboxMessage, SupplierLink
from gosocket_tui.errors import PermissionDenied, ValidationError
from gosocket_tui.services import bulk, invitations, suppliers
from gosocket_tui.services.bulk import (
    FileRefused,
    ImportCancelled,
    ImportOptions,
    ImportRefused,
    fast_email,
    header_label,
    import_file,
    importer,
    validate,
)
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session

CORPUS = Path(__file__).parents[1] / "data" / "suppliers"
CL = ImportOptions(default_country="CL")
HEADERS = [header_label(name, "en") for name in bulk.OPTIONAL_FIELDS]
TEMPLATE = [
    "Tax ID*",
    "Name*",
    "Description",
    "Address",
    "City",
    "Province",
    "Phone",
    "Fax",
    "Email*",
    "Groups",
    "Notify*",
    "Country",
]


def counts() -> dict[str, int]:
    return {
        "company": Company.select().count(),
        "link": SupplierLink.select().count(),
        "invitation": Invitation.select().count(),
        "outbox": OutboxMessage.select().count(),
    }


def links(session: Session) -> dict[str, SupplierLink]:
    return {
        f"{link.country}:{link.tax_id}": link
        for link in SupplierLink.select().where(SupplierLink.buyer == session.company_id)
    }


def write_csv(path: Path, rows: list[list[str]], header: list[str] | None = None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header or TEMPLATE)
        writer.writerows(rows)
    return path


def row(tax_id: str, name: str, email: str, notify: str = "0", **extra: str) -> list[str]:
    values = {"description": "", "address": "", "city": "", "province": "", "phone": ""}
    values.update(extra)
    return [
        tax_id,
        name,
        values["description"],
        values["address"],
        values["city"],
        values["province"],
        values["phone"],
        extra.get("fax", ""),
        email,
        extra.get("groups", ""),
        notify,
        extra.get("country", ""),
    ]


# --------------------------------------------------------------------------- the corpus


def test_utf8_bom_four_countries_imported_with_invitations(
    ctx: ServiceContext, other_admin: Session
) -> None:
    path = CORPUS / "utf8_bom_en.csv"
    report = validate(ctx, other_admin, path, CL)
    assert (report.rows, report.valid, report.invalid, report.new, report.notify) == (4, 4, 0, 4, 3)
    assert report.issues == []
    report.discard()
    before = counts()
    summary = import_file(ctx, other_admin, path, CL)
    assert (summary.added, summary.updated, summary.skipped) == (4, 0, 0)
    assert summary.invitations_queued == 3
    assert Company.select().count() == 6  # the two buyers and the four new suppliers
    got = links(other_admin)
    assert set(got) == {"CL:771234569", "PE:20131312955", "CO:9003731153", "MX:EKU9003173C9"}
    nandu = got["CL:771234569"]
    assert nandu.name == "Comercial Ñandú Ltda."
    assert nandu.address == "Av. Apoquindo 3000, piso 5"
    assert nandu.groups == "oficina"
    assert nandu.status == "queued"
    assert got["PE:20131312955"].status == "not_invited"
    after = counts()
    assert after["invitation"] - before["invitation"] == 3
    assert after["outbox"] - before["outbox"] == 3
    outbox = OutboxMessage.get(OutboxMessage.recipient == "contacto@nandu.example")
    assert outbox.status == "pending" and outbox.kind == "invitation"
    assert outbox.invitation.link_id == nandu.id
    assert "Distribuidora del Pacífico SAC" in outbox.subject


def test_windows_1252_spanish_headers(ctx: ServiceContext, other_admin: Session) -> None:
    import_file(ctx, other_admin, CORPUS / "windows1252_es.csv", CL)
    got = links(other_admin)
    assert got["CL:765432103"].name == "Panadería La Ñusta Ltda."
    assert got["CL:765432103"].city == "Peñalolén"
    assert got["CL:77100007K"].groups == "construcción"


def test_semicolons_decimal_commas_and_ignored_columns(
    ctx: ServiceContext, other_admin: Session
) -> None:
    report = validate(ctx, other_admin, CORPUS / "semicolon_decimal_commas.csv", CL)
    assert (report.rows, report.valid) == (2, 2)
    assert any("Descuento" in warning for warning in report.source.warnings)
    report.discard()
    import_file(ctx, other_admin, CORPUS / "semicolon_decimal_commas.csv", CL)
    assert links(other_admin)["CL:967902403"].name == "Aceros del Sur; Hierros y Metales"


def test_tab_separated_with_country_column(ctx: ServiceContext, other_admin: Session) -> None:
    summary = import_file(ctx, other_admin, CORPUS / "tab_separated.txt", CL)
    assert summary.added == 2
    assert set(links(other_admin)) == {"PE:20512345671", "PE:20131312955"}


def test_quoted_line_breaks_become_spaces(ctx: ServiceContext, other_admin: Session) -> None:
    import_file(ctx, other_admin, CORPUS / "quoted_newlines.csv", CL)
    got = links(other_admin)
    assert got["CL:771234569"].address == "Av. Los Leones 123 Depto 45"
    assert got["CL:771234569"].description == 'Dice "hola", y se va'
    assert got["CL:765432103"].name == "Panadería La Ñusta"


def test_formula_names_stored_as_text_and_neutralised_in_the_report(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path
) -> None:
    import_file(ctx, other_admin, CORPUS / "formula_names.csv", CL)
    names = {link.name for link in links(other_admin).values()}
    assert names == {'=HYPERLINK("http://evil.example","Click")', "+1", "@SUM(A1:A2)", "-2+3"}
    # A problem row whose value looks like a formula: the exported report defuses it.
    bad = write_csv(tmp_path / "bad.csv", [row("=1+1", "=cmd|' /C calc'!A0", "x@y.example")])
    report = validate(ctx, other_admin, bad, CL)
    assert report.invalid == 1
    out = tmp_path / "report.csv"
    bulk.write_issue_report(out, report)
    report.discard()
    cells = [c for line in csv.reader(out.open(encoding="utf-8-sig")) for c in line]
    assert "'=1+1" in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)


def test_blank_lines_keep_spreadsheet_row_numbers(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path
) -> None:
    source = (CORPUS / "blank_lines.csv").read_text(encoding="utf-8")
    bad = tmp_path / "blank_lines_bad.csv"
    bad.write_text(source.replace("b@nusta.example", "not-an-email"), encoding="utf-8")
    report = validate(ctx, other_admin, bad, CL)
    assert (report.rows, report.valid, report.invalid) == (2, 1, 1)
    (issue,) = report.issues
    assert issue.row == 5
    assert (issue.letter, issue.header, issue.value) == ("I", "Email*", "not-an-email")
    assert issue.column == "I (Email*)"
    report.discard()


def test_missing_mandatory_column_is_refused(ctx: ServiceContext, other_admin: Session) -> None:
    with pytest.raises(FileRefused, match=r"Email\*"):
        validate(ctx, other_admin, CORPUS / "missing_email_column.csv", CL)


def test_bad_notify_values_reported_by_row_column_and_value(
    ctx: ServiceContext, other_admin: Session
) -> None:
    report = validate(ctx, other_admin, CORPUS / "bad_notify.csv", CL)
    assert (report.rows, report.valid, report.invalid) == (5, 1, 4)
    problems = [(i.row, i.column, i.value) for i in report.issues]
    assert problems == [
        (2, "D (Notify*)", "yes"),
        (3, "D (Notify*)", "2"),
        (4, "D (Notify*)", ""),
        (6, "D (Notify*)", "Sí"),
    ]
    assert all("must be 1 (invite now) or 0 (not yet)" in i.message for i in report.issues)
    report.discard()


def test_one_tax_id_in_two_notations_is_a_duplicate(
    ctx: ServiceContext, other_admin: Session
) -> None:
    report = validate(ctx, other_admin, CORPUS / "duplicate_tax_id_notations.csv", CL)
    assert (report.valid, report.invalid) == (1, 1)
    (issue,) = report.issues
    assert (issue.row, issue.value) == (3, "760864285")
    assert "Same supplier as row 2" in issue.message
    report.discard()


def test_own_company_cannot_be_imported(ctx: ServiceContext, admin: Session) -> None:
    report = validate(ctx, admin, CORPUS / "duplicate_tax_id_notations.csv", CL)
    assert report.invalid == 2
    assert "cannot be its own supplier" in report.issues[0].message
    report.discard()


def test_xlsx_numeric_tax_ids_warn_and_follow_the_default_country(
    ctx: ServiceContext, other_admin: Session
) -> None:
    path = CORPUS / "numeric_tax_id.xlsx"
    report = validate(ctx, other_admin, path, CL)
    assert (report.rows, report.valid, report.invalid, report.warnings) == (3, 2, 1, 2)
    errors = [i for i in report.issues if i.severity == "error"]
    assert [(i.row, i.value) for i in errors] == [(3, "20131312955")]
    assert "Invalid RUT for Chile" in errors[0].message
    report.discard()
    peru = validate(ctx, other_admin, path, ImportOptions(default_country="PE"))
    assert [i.row for i in peru.issues if i.severity == "error"] == [2, 4]
    peru.discard()


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("not_a_zip.xlsx", "is not an Excel .xlsx file"),
        ("header_only.csv", "has no supplier rows"),
        ("empty.csv", "is empty"),
    ],
)
def test_refused_files(ctx: ServiceContext, other_admin: Session, name: str, fragment: str) -> None:
    before = counts()
    with pytest.raises(FileRefused, match=fragment):
        import_file(ctx, other_admin, CORPUS / name, CL)
    assert counts() == before


def test_over_the_row_limit_is_refused(ctx: ServiceContext, other_admin: Session) -> None:
    small = dataclasses.replace(ctx, config=with_overrides(ctx.config, import_max_rows=3))
    with pytest.raises(FileRefused, match="more than 3 rows"):
        validate(small, other_admin, CORPUS / "utf8_bom_en.csv", CL)
    tiny = dataclasses.replace(ctx, config=with_overrides(ctx.config, import_max_bytes=100))
    with pytest.raises(FileRefused, match="larger than"):
        validate(tiny, other_admin, CORPUS / "utf8_bom_en.csv", CL)


# --------------------------------------------------------------------------- commit rules


def test_one_bad_row_imports_nothing(ctx: ServiceContext, other_admin: Session) -> None:
    before = counts()
    with pytest.raises(ImportRefused, match="4 of 5 rows have problems") as caught:
        import_file(ctx, other_admin, CORPUS / "bad_notify.csv", CL)
    assert caught.value.report.invalid == 4
    assert counts() == before
    refused = AuditEvent.get(AuditEvent.action == "supplier.import")
    assert refused.outcome == "refused"
    assert "invalid=4" in refused.detail


def test_valid_only_imports_the_rest(ctx: ServiceContext, other_admin: Session) -> None:
    options = ImportOptions(default_country="CL", valid_only=True)
    summary = import_file(ctx, other_admin, CORPUS / "bad_notify.csv", options)
    assert (summary.added, summary.invalid, summary.invitations_queued) == (1, 4, 1)
    assert list(links(other_admin)) == ["CL:77100007K"]
    assert links(other_admin)["CL:77100007K"].status == "queued"


def _existing(ctx: ServiceContext, session: Session) -> suppliers.SupplierDetail:
    return suppliers.add_supplier(
        ctx,
        session,
        suppliers.SupplierInput(
            country="CL",
            tax_id="77.123.456-9",
            name="Ñandú Original",
            email="old@nandu.example",
            phone="111",
            city="Providencia",
            groups="viejo",
        ),
    )


def test_existing_skip(ctx: ServiceContext, other_admin: Session) -> None:
    existing = _existing(ctx, other_admin)
    report = validate(ctx, other_admin, CORPUS / "utf8_bom_en.csv", CL)
    assert (report.new, report.existing, report.notify) == (3, 1, 2)
    summary = import_file(ctx, other_admin, CORPUS / "utf8_bom_en.csv", CL, validated=report)
    assert (summary.added, summary.skipped, summary.invitations_queued) == (3, 1, 2)
    link = SupplierLink.get_by_id(existing.id)
    assert (link.email, link.status) == ("old@nandu.example", "not_invited")


def test_existing_update_keeps_what_the_file_leaves_empty_and_invites(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path
) -> None:
    existing = _existing(ctx, other_admin)
    path = write_csv(
        tmp_path / "update.csv",
        [row("77123456-9", "Otro nombre", "new@nandu.example", "1", phone="222", country="CL")],
    )
    options = ImportOptions(on_existing="update")
    summary = import_file(ctx, other_admin, path, options)
    assert (summary.added, summary.updated, summary.invitations_queued) == (0, 1, 1)
    link = SupplierLink.get_by_id(existing.id)
    assert link.email == "new@nandu.example"
    assert link.phone == "222"
    assert link.city == "Providencia"  # empty in the file: kept
    assert link.groups == "viejo"
    assert link.name == "Ñandú Original"  # identity is the network's
    assert link.status == "queued"
    (invitation,) = Invitation.select().where(Invitation.link == existing.id)
    assert invitation.email == "new@nandu.example"
    update = AuditEvent.get(AuditEvent.action == "supplier.update")
    assert update.target == "CL:771234569"


def test_existing_error_policy_reports_and_refuses(
    ctx: ServiceContext, other_admin: Session
) -> None:
    _existing(ctx, other_admin)
    options = ImportOptions(default_country="CL", on_existing="error")
    report = validate(ctx, other_admin, CORPUS / "utf8_bom_en.csv", options)
    assert (report.invalid, report.existing) == (1, 1)
    assert "is already one of your suppliers" in report.issues[0].message
    before = counts()
    with pytest.raises(ImportRefused):
        import_file(ctx, other_admin, CORPUS / "utf8_bom_en.csv", options, validated=report)
    assert counts() == before


def test_supplier_added_between_check_and_import_is_caught(
    ctx: ServiceContext, other_admin: Session
) -> None:
    options = ImportOptions(default_country="CL", on_existing="error")
    report = validate(ctx, other_admin, CORPUS / "utf8_bom_en.csv", options)
    assert report.ok
    _existing(ctx, other_admin)  # another administrator, meanwhile
    before = counts()
    with pytest.raises(ImportRefused) as caught:
        import_file(ctx, other_admin, CORPUS / "utf8_bom_en.csv", options, validated=report)
    assert caught.value.report.invalid == 1
    assert counts() == before
    report.discard()


def test_registered_company_is_linked_as_registered_never_invited(
    ctx: ServiceContext, admin: Session, tmp_path: Path
) -> None:
    # Distribuidora del Pacífico (PE:20100070970) is a registered company of the network.
    path = write_csv(
        tmp_path / "registered.csv",
        [row("20100070970", "Lo que sea SAC", "a@pacifico.example", "1", country="PE")],
    )
    summary = import_file(ctx, admin, path)
    assert (summary.added, summary.invitations_queued) == (1, 0)
    assert Company.select().count() == 2  # linked to the registered company, none created
    link = links(admin)["PE:20100070970"]
    assert link.status == "registered"
    assert link.name == "Distribuidora del Pacífico SAC"  # the network's name
    assert Invitation.select().count() == 0


def test_only_administrators(ctx: ServiceContext, viewer: Session) -> None:
    with pytest.raises(PermissionDenied):
        validate(ctx, viewer, CORPUS / "utf8_bom_en.csv")
    with pytest.raises(PermissionDenied):
        import_file(ctx, viewer, CORPUS / "utf8_bom_en.csv")
    assert SupplierLink.select().count() == 0


def test_bad_default_country(ctx: ServiceContext, other_admin: Session) -> None:
    with pytest.raises(ValidationError, match="Unknown country"):
        validate(ctx, other_admin, CORPUS / "utf8_bom_en.csv", ImportOptions(default_country="XX"))


def test_audit_summary_and_one_event_per_supplier(
    ctx: ServiceContext, other_admin: Session
) -> None:
    import_file(ctx, other_admin, CORPUS / "utf8_bom_en.csv", CL)
    events = list(AuditEvent.select().where(AuditEvent.company_id == other_admin.company_id))
    adds = [e for e in events if e.action == "supplier.add"]
    assert sorted(e.target for e in adds) == [
        "CL:771234569",
        "CO:9003731153",
        "MX:EKU9003173C9",
        "PE:20131312955",
    ]
    assert all(e.actor_name == "lucia" and e.actor_id == other_admin.user_id for e in adds)
    assert adds[0].detail == "import utf8_bom_en.csv row 2"
    (summary,) = [e for e in events if e.action == "supplier.import"]
    assert summary.target == "utf8_bom_en.csv"
    for part in ("rows=4", "added=4", "invitations=3", "policy=skip"):
        assert part in summary.detail


def test_odd_file_names_reach_the_audit_trail_intact(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path
) -> None:
    """Tabs, backslashes and quotes survive the fast insert paths (COPY text escaping)."""
    path = tmp_path / "lista\\de\tproveedores 'v2' \\N.csv"
    shutil.copy(CORPUS / "windows1252_es.csv", path)
    import_file(ctx, other_admin, path, CL)
    details = {e.detail for e in AuditEvent.select().where(AuditEvent.action == "supplier.add")}
    assert details == {f"import {path.name} row 2", f"import {path.name} row 3"}


def test_name_and_group_indexes_follow_the_import(
    ctx: ServiceContext, other_admin: Session
) -> None:
    import_file(ctx, other_admin, CORPUS / "windows1252_es.csv", CL)
    by_name = suppliers.list_suppliers(ctx, other_admin, suppliers.SupplierFilter(name="Ñusta"))
    assert [r.tax_id for r in by_name.rows] == ["765432103"]
    by_group = suppliers.list_suppliers(
        ctx, other_admin, suppliers.SupplierFilter(group="Construcción")
    )
    assert [r.tax_id for r in by_group.rows] == ["77100007K"]


def test_bulk_invitations_look_like_the_services_own(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path
) -> None:
    """The fast queue writes the same invitation and outbox rows as ``invitations.invite``."""
    path = write_csv(
        tmp_path / "one.csv",
        [
            row("77.123.456-9", "Uno", "uno@x.example", "1", country="CL"),
            row("76.543.210-3", "Dos", "dos@x.example", "0", country="CL"),
        ],
    )
    import_file(ctx, other_admin, path)
    got = links(other_admin)
    invitations.invite(ctx, other_admin, [got["CL:765432103"].id])
    bulk, service = (
        Invitation.get(Invitation.link == got[key].id) for key in ("CL:771234569", "CL:765432103")
    )
    skip = {"id", "link", "email", "supplier"}
    for name in Invitation._meta.fields:
        if name not in skip:
            assert getattr(bulk, name) == getattr(service, name), name
    mail_bulk, mail_service = (
        OutboxMessage.get(OutboxMessage.invitation == inv.id) for inv in (bulk, service)
    )
    skip = {"id", "invitation", "recipient", "message_id"}
    for name in OutboxMessage._meta.fields:
        if name not in skip:
            assert getattr(mail_bulk, name) == getattr(mail_service, name), name
    assert mail_bulk.message_id.startswith("<gosocket.") and mail_bulk.message_id.endswith(">")
    assert got["CL:771234569"].status == SupplierLink.get_by_id(got["CL:765432103"].id).status


# --------------------------------------------------------------------------- the passes


def test_import_replays_the_validation_when_the_file_is_unchanged(
    ctx: ServiceContext, other_admin: Session, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "s.csv"
    shutil.copy(CORPUS / "utf8_bom_en.csv", path)
    report = validate(ctx, other_admin, path, CL)

    def no_second_read(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the file was read again")

    monkeypatch.setattr(importer, "_open", no_second_read)
    summary = import_file(ctx, other_admin, path, CL, validated=report)
    assert summary.added == 4
    report.discard()


def test_another_companys_check_is_not_replayed(
    ctx: ServiceContext,
    admin: Session,
    other_admin: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The checks depend on the acting company (a company is never its own supplier)."""
    path = CORPUS / "duplicate_tax_id_notations.csv"
    report = validate(ctx, other_admin, path, CL)
    assert report.valid == 1
    opened: list[object] = []
    real_open = importer._open

    def counting(*args: Any, **kwargs: Any) -> Any:
        opened.append(args)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(importer, "_open", counting)
    with pytest.raises(ImportRefused) as caught:
        import_file(ctx, admin, path, CL, validated=report)
    assert len(opened) == 1
    assert "cannot be its own supplier" in caught.value.report.issues[0].message
    report.discard()


def test_a_changed_file_is_checked_again(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "s.csv", [row("77.123.456-9", "Uno", "uno@x.example")])
    report = validate(ctx, other_admin, path, CL)
    write_csv(path, [row("77.123.456-9", "Uno", "not an email")])
    with pytest.raises(ImportRefused):
        import_file(ctx, other_admin, path, CL, validated=report)
    report.discard()
    assert SupplierLink.select().count() == 0


def test_spool_is_removed(ctx: ServiceContext, other_admin: Session) -> None:
    report = validate(ctx, other_admin, CORPUS / "utf8_bom_en.csv", CL)
    spool = report._spool
    assert spool is not None and spool.path.exists()
    report.discard()
    assert not spool.path.exists()
    assert not report.reusable(CORPUS / "utf8_bom_en.csv", "CL", other_admin.company_id)


def test_a_report_used_as_a_context_manager_removes_its_spool(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path
) -> None:
    """The report owns its spool: leaving the ``with`` block removes it, also on an error."""
    path = tmp_path / "s.csv"
    shutil.copy(CORPUS / "utf8_bom_en.csv", path)
    with validate(ctx, other_admin, path, CL) as report:
        spool = report._spool
        assert spool is not None and spool.path.exists()
        assert report.reusable(path, "CL", other_admin.company_id)
    assert not spool.path.exists()
    with pytest.raises(RuntimeError), validate(ctx, other_admin, path, CL) as failed:
        spool = failed._spool
        raise RuntimeError("the caller failed")
    assert spool is not None and not spool.path.exists()
    assert not failed.reusable(path, "CL", other_admin.company_id)


def test_progress_and_cancel_roll_back(ctx: ServiceContext, other_admin: Session) -> None:
    seen: list[bulk.Progress] = []
    import_file(ctx, other_admin, CORPUS / "windows1252_es.csv", CL, progress=seen.append)
    assert {p.phase for p in seen} == {"validate", "import"}
    assert seen[-1].fraction == 1.0 and seen[-1].rows == 2
    before = counts()

    def cancel(progress: bulk.Progress) -> None:
        if progress.phase == "import" and progress.fraction == 1.0:
            raise ImportCancelled("stop")

    with pytest.raises(ImportCancelled):
        import_file(ctx, other_admin, CORPUS / "utf8_bom_en.csv", CL, progress=cancel)
    assert counts() == before


def test_issue_list_is_capped_but_counts_are_exact(
    ctx: ServiceContext, other_admin: Session
) -> None:
    options = ImportOptions(default_country="CL", max_issues=2)
    report = validate(ctx, other_admin, CORPUS / "bad_notify.csv", options)
    assert len(report.issues) == 2
    assert report.errors == 4 and report.truncated == 2
    last = list(report.report_rows())[-1]
    assert "2 more not listed" in last[3]
    report.discard()


def test_more_than_one_batch(ctx: ServiceContext, other_admin: Session, tmp_path: Path) -> None:
    """Lookups per 500 and writes per 5,000 rows: duplicates across batches still caught."""
    rows = []
    for i in range(5_300):
        body = str(10_000_000 + i * 7)
        rows.append(row(body + rut.calc_check_digit(body), f"Proveedor {i}", f"p{i}@x.example"))
    rows.append(row(rut.format("10000000" + rut.calc_check_digit("10000000")), "Dup", "d@x.cl"))
    path = write_csv(tmp_path / "big.csv", rows)
    report = validate(ctx, other_admin, path, CL)
    assert (report.rows, report.invalid) == (5_301, 1)
    assert report.issues[0].row == 5_302 and "row 2" in report.issues[0].message
    summary = import_file(
        ctx, other_admin, path, ImportOptions(default_country="CL", valid_only=True)
    )
    assert summary.added == 5_300
    assert suppliers.count_suppliers(ctx, other_admin) == 5_300
    report.discard()


# --------------------------------------------------------------------------- fast paths

FAST = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _slow_email(value: str) -> str | None:
    try:
        return suppliers.normalize_email(value)
    except ValidationError:
        return None


def _fast_email(value: str) -> str | None:
    try:
        return fast_email(value)
    except ValidationError:
        return None


@st.composite
def emails(draw: st.DrawFn) -> str:
    atom = st.text(alphabet=string.ascii_letters + string.digits + "_+-", min_size=1, max_size=8)
    local = ".".join(draw(st.lists(atom, min_size=1, max_size=3)))
    if draw(st.booleans()):
        local = draw(st.sampled_from(["Postmaster", "info", "a..b", ".x", "ñandú", "x" * 70]))
    labels = draw(
        st.lists(
            st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=6),
            min_size=1,
            max_size=3,
        )
    )
    tld = draw(
        st.sampled_from(["cl", "COM", "example", "test", "local", "x", "123", "xn--p1ai", "arpa"])
    )
    return f"{local}@{'.'.join([*labels, tld])}"


@FAST
@given(emails())
def test_fast_email_agrees_with_normalize_email(value: str) -> None:
    assert _fast_email(value) == _slow_email(value)


# --------------------------------------------------------------------------- round trip

_name_chars = st.characters(
    whitelist_categories=("Lu", "Ll", "Nd", "Zs"), whitelist_characters="&.,-'ñÑáéíóú"
)


@st.composite
def supplier_rows(draw: st.DrawFn) -> list[dict[str, str]]:
    count = draw(st.integers(1, 12))
    bodies = draw(
        st.lists(st.integers(1_000_000, 99_999_999), min_size=count, max_size=count, unique=True)
    )
    out = []
    for i, body in enumerate(bodies):
        compact = str(body) + rut.calc_check_digit(str(body))
        name = " ".join(draw(st.text(_name_chars, min_size=1, max_size=40)).split())
        out.append(
            {
                "tax_id": rut.format(compact) if draw(st.booleans()) else compact,
                "compact": compact,
                "name": name or f"Proveedor {i}",
                "email": f"c{i}@{draw(st.sampled_from(['a.cl', 'b.example', 'x.com']))}",
                "groups": draw(st.sampled_from(["", "insumos", "Norte, Sur"])),
                "notify": draw(st.sampled_from(["0", "1"])),
            }
        )
    return out


@pytest.fixture
def fresh_tmp(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "roundtrip"
    folder.mkdir()
    yield folder


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(supplier_rows())
def test_random_valid_rows_round_trip(
    ctx: ServiceContext, other_admin: Session, fresh_tmp: Path, data: list[dict[str, str]]
) -> None:
    # Each example starts from the two buyers alone (a company already in the network keeps
    # its own name, which would mask what this example imported).
    OutboxMessage.delete().execute()
    Invitation.delete().execute()
    SupplierLink.delete().execute()
    Company.delete().where(Company.registered_at.is_null()).execute()
    path = fresh_tmp / "roundtrip.csv"
    write_csv(
        path,
        [row(r["tax_id"], r["name"], r["email"], r["notify"], groups=r["groups"]) for r in data],
    )
    summary = import_file(ctx, other_admin, path, CL)
    assert summary.added == len(data)
    page = suppliers.list_suppliers(ctx, other_admin, limit=100)
    got = {r.tax_id: r for r in page.rows}
    assert set(got) == {r["compact"] for r in data}
    for r in data:
        back = got[r["compact"]]
        assert back.name == r["name"]
        assert back.email == r["email"]
        assert ",".join(back.groups) == suppliers.normalize_groups(r["groups"])
        assert back.state == ("queued" if r["notify"] == "1" else "not_invited")
