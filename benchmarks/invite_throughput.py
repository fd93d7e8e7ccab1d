"""Invite throughput: queue 1,000 invitations and deliver them to a local sink.

Each run builds a fresh SQLite database with one buyer and N suppliers (inserted in bulk, as
the suppliers themselves are not what is measured), queues one invitation per supplier through
``services.invitations.invite`` and sends them through the real ``Deliverer`` to a real
aiosmtpd ``MailSink`` on loopback. The sink runs in its own process by default, as a mail
server would (``--sink thread`` keeps it in this process, where it competes with the
deliverer for the GIL). Prints each run, the medians, and a last line

    RESULT invites=1000 seconds=… per_s=…

where ``seconds`` is the median of queue + deliver. Target: at most 5 s.

    python benchmarks/invite_throughput.py [--count 1000] [--repeat 3] [--sink process|thread]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from stdnum.cl import rut

from gosocket_tui.config import Config
from gosocket_tui.db.models import Company, SupplierLink
from gosocket_tui.mail.maildir import read_maildir
from gosocket_tui.mail.sink import MailSink, free_port
from gosocket_tui.mail.smtp import SmtpTransport
from gosocket_tui.services import auth, companies, invitations
from gosocket_tui.services.context import ServiceContext, open_context
from gosocket_tui.services.delivery import deliverer as delivery
from gosocket_tui.services.delivery import message as delivery_email
from gosocket_tui.services.delivery.deliverer import (
    deliver_over_connections,
    smtp_settings_from_config,
)

BUYER_REF = "CL:76.086.428-5"
PASSWORD = "benchmark password 2026"


def build(ctx: ServiceContext, count: int) -> list[int]:
    """One buyer, its admin, and ``count`` unregistered suppliers with an email each."""
    buyer = companies.create_company(ctx, "CL", "76.086.428-5", "Comercial Andes SpA")
    auth.create_user(ctx, BUYER_REF, "bench.admin", PASSWORD, is_admin=True)
    now = ctx.clock.now()
    with ctx.db.atomic():
        rows = []
        for i in range(count):
            body = str(10_000_000 + i * 7)
            rows.append(
                {
                    "country": "CL",
                    "tax_id": body + rut.calc_check_digit(body),
                    "name": f"Proveedor {i} SpA",
                    "created_at": now,
                }
            )
        Company.insert_many(rows).execute()
        ids = {c.tax_id: c.id for c in Company.select().where(Company.id != buyer.id)}
        links = [
            {
                "buyer": buyer.id,
                "supplier": ids[row["tax_id"]],
                "country": "CL",
                "tax_id": row["tax_id"],
                "name": row["name"],
                "email": f"contacto{i}@example.com",
                "status": "not_invited",
                "added_at": now,
                "updated_at": now,
            }
            for i, row in enumerate(rows)
        ]
        for start in range(0, len(links), 500):
            SupplierLink.insert_many(links[start : start + 500]).execute()
    return [link.id for link in SupplierLink.select(SupplierLink.id).order_by(SupplierLink.id)]


def _serve(port: int, maildir: str, ready: object, stop: object) -> None:
    """The child process of ``--sink process``: a MailSink until told to stop."""
    with MailSink(port=port, maildir=Path(maildir)):
        ready.set()  # type: ignore[attr-defined]
        stop.wait()  # type: ignore[attr-defined]


@contextlib.contextmanager
def sink_at(maildir: Path, mode: str) -> Iterator[int]:
    """A running MailSink (in a child process or a thread of this one); yields its port."""
    if mode == "thread":
        with MailSink(maildir=maildir) as sink:
            yield sink.port
        return
    spawn = multiprocessing.get_context("spawn")
    ready, stop = spawn.Event(), spawn.Event()
    port = free_port()
    child = spawn.Process(target=_serve, args=(port, str(maildir), ready, stop), daemon=True)
    child.start()
    try:
        if not ready.wait(30):
            raise RuntimeError("the mail sink did not start")
        yield port
    finally:
        stop.set()
        child.join(10)


def wait_for_mail(maildir: Path, count: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while True:
        received = len(read_maildir(maildir))
        if received >= count or time.monotonic() > deadline:
            return received
        time.sleep(0.05)


class Stopwatch:
    """Time spent inside a few functions, to say where a delivery's milliseconds go."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, owner: object, name: str, label: str) -> None:
        original = getattr(owner, name)

        def timed(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started

        setattr(owner, name, timed)


STOPWATCH = Stopwatch()
STOPWATCH.wrap(delivery_email, "compose_invitation", "compose")
STOPWATCH.wrap(SmtpTransport, "send_raw", "smtp")
STOPWATCH.wrap(delivery, "record_sent", "db")


def run_once(count: int, mode: str, connections: int) -> tuple[float, float, int]:
    """Seconds to queue, seconds to deliver, messages the sink received."""
    with tempfile.TemporaryDirectory(prefix="gosocket-bench-") as tmp:
        folder = Path(tmp)
        with sink_at(folder / "maildir", mode) as port:
            config = Config(
                db=f"sqlite:///{folder / 'bench.db'}",
                smtp_host="127.0.0.1",
                smtp_port=port,
                smtp_security="none",
            )
            ctx = open_context(config)
            try:
                link_ids = build(ctx, count)
                session = auth.authenticate(ctx, "bench.admin", PASSWORD)
                started = time.perf_counter()
                result = invitations.invite(ctx, session, link_ids)
                queued = time.perf_counter() - started
                assert len(result.queued) == count, result.skipped[:3]
                settings = smtp_settings_from_config(config)
                started = time.perf_counter()
                report = deliver_over_connections(ctx, settings, "bench", connections)
                delivered = time.perf_counter() - started
                assert report.sent == count, report
                received = wait_for_mail(folder / "maildir", count)
            finally:
                ctx.close()
    return queued, delivered, received


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sink", choices=["process", "thread"], default="process")
    parser.add_argument(
        "--connections", type=int, default=2, help="SMTP connections used at once (mail deliver)"
    )
    args = parser.parse_args(argv)
    totals, queues, deliveries = [], [], []
    for run in range(1, args.repeat + 1):
        STOPWATCH.seconds.clear()
        queued, delivered, received = run_once(args.count, args.sink, args.connections)
        total = queued + delivered
        parts = ", ".join(
            f"{label} {seconds / args.count * 1000:.2f}"
            for label, seconds in STOPWATCH.seconds.items()
        )
        print(
            f"run {run}: queue {queued:.2f} s, deliver {delivered:.2f} s ({parts} ms/message), "
            f"total {total:.2f} s, received {received}"
        )
        if received != args.count:
            print(f"the sink received {received} of {args.count} messages", file=sys.stderr)
            return 1
        queues.append(queued)
        deliveries.append(delivered)
        totals.append(total)
    seconds = statistics.median(totals)
    print(
        f"median: queue {statistics.median(queues):.2f} s, "
        f"deliver {statistics.median(deliveries):.2f} s"
    )
    print(f"RESULT invites={args.count} seconds={seconds:.2f} per_s={args.count / seconds:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
