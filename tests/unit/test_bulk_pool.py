"""The check of a big file in worker processes (services/bulk/pool): the same report as the
check in this process (problems in file order, right row numbers, duplicates across chunks),
a file where every row is bad, and stopping (cancel, Ctrl+C, a killed worker) with no worker
left and nothing written.

Chunks are made small here (``CHUNK_ROWS``, ``IN_PROCESS_ROWS``) so that a few thousand rows
cross many chunk boundaries; the pool and its processes are real.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from stdnum.cl import rut

from gosocket_tui.db.models import AuditEvent, Company, SupplierLink
from gosocket_tui.services import bulk
from gosocket_tui.services.bulk import ImportCancelled, ImportOptions, import_file, pool, validate
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session

ROOT = Path(__file__).parents[2]
CL = ImportOptions(default_country="CL")
HEADER = ["Tax ID*", "Name*", "Email*", "Groups", "Notify*"]
CHUNK = 500


def rut_of(i: int) -> str:
    body = str(10_000_000 + i * 7)
    return body + rut.calc_check_digit(body)


def good(i: int) -> list[str]:
    return [rut_of(i), f"Proveedor {i} SpA", f"p{i}@proveedor{i}.example.com", "", "0"]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 500 rows, and the pool from 1,000 rows on, with two workers (three cores)."""
    monkeypatch.setattr(pool, "CHUNK_ROWS", CHUNK)
    monkeypatch.setattr(pool, "IN_PROCESS_ROWS", 2 * CHUNK)
    monkeypatch.setattr(pool, "cores", lambda: 3)


def in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "IN_PROCESS_ROWS", 10**9)


def watching() -> tuple[Callable[[bulk.Progress], None], list[int]]:
    """A progress callback that records the most workers seen alive during the check."""
    most = [0]

    def progress(_p: bulk.Progress) -> None:
        most[0] = max(most[0], len(workers()))

    return progress, most


def mixed_rows() -> list[list[str]]:
    """3,000 rows with problems on both sides of chunk boundaries and duplicates across them."""
    rows = [good(i) for i in range(3_000)]
    # Data row k is spreadsheet row k + 2; chunk boundaries fall after every 500 data rows.
    for k in (0, 499, 500, 501, 999, 1_000, 2_999):
        rows[k][0] = "12.345.678-0"  # wrong check digit
    rows[1_500][2] = "not an email"
    rows[1_501][4] = "yes"
    rows[2_000] = [rut.format(rut_of(10)), "Again", "a@x.example", "", "0"]  # row 12 again
    rows[2_001] = [rut_of(1_999), "Next chunk", "n@x.example", "", "1"]  # row 2001 again
    rows[2_002] = [rut_of(2_100), "Same chunk", "s@x.example", "", "0"]  # row 2102 later
    return rows


