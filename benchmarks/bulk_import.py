"""Bulk import speed and memory: 100,000 and 1,000,000 suppliers from a CSV file.

For each size: writes a valid file (template headers plus Country; CL/PE/CO/MX suppliers with
valid Tax IDs in mixed notations, ~20% with Notify=1, some with groups), then runs the import
in a child process against a fresh database (one buyer, the system actor), exactly as
``gosocket-tui suppliers import`` does: ``validate`` then ``import_file`` (one transaction).
The child reports the seconds of both passes and its peak RSS (``ru_maxrss``), so sizes never
share a process. Ends with one line

    RESULT rows_100k_s=… rows_1m_s=… rows_per_s=… rss_mib=…

``rows_per_s`` is the 1M run's rate and ``rss_mib`` the largest peak. Targets: 100k ≤ 8 s,
1M ≤ 60 s, peak RSS ≤ 300 MiB.

    python benchmarks/bulk_import.py [--db URL] [--sizes 100000,1000000] [--keep DIR]

``--db`` takes ``sqlite:///path`` (one file per size next to it) or a PostgreSQL server URL
(a fresh database per size is created there and dropped afterwards). Default: a temporary
SQLite file.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
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
    from gosocket_tui.services.context import open_context
    from gosocket_tui.services.system import system_session

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
                "total_s": total,
                "added": summary.added,
                "invitations": summary.invitations_queued,
                "rss_mib": rss,
                "cpu_s": cpu,
            }
        )
    )
    return 0


@contextmanager
def fresh_database(base: str | None, folder: Path, size: int) -> Iterator[str]:
    """An empty database for one size."""
    if base is None or base.startswith("sqlite:///"):
        path = Path(base.removeprefix("sqlite:///")) if base else folder / "bench.db"
        target = path.with_name(f"{path.stem}-{size}{path.suffix or '.db'}")
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
    args = parser.parse_args(argv)
    if args.child:
        return child(*args.child)
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
            with fresh_database(args.db, folder, size) as url:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", str(path), url],
                    capture_output=True,
                    text=True,
                    check=False,
                )
            if out.returncode != 0:
                print(out.stdout, out.stderr, file=sys.stderr)
                return 1
            figures = json.loads(out.stdout.strip().splitlines()[-1])
            results[size] = figures
            print(
                f"{size:>9,} rows: validate {figures['validate_s']:.1f} s + import "
                f"{figures['import_s']:.1f} s = {figures['total_s']:.1f} s "
                f"({size / figures['total_s']:,.0f} rows/s), added {figures['added']:,}, "
                f"invitations {figures['invitations']:,}, peak RSS {figures['rss_mib']:.0f} MiB, "
                f"CPU {figures['cpu_s']:.1f} s",
                flush=True,
            )

    def seconds(size: int) -> str:
        return f"{results[size]['total_s']:.2f}" if size in results else "nan"

    biggest = max(results)
    rate = biggest / results[biggest]["total_s"]
    rss = max(r["rss_mib"] for r in results.values())
    print(
        f"RESULT rows_100k_s={seconds(100_000)} rows_1m_s={seconds(1_000_000)} "
        f"rows_per_s={rate:.0f} rss_mib={rss:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
