"""The Suppliers tab at a million suppliers, measured through the real app.

Builds (or reuses) a database with one buyer holding N suppliers (``_scale_data.build``),
starts the app with the one factory (``make_app``), logs in by typing on the login screen and
drives the Network → Suppliers tab with ``Pilot``, headless, at 80x24 (``--size``). Each figure
is the median of ``--runs`` repetitions (at least 5):

* ``open_ms``: from the login screen, ``start_session`` (what a successful login calls: the
  shell is built with Network → Suppliers showing) to the first rows painted;
* ``filter_ms``: a full Tax ID of an existing supplier typed into the filter, then Enter, to the
  matching row painted (the value is placed in the field first, so the as-you-type pause is not
  counted; Enter cancels it and searches at once);
* ``name_nomatch_ms``: a name that matches nothing, Enter, to the empty result painted;
* ``last_row_ms``: End on the table (from the first page) to the very last supplier painted;
* ``overview_ms``: F1 (from Network) to the Overview painted with its figures (funnel, time to
  activation, the weekly chart and the oldest pending invitations: ``services.overview``'s
  aggregates in a worker); the first run also mounts the view;
* the event loop's own CPU time during ``open_ms`` (``time.thread_time`` of the loop's
  thread; printed beside the figures, not in the RESULT line): on a shared machine the wall
  figures also wait for a core, this one much less;
* ``rss_mib``: peak resident memory of the process (``ru_maxrss``); the database is built in a
  child process, so this is the app's own peak.

"Painted" is the moment the screen update that carries the rows is handed to the terminal:
after new rows were applied, the next time Textual asks the table for its lines
(``render_lines``, while composing a screen update) it increments ``PagedTable.rows_painted``;
the figure ends when that update has been turned into the bytes a terminal would receive
(:class:`PaintProbe` stamps ``App._display``; the headless driver writes nothing, so the probe
encodes the update itself, as a real driver would). Stamping there, not when a polling loop
next sees the counter, counts the whole screen update (the rest of the screen is composed in
the same pass) and nothing that ran after it. A figure includes the query in its worker thread,
the message back to the event loop, and the wait for the next screen refresh (Textual
refreshes at most 60 times a second: up to ~16 ms of that is waiting for the next frame, as a
user would). Keys are delivered the way the terminal driver delivers them
(``driver.send_message``), not with ``Pilot.press``, which after each key posts a callback to
every widget of the screen and waits for them all, adding work of its own to what is measured.
A Tax ID search (full ID, 1 row) and a name that matches nothing also start the count in a
second worker once the rows are in; the next run waits for that count first.

The machine is shared: figures move with its load (``uptime`` is printed at the end).

Usage::

    python benchmarks/suppliers_scale.py                    # builds 1M rows in a temp dir
    python benchmarks/suppliers_scale.py --reuse /tmp/big.db
    python benchmarks/suppliers_scale.py --rows 20000       # a quick try
    python benchmarks/suppliers_scale.py --db postgresql://user@host/db   # built on SQLite,
                                                             # then copied with db.copy
    python benchmarks/suppliers_scale.py --reuse postgresql://user@host/db   # already built

Ends with one line:
``RESULT open_ms=… filter_ms=… name_nomatch_ms=… last_row_ms=… overview_ms=… rss_mib=…``.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import functools
import inspect
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual import events
from textual.widgets import ContentSwitcher
from textual.worker import WorkerCancelled

from benchmarks import _scale_data
from gosocket_tui.config import Config
from gosocket_tui.services import suppliers
from gosocket_tui.services.context import ServiceContext, open_context
from gosocket_tui.services.session import Session
from gosocket_tui.tui.app import GosocketApp, make_app
from gosocket_tui.tui.presets import Preset
from gosocket_tui.tui.views.network import SuppliersPanel
from gosocket_tui.tui.views.overview import OverviewView
from gosocket_tui.tui.widgets.supplier_table import SupplierTable

TIMEOUT = 30.0
STEADY = Preset(animations=False, cursor_blink=False)  # as people run it, without blinking


def _in_child(function: Callable[..., Any], *args: Any) -> Any:
    """Run ``function`` in a fresh process, so its memory does not count in the app's peak."""
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(function, *args).result()