def test_pooled_check_reports_problems_in_file_order_across_chunks(
    ctx: ServiceContext,
    other_admin: Session,
    tmp_path: Path,
    small_chunks: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write_csv(tmp_path / "mixed.csv", mixed_rows())
    progress, most = watching()
    with validate(ctx, other_admin, path, CL, progress=progress) as pooled:
        assert most[0] == 2, "the pool did not run"
        rows = [issue.row for issue in pooled.issues]
        assert rows == [2, 501, 502, 503, 1_001, 1_002, 1_502, 1_503, 2_002, 2_003, 2_102, 3_001]
        assert (pooled.rows, pooled.invalid, pooled.valid) == (3_000, 12, 2_988)
        by_row = {issue.row: issue.message for issue in pooled.issues}
        assert "Same supplier as row 12" in by_row[2_002]
        assert "Same supplier as row 2001" in by_row[2_003]
        assert "Same supplier as row 2004" in by_row[2_102]
        assert workers() == []
        in_process(monkeypatch)
        with validate(ctx, other_admin, path, CL) as here:
            assert here.issues == pooled.issues
            assert (here.rows, here.valid, here.invalid, here.new, here.notify) == (
                pooled.rows,
                pooled.valid,
                pooled.invalid,
                pooled.new,
                pooled.notify,
            )


def test_pooled_import_writes_every_valid_row_once(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path, small_chunks: None
) -> None:
    path = write_csv(tmp_path / "mixed.csv", mixed_rows())
    summary = import_file(
        ctx, other_admin, path, ImportOptions(default_country="CL", valid_only=True)
    )
    assert summary.added == 2_988
    stored = {
        (link.tax_id, link.name)
        for link in SupplierLink.select().where(SupplierLink.buyer == other_admin.company_id)
    }
    assert (rut_of(10), "Proveedor 10 SpA") in stored  # the first of the duplicates is kept
    assert (rut_of(1_999), "Proveedor 1999 SpA") in stored
    assert len({tax_id for tax_id, _name in stored}) == 2_988
    assert workers() == []


def test_every_row_bad_is_reported_with_exact_counts(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path, small_chunks: None
) -> None:
    rows = [["12.345.678-0", "", "no", "", "maybe"] for _ in range(2_600)]
    path = write_csv(tmp_path / "bad.csv", rows)
    options = ImportOptions(default_country="CL", max_issues=1_000)
    progress, most = watching()
    with validate(ctx, other_admin, path, options, progress=progress) as report:
        assert most[0] == 2
        assert (report.rows, report.valid, report.invalid) == (2_600, 0, 2_600)
        assert report.errors == 4 * 2_600 and len(report.issues) == 1_000
        assert [issue.row for issue in report.issues[::4]] == list(range(2, 252))
    with pytest.raises(bulk.ImportRefused):
        import_file(ctx, other_admin, path, options)
    assert SupplierLink.select().where(SupplierLink.buyer == other_admin.company_id).count() == 0


def test_cancel_during_pooled_check_stops_workers_and_writes_nothing(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path, small_chunks: None
) -> None:
    path = write_csv(tmp_path / "many.csv", [good(i) for i in range(20_000)])
    before = (Company.select().count(), SupplierLink.select().count(), AuditEvent.select().count())
    seen: list[bulk.Progress] = []

    def cancel(progress: bulk.Progress) -> None:
        seen.append(progress)
        if progress.rows >= 3_000 and workers():
            raise ImportCancelled("stop")

    with pytest.raises(ImportCancelled):
        import_file(ctx, other_admin, path, CL, progress=cancel)
    assert workers() == []
    assert seen[-1].phase == "validate" and seen[-1].rows < 20_000
    after = (Company.select().count(), SupplierLink.select().count(), AuditEvent.select().count())
    assert after == before


def test_a_killed_worker_does_not_lose_rows(
    ctx: ServiceContext, other_admin: Session, tmp_path: Path, small_chunks: None
) -> None:
    path = write_csv(tmp_path / "many.csv", mixed_rows() + [good(i) for i in range(3_000, 8_000)])
    killed: list[int] = []

    def kill_one(_p: bulk.Progress) -> None:
        alive = workers()
        if alive and not killed:
            killed.append(alive[0])
            os.kill(alive[0], signal.SIGKILL)

    with validate(ctx, other_admin, path, CL, progress=kill_one) as report:
        assert killed
        assert (report.rows, report.invalid) == (8_000, 12)
        assert [i.row for i in report.issues][-1] == 3_001
    assert workers() == []


# --------------------------------------------------------------------------- Ctrl+C in the CLI


def pool_workers_of(pid: int) -> list[int]:
    """The children of ``pid`` that are pool workers (``spawn_main`` in their command)."""
    found = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []  # the process is gone
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            try:
                if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.append(int(child))
            except OSError:
                continue
    return found


def workers() -> list[int]:
    return pool_workers_of(os.getpid())


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_ctrl_c_in_the_cli_during_a_pooled_check(db_url: str, tmp_path: Path) -> None:
    """Ctrl+C reaches the whole process group (workers included): one line on stderr, no
    process left, nothing written."""
    from gosocket_tui.config import Config
    from gosocket_tui.services import companies
    from gosocket_tui.services.context import open_context

    ctx = open_context(Config(db=db_url))
    companies.create_company(ctx, "CL", "76.086.428-5", "Comercial Andes SpA")
    ctx.close()
    path = write_csv(tmp_path / "big.csv", [good(i) for i in range(200_000)])
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TMPDIR": str(tmp_path),
        "GOSOCKET_CONFIG": str(tmp_path / "no-config.toml"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "LANG": "en_US.UTF-8",
    }
    env.pop("GOSOCKET_LANG", None)
    # The CLI's entry point, with three cores (two workers) whatever this machine has.
    program = (
        "import sys\n"
        "from gosocket_tui.services.bulk import pool\n"
        "pool.cores = lambda: 3\n"
        "from gosocket_tui.cli import main\n"
        "if __name__ == '__main__':\n"
        "    sys.argv[0] = 'gosocket-tui'\n"
        "    main()\n"
    )
    command = [sys.executable, "-c", program, "--db", db_url, "suppliers", "import"]
    command += [str(path), "--company", "CL:76.086.428-5"]
    child = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not pool_workers_of(child.pid):
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "no pool worker started"
            time.sleep(0.05)
        time.sleep(1.0)  # the workers are checking chunks now
        os.killpg(child.pid, signal.SIGINT)  # what the terminal does on Ctrl+C
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode != 0, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert not pool_workers_of(child.pid)
    gone_by = time.monotonic() + 5  # the resource tracker leaves once its parent is gone
    while group_alive(child.pid):
        assert time.monotonic() < gone_by, "a process of the import's group is left"
        time.sleep(0.05)
    ctx = open_context(Config(db=db_url))
    try:
        assert SupplierLink.select().count() == 0
        assert list(tmp_path.glob("gosocket-import-*")) == []
    finally:
        ctx.close()
