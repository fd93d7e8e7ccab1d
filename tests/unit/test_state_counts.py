"""The Overview's stored counts (migration 12) equal counts made afresh from the rows after
every kind of write: add, invite, delivery, activation, cancellation, expiry, removal, a bulk
import (set-based on SQLite) and a bulk import that dies halfway (everything rolled back, the
counts too). Suppliers per (company, state) from a GROUP BY; invitations sent, used and
activated per (company, day) here, in Python, from the invitation rows."""

from __future__ import annotations

import csv
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stdnum.cl import rut

from gosocket_tui.db import migrations
from gosocket_tui.db.connection import open_database, transaction
from gosocket_tui.db.models import Invitation, InvitationDayCount, SupplierLink
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services import invitations, suppliers
from gosocket_tui.services.activation import activate
from gosocket_tui.services.bulk import ImportOptions, import_file, writer
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from tests.conftest import on_postgres
from tests.invitation_helpers import add_supplier, code_in, deliver

Counts = dict[Any, int]


def fresh(ctx: ServiceContext) -> Counts:
    rows = ctx.db.execute_sql(
        "SELECT buyer_id, status, COUNT(*) FROM supplier_link GROUP BY buyer_id, status"
    )
    return {(int(b), str(s)): int(n) for b, s, n in rows.fetchall()}


def kept(ctx: ServiceContext) -> Counts:
    rows = ctx.db.execute_sql("SELECT buyer_id, status, n FROM supplier_state_count WHERE n <> 0")
    return {(int(b), str(s)): int(n) for b, s, n in rows.fetchall()}


def fresh_days(ctx: ServiceContext) -> Counts:
    days: Counter[tuple[int, str, str]] = Counter()
    for row in Invitation.select():
        if row.sent_at:
            days[(row.buyer_id, "sent", str(row.sent_at.date()))] += 1
        if row.used_at:
            days[(row.buyer_id, "used", str(row.used_at.date()))] += 1
            if row.sent_at:
                days[(row.buyer_id, "activated", str(row.used_at.date()))] += 1
    return dict(days)


def kept_days(ctx: ServiceContext) -> Counts:
    rows = InvitationDayCount.select().where(InvitationDayCount.n != 0)
    return {(r.buyer_id, r.kind, str(r.day)): r.n for r in rows}


def write_file(path: Path, first: int, rows: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["Tax ID*", "Name*", "Email*", "Notify*"])
        for i in range(first, first + rows):
            body = str(40_000_000 + i * 11)
            notify = "1" if i % 3 == 0 else "0"
            out.writerow([body + rut.calc_check_digit(body), f"Proveedora {i}", "p@x.co", notify])
    return path


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(maildir=tmp_path / "maildir") as server:
        yield server


