"""Scripting over SSH: ``ssh ana@host suppliers …`` runs that command as ana, with her rights.

Real asyncssh client and server on loopback; each command runs in its own child process.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import stat
from pathlib import Path

import asyncssh
import pytest
from stdnum.cl import rut

from gosocket_tui.db.models import AuditEvent, Company
from gosocket_tui.services import suppliers
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from tests.conftest import OTHER_BUYER_REF
from tests.ssh.conftest import READ_SECONDS, Served, alive

pytestmark = pytest.mark.slow

BUYER_REF = "CL:76.086.428-5"
HEADER = "Tax ID*,Name*,Email*,Notify*,Country\r\n"


async def _run(
    served: Served,
    command: str,
    username: str = "ana",
    key: asyncssh.SSHKey | None = None,
    stdin: str | None = None,
) -> asyncssh.SSHCompletedProcess:
    async with await served.connect(username, key) as conn:
        return await conn.run(command, check=False, input=stdin, timeout=READ_SECONDS)


def _add(ctx: ServiceContext, session: Session, country: str, tax_id: str, name: str) -> None:
    data = suppliers.SupplierInput(
        country=country, tax_id=tax_id, name=name, email=f"{tax_id[:4]}@prov.example"
    )
    suppliers.add_supplier(ctx, session, data)


async def test_suppliers_list_as_json_shows_her_companys_rows(
    served: Served, ctx: ServiceContext, admin: Session, other_admin: Session
) -> None:
    _add(ctx, admin, "CL", "78.555.111-7", "Proveedor de Ana Ltda")
    _add(ctx, other_admin, "CL", "96.790.240-3", "Proveedor de Lucía SAC")
    result = await _run(served, "suppliers list --format json")
    assert result.exit_status == 0, result.stderr
    rows = json.loads(str(result.stdout))
    assert [row["name"] for row in rows] == ["Proveedor de Ana Ltda"]
    named = await _run(served, f"suppliers list --format json --company {BUYER_REF}")
    assert named.exit_status == 0
    assert json.loads(str(named.stdout)) == rows
    assert served.lines("ssh exec user='ana'")
    event = AuditEvent.get(AuditEvent.action == "ssh.exec")
    assert event.detail == "suppliers list"  # the command, never its arguments


@pytest.mark.parametrize(
    "company",
    [OTHER_BUYER_REF, "CL:96.790.240-3", "nonsense", "", "\x1b]0;pwned\x07", "\u202eCL:1"],
)
async def test_another_company_is_refused_in_one_line(served: Served, company: str) -> None:
    result = await _run(served, f"suppliers list --company {shlex.quote(company)}")
    assert result.exit_status == 1
    assert str(result.stdout) == ""
    lines = str(result.stderr).splitlines()
    assert len(lines) == 1
    assert "your own company" in lines[0]
    event = AuditEvent.get(AuditEvent.action == "company.access")
    assert (event.actor_name, event.outcome) == ("ana", "refused")
    assert "\x1b" not in event.target and "\u202e" not in event.target


async def test_a_non_administrator_gets_the_refusals_of_the_app(
    served: Served, ctx: ServiceContext, admin: Session
) -> None:
    _add(ctx, admin, "CL", "78.555.111-7", "Proveedor de Ana Ltda")
    listed = await _run(served, "suppliers list --format json", "carlos", served.carlos_key)
    assert listed.exit_status == 0
    assert len(json.loads(str(listed.stdout))) == 1
    invited = await _run(served, "suppliers invite 78.555.111-7", "carlos", served.carlos_key)
    assert invited.exit_status == 1
    assert str(invited.stderr).splitlines() == ["Error: Only administrators can manage suppliers."]
    refused = AuditEvent.select().where(
        (AuditEvent.actor_name == "carlos") & (AuditEvent.outcome == "refused")
    )
    assert refused.exists()


async def test_stats_over_ssh_counts_her_companys_suppliers_only(
    served: Served, ctx: ServiceContext, admin: Session, other_admin: Session
) -> None:
    """A read-only supplier command: any user of the company runs it, for her company."""
    _add(ctx, admin, "CL", "78.555.111-7", "Proveedor de Ana Ltda")
    _add(ctx, other_admin, "CL", "96.790.240-3", "Proveedor de Lucía SAC")
    _add(ctx, other_admin, "CL", "79.111.222-2", "Otro de Lucía SAC")
    result = await _run(served, "suppliers stats --format json", "carlos", served.carlos_key)
    assert result.exit_status == 0, result.stderr
    figures = json.loads(str(result.stdout))
    assert figures["total"] == 1
    assert figures["funnel"]["not_invited"]["count"] == 1


async def test_a_non_administrator_gets_no_template_as_in_the_app(served: Served) -> None:
    """The app offers the bulk screen (and its template) to administrators only."""
    result = await _run(served, "suppliers template t.csv", "carlos", served.carlos_key)
    assert result.exit_status == 1
    assert str(result.stderr).splitlines() == ["Error: Only administrators can manage suppliers."]
    folder = Path(str(served.endpoint.ctx.config.exchange_dir))
    assert not list(folder.glob("company-*/t.csv"))


@pytest.mark.parametrize(
    "command",
    [
        "company add --country CL --tax-id 96.790.240-3 --name X",
        "user add --company CL:76.086.428-5 --username eve --password-stdin",
        "db upgrade",
        "serve",
        "/bin/sh",
        "sh -c id",
        "--db sqlite:////tmp/other.db suppliers list",
        "--help",
        "suppliers list; id",
        "mail deliver",
    ],
)
async def test_a_command_outside_the_allowlist_is_refused(served: Served, command: str) -> None:
    result = await _run(served, command)
    assert result.exit_status == 1
    assert len(str(result.stderr).splitlines()) == 1
    assert "over SSH" in str(result.stderr)
    assert served.lines("ssh refused exec user='ana'")
    assert not served.lines("ssh session start")  # no process was started


@pytest.mark.parametrize(
    "command",
    ["suppliers list --name 'unclosed", pytest.param("x" * 5000, id="huge"), "   "],
)
async def test_a_command_that_cannot_be_read_is_bad_usage(served: Served, command: str) -> None:
    result = await _run(served, command)
    assert result.exit_status == 2
    assert len(str(result.stderr).splitlines()) == 1


async def test_usage_errors_keep_their_exit_status(served: Served) -> None:
    result = await _run(served, "suppliers list --format yaml")
    assert result.exit_status == 2
    assert len(str(result.stderr).splitlines()) == 1


async def test_send_is_refused_over_ssh(
    served: Served, ctx: ServiceContext, admin: Session
) -> None:
    """``--send`` would deliver every company's queued mail: the server's delivery does."""
    _add(ctx, admin, "CL", "78.555.111-7", "Proveedor de Ana Ltda")
    result = await _run(served, "suppliers invite --send 78.555.111-7")
    assert result.exit_status == 2
    assert "--send is not available over SSH" in str(result.stderr)
    assert not AuditEvent.select().where(AuditEvent.action == "invitation.invite").exists()


async def test_a_file_on_standard_input_is_imported(served: Served) -> None:
    data = HEADER + "78.555.111-7,Proveedor Remoto Ltda,remoto@prov.example,0,CL\r\n"
    result = await _run(served, "suppliers import -", stdin=data)
    assert result.exit_status == 0, result.stderr
    listed = await _run(served, "suppliers list --format json")
    assert [row["name"] for row in json.loads(str(listed.stdout))] == ["Proveedor Remoto Ltda"]


async def test_a_large_output_reaches_a_slow_client_whole(served: Served) -> None:
    """The server stops reading the command while the client is behind, and loses nothing."""
    numbers = range(20_000_000, 20_003_000)  # about 300 kB of CSV: more than the buffers
    rows = "".join(
        f"{n}-{rut.calc_check_digit(str(n))},Proveedor {n} Ltda,p{n}@prov.example,0,CL\r\n"
        for n in numbers
    )
    imported = await _run(served, "suppliers import -", stdin=HEADER + rows)
    assert imported.exit_status == 0, imported.stderr
    async with await served.connect() as conn:
        process = await conn.create_process(
            "suppliers list --format csv", encoding=None, window=4096, max_pktsize=1024
        )
        await asyncio.sleep(1.0)  # a client that falls behind: the server stops reading
        pid = int(served.lines("ssh session start")[-1].rsplit("pid=", 1)[1])
        assert alive(pid)  # the command waits on its full pipe instead of filling memory
        received = b""
        while chunk := await asyncio.wait_for(process.stdout.read(8192), READ_SECONDS):
            received += chunk
        status = await asyncio.wait_for(process.wait(), READ_SECONDS)
    assert status.exit_status == 0
    lines = received.decode().splitlines()
    assert len(lines) == 1 + len(numbers)
    assert lines[-1].startswith("CL,20002999")


async def test_files_come_from_and_go_to_the_exchange_folder(served: Served) -> None:
    folder = served.endpoint.ctx.config.exchange_dir
    assert folder
    written = await _run(served, "suppliers template plantilla.csv")
    assert written.exit_status == 0, written.stderr
    company_id = Company.get(Company.tax_id == "760864285").id
    company = Path(folder) / f"company-{company_id}"
    path = company / "outbox" / "plantilla.csv"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()
    again_written = await _run(served, "suppliers template plantilla.csv --force")
    assert again_written.exit_status == 0  # never replaced over SSH: a free name instead
    assert path.read_bytes() == before
    assert (company / "outbox" / "plantilla-2.csv").exists()
    outside = await _run(served, "suppliers template /tmp/escape.csv")
    assert outside.exit_status == 1
    assert len(str(outside.stderr).splitlines()) == 1
    missing = await _run(served, "suppliers import ../../etc/passwd --dry-run")
    assert missing.exit_status == 1
    not_brought_in = await _run(served, "suppliers import plantilla.csv --dry-run")
    assert not_brought_in.exit_status == 1  # files are read from inbox/ only
    (company / "inbox" / "plantilla.csv").write_bytes(before)
    again = await _run(served, "suppliers import plantilla.csv --dry-run")
    assert "plantilla.csv" in str(again.stdout)


async def test_killing_the_client_ends_the_command_within_2_seconds(served: Served) -> None:
    conn = await served.connect()
    process = await conn.create_process("suppliers import -", encoding=None)  # waits on stdin
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READ_SECONDS
    while not served.lines("ssh session start") and loop.time() < deadline:
        await asyncio.sleep(0.05)
    (line,) = served.lines("ssh session start")
    pid = int(line.rsplit("pid=", 1)[1])
    assert alive(pid)
    process.stdin.write(HEADER.encode())
    conn.abort()  # the client is gone without a word, as when it is killed
    deadline = loop.time() + 2.0
    while alive(pid) and loop.time() < deadline:
        await asyncio.sleep(0.05)
    assert not alive(pid)


async def test_a_command_on_a_pty_runs_too(served: Served) -> None:
    async with await served.connect() as conn:
        result = await conn.run(
            "suppliers list --format json", term_type="xterm", check=False, timeout=READ_SECONDS
        )
    assert result.exit_status == 0
    assert json.loads(str(result.stdout)) == []
