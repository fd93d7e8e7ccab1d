"""Bulk import speed and memory: 100,000 and 1,000,000 suppliers from a CSV file, beside the floor.

For each size: writes a valid file (template headers plus Country; CL/PE/CO/MX suppliers with
valid Tax IDs in mixed notations, ~20% with Notify=1, some with groups), then runs the import
in a child process against a fresh database (one buyer, the system actor), exactly as
``gosocket-tui suppliers import`` does: ``validate`` then ``import_file`` (one transaction).
The child reports the seconds of both passes, of the writes alone (the writer's batches), and
its peak RSS (``ru_maxrss``), so sizes never share a process.

In the same run, another child times the floor for the same rows: the rows the import writes
(companies, supplier links, audit rows, invitations and outbox messages of the Notify=1 rows),
built from the file without any check and inserted into the same tables (same schema and
indexes) of another fresh database, in one transaction, the plain way: ``executemany`` per
table on SQLite, ``COPY`` on PostgreSQL. SQLite's per-row index triggers (name search,
groups) are replaced by one statement each per chunk, as the import does per batch: with
them, ``executemany`` costs ~4x more and would make a floor no import needs to approach.
The floor counts building the rows and inserting them, not reading the CSV. Ends with one
line

    RESULT engine=… rows_1m_s=… floor_1m_s=… ratio=… rows_100k_s=… rss_mib=…

``ratio`` is the 1M import's seconds over its floor's and ``rss_mib`` the largest peak of the
import children. Targets: 100k ≤ 3 s, 1M ≤ 30 s on SQLite and ≤ 60 s on PostgreSQL, peak RSS
≤ 300 MiB.

    python benchmarks/bulk_import.py [--db URL] [--sizes 100000,1000000] [--keep DIR]

``--db`` takes ``sqlite:///path`` (one file per size next to it) or a PostgreSQL server URL
(a fresh database per size is created there and dropped afterwards). Default: a temporary
SQLite file.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from stdnum.cl import rut
from stdnum.co import nit
from stdnum.pe import ruc

HEADERS = [
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
BUYER = ("CL", "76.086.428-5", "Comercial Andes SpA")
WORDS = [
    "Agrícola",
    "Comercial",
    "Constructora",
    "Distribuidora",
    "Ferretería",
    "Importadora",
    "Inversiones",
    "Logística",
    "Servicios",
    "Tecnologías",
    "Transportes",
    "Pacífico",
    "Cordillera",
    "Andina",
    "Patagonia",
]
CITIES = {"CL": "Santiago", "PE": "Lima", "CO": "Bogotá", "MX": "Monterrey"}
GROUPS = ["", "", "", "insumos", "ferretería, logística", "servicios"]
MX_LETTERS = "ABCDEFGHIJKLMNOPRSTUVWXZ"


def tax_id(country: str, i: int, rng: random.Random) -> str:
    """A valid Tax ID, unique per (country, i), in one of the notations users type."""
    if country == "CL":
        body = str(10_000_000 + i * 7)
        compact = body + rut.calc_check_digit(body)
        return rut.format(compact) if rng.random() < 0.5 else compact
    if country == "PE":
        body = "20" + str(10_000_000 + i * 3)
        return body + ruc.calc_check_digit(body)
    if country == "CO":
        body = str(800_000_000 + i * 11)
        compact = body + nit.calc_check_digit(body)
        return nit.format(compact) if rng.random() < 0.5 else compact
    n = i
    letters = ""
    for _ in range(3):
        n, r = divmod(n, len(MX_LETTERS))
        letters += MX_LETTERS[r]
    yy, mm, dd = 70 + n % 30, 1 + (n // 30) % 12, 1 + (n // 360) % 28
    return f"{letters}{yy:02d}{mm:02d}{dd:02d}{rng.choice('ABC')}{rng.randint(1, 9)}{i % 10}"


def write_file(path: Path, rows: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    countries = ["CL", "PE", "CO", "MX"]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(HEADERS)
        for i in range(rows):
            country = countries[i % 4]
            n = i // 4
            name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}"
            writer.writerow(
                [
                    tax_id(country, n, rng),
                    name,
                    "Proveedor de prueba" if i % 3 == 0 else "",
                    f"Calle {i % 900 + 1} #{i % 77}",
                    CITIES[country],
                    "",
                    f"+56 2 {2000_0000 + i}",
                    "",
                    f"contacto{i}@proveedor{i}.example.com",
                    GROUPS[i % len(GROUPS)],
                    "1" if i % 5 == 0 else "0",
                    country,
                ]
            )


def child(file: str, url: str) -> int:
    """Import ``file`` into ``url`` (empty database) and print one JSON line of figures."""
    from gosocket_tui.config import Config
    from gosocket_tui.services import bulk, companies
    from gosocket_tui.services.bulk import writer
    from gosocket_tui.services.context import open_context
    from gosocket_tui.services.system import system_session

    writing = [0.0]
    flush = writer.Writer.flush

    def timed_flush(self: writer.Writer) -> None:
        started = time.perf_counter()
        flush(self)
        writing[0] += time.perf_counter() - started

    writer.Writer.flush = timed_flush  # type: ignore[method-assign]
    ctx = open_context(Config(db=url))
    company = companies.create_company(ctx, *BUYER)
    session = system_session(ctx, f"{company.country}:{company.tax_id}")
    options = bulk.ImportOptions()
    started = time.perf_counter()
    report = bulk.validate(ctx, session, file, options)
    validated = time.perf_counter() - started
    if not report.ok:
        print(json.dumps({"error": [i.message for i in report.issues[:5]]}))
        return 1
    summary = bulk.import_file(ctx, session, file, options, validated=report)
    total = time.perf_counter() - started
    ctx.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss = usage.ru_maxrss / 1024  # KiB on Linux
    cpu = usage.ru_utime + usage.ru_stime
    print(
        json.dumps(
            {
                "rows": report.rows,
                "validate_s": validated,
                "import_s": total - validated,
                "write_s": writing[0],
                "total_s": total,
                "added": summary.added,
                "invitations": summary.invitations_queued,
                "rss_mib": rss,
                "cpu_s": cpu,
            }
        )
    )
    return 0


FLOOR_CHUNK = 50_000


def _compact(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


def floor_child(file: str, url: str) -> int:
    """Insert the rows an import of ``file`` writes, unchecked and the plain way; print seconds.

    Ids are given explicitly (the database is empty but for the buyer), so no statement needs
    another's result; chunks of ``FLOOR_CHUNK`` rows keep memory flat.
    """
    from gosocket_tui.config import Config
    from gosocket_tui.db import bulk as fast
    from gosocket_tui.services import companies
    from gosocket_tui.services.context import open_context

    ctx = open_context(Config(db=url))
    buyer = companies.create_company(ctx, *BUYER).id
    db = ctx.db
    now = fast.db_datetime(db, ctx.clock.now())
    optional = ("description", "address", "city", "province", "phone", "fax")
    link_columns = (
        "id",
        "buyer_id",
        "supplier_id",
        "country",
        "tax_id",
        "name",
        "email",
        *optional,
        "groups",
        "status",
        "status_at",
        "added_at",
        "updated_at",
    )
    audit_columns = ("at", "actor_name", "company_id", "action", "target", "outcome", "detail")
    invitation_columns = (
        "id",
        "link_id",
        "buyer_id",
        "supplier_id",
        "email",
        "language",
        "status",
        "attempts",
        "created_at",
    )
    outbox_columns = (
        "buyer_id",
        "invitation_id",
        "kind",
        "recipient",
        "subject",
        "language",
        "message_id",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    )
    spent = 0.0
    # The import's connection settings (``bulk_writes``: SQLite's larger page cache), and
    # SQLite's per-row index triggers replaced by one statement each per chunk: executemany
    # with FTS5 triggers costs ~4x more (FTS5 flushes its pending terms at every statement).
    with (
        open(file, encoding="utf-8-sig", newline="") as fh,
        db.atomic(),
        fast.bulk_writes(db),
        fast.link_triggers_deferred(db) as index_links,
    ):
        rows = csv.reader(fh)
        next(rows)
        number = 0
        invited = 0
        while chunk := list(itertools.islice(rows, FLOOR_CHUNK)):
            started = time.perf_counter()
            made, links, audit, invitations, outbox = [], [], [], [], []
            for cells in chunk:
                number += 1
                tax, name, *rest = cells
                description, address, city, province, phone, fax, email, groups, notify = rest[:9]
                country, compact = cells[11], _compact(tax)
                company = buyer + number
                made.append((company, country, compact, "", now))
                status = "queued" if notify == "1" else "not_invited"
                groups = ",".join(g.strip().lower() for g in groups.split(",") if g.strip())
                links.append(
                    (
                        *(number, buyer, company, country, compact, name, email, description),
                        *(address, city, province, phone, fax, groups, status, None, now, now),
                    )
                )
                where = f"import {Path(file).name} row {number + 1}"
                audit.append(
                    (now, "system", buyer, "supplier.add", f"{country}:{compact}", "ok", where)
                )
                if notify == "1":
                    invited += 1
                    invitations.append(
                        (invited, number, buyer, company, email, "en", "queued", 0, now)
                    )
                    message_id = f"<floor.{invited}@example.com>"
                    outbox.append(
                        (
                            *(buyer, invited, "invitation", email, "Invitation", "en"),
                            *(message_id, "pending", 0, now, now),
                        )
                    )
            fast.insert_rows(db, "company", ("id", "country", "tax_id", "name", "created_at"), made)
            fast.insert_rows(db, "supplier_link", link_columns, links)
            fast.insert_rows(db, "audit_event", audit_columns, audit)
            fast.insert_rows(db, "invitation", invitation_columns, invitations)
            fast.insert_rows(db, "outbox_message", outbox_columns, outbox)
            index_links(
                "(SELECT id, buyer_id, name, groups, status FROM supplier_link WHERE id > ?)",
                [number - len(chunk)],
            )
            spent += time.perf_counter() - started
    ctx.close()
    print(json.dumps({"rows": number, "floor_s": spent}))
    return 0


def run_child(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"{out.stdout}\n{out.stderr}")
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


@contextmanager
def fresh_database(base: str | None, folder: Path, label: str) -> Iterator[str]:
    """An empty database for one run (``label`` names it)."""
    if base is None or base.startswith("sqlite:///"):
        path = Path(base.removeprefix("sqlite:///")) if base else folder / "bench.db"
        target = path.with_name(f"{path.stem}-{label}{path.suffix or '.db'}")
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        yield f"sqlite:///{target}"
        return
    import psycopg2

    name = f"gosocket_bench_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(base)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{base.rpartition('/')[0]}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", metavar="URL")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--keep", metavar="DIR", help="Keep the generated files here.")
    parser.add_argument("--child", nargs=2, metavar=("FILE", "URL"), help=argparse.SUPPRESS)
    parser.add_argument("--floor", nargs=2, metavar=("FILE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(*args.child)
    if args.floor:
        return floor_child(*args.floor)
    engine = "postgresql" if args.db and args.db.startswith("postgres") else "sqlite"
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="gosocket-bulk-") as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            path = folder / f"suppliers-{size}.csv"
            if not path.exists():
                started = time.perf_counter()
                write_file(path, size)
                print(
                    f"wrote {path.name}: {path.stat().st_size / 1e6:.1f} MB "
                    f"in {time.perf_counter() - started:.1f} s",
                    flush=True,
                )
            try:
                with fresh_database(args.db, folder, str(size)) as url:
                    figures = run_child("--child", str(path), url)
                with fresh_database(args.db, folder, f"{size}-floor") as url:
                    figures["floor_s"] = run_child("--floor", str(path), url)["floor_s"]
            except RuntimeError as exc:
                print(exc, file=sys.stderr)
                return 1
            results[size] = figures
            print(
                f"{size:>9,} rows: validate {figures['validate_s']:.1f} s + import "
                f"{figures['import_s']:.1f} s (writes {figures['write_s']:.1f} s) = "
                f"{figures['total_s']:.1f} s ({size / figures['total_s']:,.0f} rows/s), "
                f"floor {figures['floor_s']:.1f} s, added {figures['added']:,}, invitations "
                f"{figures['invitations']:,}, peak RSS {figures['rss_mib']:.0f} MiB, "
                f"CPU {figures['cpu_s']:.1f} s",
                flush=True,
            )

    def figure(size: int, name: str) -> str:
        return f"{results[size][name]:.2f}" if size in results else "nan"

    million = results.get(1_000_000)
    ratio = f"{million['total_s'] / million['floor_s']:.1f}" if million else "nan"
    rss = max(r["rss_mib"] for r in results.values())
    print(
        f"RESULT engine={engine} rows_1m_s={figure(1_000_000, 'total_s')} "
        f"floor_1m_s={figure(1_000_000, 'floor_s')} ratio={ratio} "
        f"rows_100k_s={figure(100_000, 'total_s')} rss_mib={rss:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