def prepare_database(args: argparse.Namespace, workdir: Path) -> str:
    """The URL of a database holding the scale data (built unless reused), built in a child
    process."""
    if args.reuse and args.reuse.startswith(("postgresql://", "postgres://")):
        return str(args.reuse)
    if args.reuse:
        path = Path(args.reuse)
        if not path.exists():
            raise SystemExit(f"--reuse: {path} does not exist")
        return f"sqlite:///{path}"
    target = args.db or f"sqlite:///{workdir / 'suppliers_scale.db'}"
    if target.startswith("sqlite:///"):
        seconds = _in_child(_scale_data.build, target, args.rows)
        print(f"built {args.rows:,} suppliers in {seconds:.1f} s", flush=True)
        return target
    # _scale_data writes SQLite files only: build there, then move it with db.copy.
    from gosocket_tui.db.copy import copy_database

    source = f"sqlite:///{workdir / 'suppliers_scale_source.db'}"
    seconds = _in_child(_scale_data.build, source, args.rows)
    print(f"built {args.rows:,} suppliers in {seconds:.1f} s (SQLite)", flush=True)
    started = time.perf_counter()
    _in_child(functools.partial(copy_database, replace=True), source, target)
    print(f"copied to {target.split('@')[-1]} in {time.perf_counter() - started:.1f} s")
    return target


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.perf_counter() + TIMEOUT
    while not condition():
        if time.perf_counter() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.001)