def test_counts_follow_every_kind_of_write(
    ctx: ServiceContext,
    admin: Session,
    other_admin: Session,
    sink: MailSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def check() -> None:
        assert kept(ctx) == fresh(ctx)
        assert kept_days(ctx) == fresh_days(ctx)

    cafe = add_supplier(ctx, admin)
    cafe_elsewhere = add_supplier(ctx, other_admin, email="f@cafe.example")
    other = add_supplier(ctx, admin, country="CL", tax_id="12.345.678-5", name="Otra")
    check()
    assert invitations.invite(ctx, admin, [cafe, other]).queued
    assert invitations.invite(ctx, other_admin, [cafe_elsewhere]).queued
    check()
    assert deliver(ctx, sink.port).sent == 3
    check()
    code = next(code_in(m) for m in sink.messages() if "ventas@cafe.example" in m.rcpt_tos)
    activate(
        ctx,
        supplier_country="CO",
        supplier_tax_id="860007386",
        inviter_country="CL",
        inviter_tax_id="76.086.428-5",
        code=code,
        username="cafe.admin",
        password="tostado medio 2026",
    )  # registers the supplier with both buyers: one statement, two companies' counts
    check()
    invitations.cancel(ctx, admin, other)
    check()
    # Expiry stored as a state, for every lapsed invitation at once (a multi-row UPDATE).
    invitations.invite(ctx, admin, [other])
    deliver(ctx, sink.port)
    SupplierLink.update(status="expired").where(SupplierLink.status == "invited").execute()
    check()
    suppliers.remove_supplier(ctx, admin, other)
    check()

    monkeypatch.setattr(writer, "WRITE_ROWS", 4)  # several staged batches
    import_file(
        ctx, admin, write_file(tmp_path / "a.csv", 0, 11), ImportOptions(default_country="CL")
    )
    check()
    before = kept(ctx)

    def dies(self: writer.Writer, made: object) -> None:
        raise RuntimeError("killed")

    # An import that dies after its links of two batches are written: nothing stays.
    monkeypatch.setattr(writer.Writer, "_queue_mail", dies)
    with pytest.raises(RuntimeError, match="killed"):
        import_file(
            ctx, admin, write_file(tmp_path / "b.csv", 100, 9), ImportOptions(default_country="CL")
        )
    assert kept(ctx) == before
    check()
    assert fresh_days(ctx), "the invitations delivered and used were counted"


def test_the_upgrade_counts_the_links_already_there(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    db.execute_sql("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for version, migration in enumerate(migrations.MIGRATIONS[:10], start=1):
        transaction(lambda m=migration: m(db), db=db)  # type: ignore[misc]
        db.execute_sql("INSERT INTO schema_version (version) VALUES (?)", (version,))
    db.execute_sql(
        "INSERT INTO company (id, country, tax_id, name, created_at) VALUES "
        "(1, 'CL', '1', 'B', '2026-01-01'), (2, 'CL', '2', 'S', '2026-01-01'), "
        "(3, 'CL', '3', 'T', '2026-01-01')"
    )
    db.execute_sql(
        "INSERT INTO supplier_link (buyer_id, supplier_id, country, tax_id, name, status, "
        "added_at, updated_at) VALUES (1, 2, 'CL', '2', 'S', 'invited', '2026-01-01', "
        "'2026-01-01'), (1, 3, 'CL', '3', 'T', 'invited', '2026-01-01', '2026-01-01'), "
        "(2, 3, 'CL', '3', 'T', 'registered', '2026-01-01', '2026-01-01')"
    )
    assert migrations.upgrade(db)[0] == 11
    rows = db.execute_sql("SELECT buyer_id, status, n FROM supplier_state_count ORDER BY 1, 2")
    assert rows.fetchall() == [(1, "invited", 2), (2, "registered", 1)]


@pytest.mark.skipif(not on_postgres(), reason="SQLite's import holds the database write lock")
def test_an_import_in_progress_does_not_hold_the_counts(
    ctx: ServiceContext, admin: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a long import of a company runs, the same company's other writes (a supplier
    added by hand, a delivery) change its counts without waiting for the import to end: the
    import gathers its counts apart and adds them in its last moment."""
    monkeypatch.setattr(writer, "WRITE_ROWS", 4)
    paused, resume = threading.Event(), threading.Event()
    flush = writer.Writer.flush

    def flush_then_wait(self: writer.Writer) -> None:
        flush(self)
        if not paused.is_set():
            paused.set()
            assert resume.wait(30)

    monkeypatch.setattr(writer.Writer, "flush", flush_then_wait)
    path = write_file(tmp_path / "a.csv", 0, 11)
    importing = threading.Thread(
        target=import_file, args=(ctx, admin, path, ImportOptions(default_country="CL"))
    )
    importing.start()
    try:
        assert paused.wait(30)
        adding = threading.Thread(target=add_supplier, args=(ctx, admin))
        adding.start()
        adding.join(10)
        assert not adding.is_alive(), "the add waited for the import"
    finally:
        resume.set()
        importing.join(30)
    assert kept(ctx) == fresh(ctx)
    assert sum(n for (buyer, _state), n in kept(ctx).items() if buyer == admin.company_id) == 12