class PaintProbe:
    """Stamps the first screen update, after :meth:`arm`, that carries what is awaited.

    Wraps ``App._display`` (where Textual hands each composed screen update to its driver):
    once ``condition()`` holds after an update (the table's ``render_lines`` ran for the new
    rows while that update was composed), the time at the end of the update is the paint.
    """

    def __init__(self, app: GosocketApp) -> None:
        self.app = app
        self.condition: Callable[[], bool] | None = None
        self.stamp: float | None = None
        self.cpu_started = 0.0
        self.cpu: list[float] = []  # the event loop's own CPU seconds per stamped wait
        display = app._display

        def probed(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is None or self.condition is None or app._batch_count:
                return  # nothing was handed to the driver
            if app.is_headless and hasattr(renderable, "render_segments"):
                renderable.render_segments(app.console)  # the bytes a terminal would get
            now = time.perf_counter()
            if self.condition():
                self.stamp, self.condition = now, None
                self.cpu.append(time.thread_time() - self.cpu_started)

        app._display = probed  # type: ignore[method-assign]

    def arm(self, condition: Callable[[], bool]) -> None:
        self.stamp, self.condition = None, condition
        self.cpu_started = time.thread_time()

    async def painted(self, what: str) -> float:
        """Wait for the stamped update; its time."""
        await wait_until(lambda: self.stamp is not None, what)
        assert self.stamp is not None
        return self.stamp


def rows_shown(table: SupplierTable, before: int) -> Callable[[], bool]:
    """The table painted rows applied after its ``before``-th paint, and waits for no page."""
    return lambda: table.rows_painted > before and not table.fetching


async def painted_after(table: SupplierTable, before: int, what: str) -> None:
    await wait_until(rows_shown(table, before), what)


def send_key(app: GosocketApp, key: str) -> None:
    """Deliver a key the way the terminal driver does, without Pilot's waiting afterwards.

    ``Pilot.press`` waits for every widget of the screen to drain its queue (it posts a
    callback to each), which adds its own work to what is measured; a real key arrives from
    the driver and nothing waits for it.
    """
    event = events.Key(key, "\r" if key == "enter" else None)
    event.set_sender(app)
    assert app._driver is not None
    app._driver.send_message(event)


async def idle(pilot: Any) -> None:
    """Nothing left to do: workers finished (or cancelled, as closing a shell cancels its
    count), messages handled, screen refreshed."""
    for _ in range(10):
        try:
            await pilot.app.workers.wait_for_complete()
            break
        except WorkerCancelled:
            continue
    for _ in range(3):
        await pilot.pause(0.02)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def log_in(app: GosocketApp, pilot: Any) -> Session:
    """Type the scale admin's username and password on the login screen, as a user does."""
    from gosocket_tui.tui.screens.shell import ShellScreen

    await pilot.pause()
    await pilot.press(*_scale_data.ADMIN, "enter", *_scale_data.PASSWORD, "enter")
    await wait_until(lambda: isinstance(app.screen, ShellScreen), "the login")
    assert app.session is not None
    return app.session


async def measure_open(
    app: GosocketApp, pilot: Any, probe: PaintProbe, session: Session, runs: int
) -> list[float]:
    """A fresh shell (what a login builds) until the Suppliers table painted its first rows."""

    def table() -> SupplierTable:
        return app.screen.query_one(SupplierTable)

    def opened(previous: Any) -> Callable[[], bool]:
        def condition() -> bool:
            if app.screen is previous:
                return False
            found = list(app.screen.query(SupplierTable))
            return bool(found) and rows_shown(found[0], 0)()

        return condition

    await wait_until(lambda: bool(app.screen.query(SupplierTable)), "the Network view")
    await painted_after(table(), 0, "the first rows")
    await idle(pilot)
    samples = []
    for _run in range(runs):
        # Start from the login screen, as a user does: the previous shell is closed first
        # (its teardown is not part of opening the next one).
        app.show_login()
        await wait_until(lambda: not app.screen.query(SupplierTable), "the login screen")
        await idle(pilot)
        probe.arm(opened(app.screen))
        started = time.perf_counter()
        starting = app.start_session(session)
        if inspect.isawaitable(starting):
            await starting
        samples.append(await probe.painted("the first rows") - started)
        # Let the whole shell finish mounting (other views load too) before the next run.
        await idle(pilot)
    return samples


async def open_with_few(url: str, runs: int, size: tuple[int, int]) -> float:
    """The same opening on a database whose buyer has only ten suppliers (for comparison)."""
    ctx = open_context(Config(db=url))
    try:
        app = make_app(ctx, preset=STEADY)
        probe = PaintProbe(app)
        async with app.run_test(size=size) as pilot:
            session = await log_in(app, pilot)
            ctx.close()
            samples = await measure_open(app, pilot, probe, session, runs)
            await app.workers.wait_for_complete()
    finally:
        ctx.close()
    return median_ms(samples)


async def drive(ctx: ServiceContext, runs: int, size: tuple[int, int]) -> dict[str, float]:
    app: GosocketApp = make_app(ctx, preset=STEADY)
    probe = PaintProbe(app)
    results: dict[str, list[float]] = {
        "open": [],
        "filter": [],
        "nomatch": [],
        "last": [],
        "overview": [],
    }
    results["open_cpu"] = []
    async with app.run_test(size=size) as pilot:
        admin = await log_in(app, pilot)
        total = suppliers.count_suppliers(ctx, admin)
        last_page = suppliers.list_suppliers(ctx, admin, direction="backward", limit=1)
        last_row = last_page.rows[-1]
        step = max(1, total // (runs + 1))
        # Real Tax IDs of the data set, spread over it.
        samples = [
            suppliers.list_suppliers(
                ctx, admin, suppliers.SupplierFilter(tax_id=_tax_id_near(i * step)), limit=1
            ).rows[0]
            for i in range(1, runs + 1)
        ]
        first_id = suppliers.list_suppliers(ctx, admin, limit=1).rows[0].id
        ctx.close()  # the event loop's connection: the app reads in its workers only

        def panel() -> SuppliersPanel:
            return app.screen.query_one(SuppliersPanel)

        def table() -> SupplierTable:
            return app.screen.query_one(SupplierTable)

        results["open"] = await measure_open(app, pilot, probe, admin, runs)
        results["open_cpu"] = probe.cpu[-runs:]
        assert table().rows and table().rows[0].id == first_id
        await _settle_count(table())

        # End: from the first page to the very last row painted.
        for _run in range(runs):
            table().focus()
            await pilot.press("home")
            await wait_until(lambda: not table().fetching and not table().has_before, "Home")
            await idle(pilot)
            probe.arm(rows_shown(table(), table().rows_painted))
            started = time.perf_counter()
            send_key(app, "end")
            results["last"].append(await probe.painted("End") - started)
            row = table().cursor_row
            assert row is not None and row.id == last_row.id, "End did not reach the last row"
            await pilot.pause()

        # Tax ID search: the value is in the field, Enter searches.
        tax_input = panel().query_one("#supplier-tax-id")
        for sample in samples:
            tax_input.focus()
            await idle(pilot)  # the footer follows the focus: let it settle first
            tax_input.value = sample.tax_id_formatted  # type: ignore[attr-defined]
            await pilot.pause()  # well under the 300 ms as-you-type pause
            probe.arm(rows_shown(table(), table().rows_painted))
            started = time.perf_counter()
            send_key(app, "enter")
            results["filter"].append(await probe.painted("the Tax ID search") - started)
            row = table().cursor_row
            assert row is not None and row.id == sample.id, "the search did not find the row"
            await _settle_count(table())

        # A name that matches nothing.
        tax_input.value = ""  # type: ignore[attr-defined]
        name_input = panel().query_one("#supplier-name")
        for run in range(runs):
            name_input.focus()
            await idle(pilot)
            name_input.value = f"zzqx nothing {run}"  # type: ignore[attr-defined]
            await pilot.pause()
            probe.arm(rows_shown(table(), table().rows_painted))
            started = time.perf_counter()
            send_key(app, "enter")
            results["nomatch"].append(await probe.painted("the name search") - started)
            assert not table().rows and panel().is_empty
            await _settle_count(table())

        # The Overview: F1 from Network until its figures are painted.
        for _run in range(runs):
            send_key(app, "f2")
            await wait_until(lambda: _current_view(app) == "network", "F2")
            await idle(pilot)
            for view in app.screen.query(OverviewView):
                view.figures = None
            probe.arm(lambda: any(v.figures for v in app.screen.query(OverviewView)))
            started = time.perf_counter()
            send_key(app, "f1")
            results["overview"].append(await probe.painted("the Overview") - started)
            await idle(pilot)
        await app.workers.wait_for_complete()
    for key, values in results.items():
        print(f"  {key}: " + ", ".join(f"{v * 1000:.0f}" for v in values) + " ms", flush=True)
    return {key: median_ms(values) for key, values in results.items()}


def _current_view(app: GosocketApp) -> str | None:
    return app.screen.query_one("#content", ContentSwitcher).current


def _tax_id_near(index: int) -> str:
    """A prefix of the Tax ID of the index-th generated supplier (bodies step by 7)."""
    return str(10_000_000 + index * 7)


async def _settle_count(table: SupplierTable) -> None:
    """Let the count worker finish, so it does not run into the next measurement."""
    await wait_until(lambda: table.total is not None, "the count")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="suppliers to build")
    parser.add_argument(
        "--reuse",
        help="an existing scale database to use: a SQLite file or a PostgreSQL URL",
    )
    parser.add_argument("--db", help="database URL to build into (sqlite:/// or postgresql://)")
    parser.add_argument("--runs", type=int, default=7, help="repetitions per figure (>= 5)")
    parser.add_argument("--size", default="80x24", help="terminal size, e.g. 120x40")
    args = parser.parse_args(argv)
    runs = max(5, args.runs)
    width, height = (int(n) for n in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory(prefix="gosocket-scale-") as tmp:
        url = prepare_database(args, Path(tmp))
        ctx = open_context(Config(db=url))
        try:
            figures = asyncio.run(drive(ctx, runs, (width, height)))
        finally:
            ctx.close()
        few_url = f"sqlite:///{Path(tmp) / 'ten_suppliers.db'}"
        _in_child(_scale_data.build, few_url, 10)
        few_open = asyncio.run(open_with_few(few_url, runs, (width, height)))
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"open with 10 suppliers instead: {few_open:.1f} ms (the shell's views are built and "
        "painted either way; the rows themselves are one keyset page)"
    )
    print(
        f"{runs} runs at {width}x{height}: open {figures['open']:.1f} ms, "
        f"Tax ID search {figures['filter']:.1f} ms, name without match "
        f"{figures['nomatch']:.1f} ms, End {figures['last']:.1f} ms, "
        f"Overview {figures['overview']:.1f} ms, peak RSS {rss_mib:.0f} MiB"
    )
    print(
        f"open, the event loop's own CPU: {figures['open_cpu']:.1f} ms (what the load of a "
        "shared machine changes least: the wall figures above wait for the CPU too)"
    )
    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(
        f"RESULT open_ms={figures['open']:.1f} filter_ms={figures['filter']:.1f} "
        f"name_nomatch_ms={figures['nomatch']:.1f} last_row_ms={figures['last']:.1f} "
        f"overview_ms={figures['overview']:.1f} rss_mib={rss_mib:.0f}"
    )


if __name__ == "__main__":
    main()
