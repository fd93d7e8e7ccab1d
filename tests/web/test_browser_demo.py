"""``gosocket-tui demo --web`` in a real browser: headless Chromium logs in and sees Suppliers.

The server runs as the README says (on a free loopback port); Chromium (Debian's ``chromium``,
which ``.ci/run`` installs; the test is skipped where it is absent) opens the page, types the
demo administrator's login into the terminal, and the Suppliers tab arrives. The page draws the
terminal on a canvas, so what the app sent is read from the page's websocket (a wrapper
installed before the page's own script). The browser's picture is kept as an artifact.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from gosocket_tui.services.demo import DEMO_PASSWORD
from tests.web.cdp import Browser, chromium_path

pytestmark = pytest.mark.slow
WAIT_SECONDS = 60.0
ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
# Keeps every text the app sends to the page, before the page's own script opens its socket.
RECORD_SOCKET = """
(() => {
  const Native = window.WebSocket;
  const decoder = new TextDecoder();
  window.__received = [];
  const keep = (data) => {
    if (typeof data === "string") { window.__received.push(data); }
    else if (data instanceof ArrayBuffer) {
      window.__received.push(decoder.decode(data, {stream: true}));
    } else if (data instanceof Blob) { data.text().then((t) => window.__received.push(t)); }
  };
  function Recorded(url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    socket.addEventListener("message", (event) => keep(event.data));
    return socket;
  }
  Recorded.prototype = Native.prototype;
  Object.assign(Recorded, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  window.WebSocket = Recorded;
})();
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def web_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``gosocket-tui demo --web --listen 127.0.0.1:PORT``, its own process (stopped by its
    id), and the temporary folder it keeps its tabs' folders in."""
    tmp_path = tmp_path_factory.mktemp("web")
    port = free_port()
    env = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "home" / "data"),
        "GOSOCKET_CONFIG": str(tmp_path / "none.toml"),
        "TMPDIR": str(tmp_path),
        "LANG": "en_US.UTF-8",
    }
    env.pop("GOSOCKET_DB", None)
    log = (tmp_path / "server.log").open("wb")  # a file: a full pipe would stop the server
    process = subprocess.Popen(
        [sys.executable, "-m", "gosocket_tui", "demo", "--web", "--listen", f"127.0.0.1:{port}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}/", tmp_path
        assert process.poll() is None  # still serving
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
    assert not list(tmp_path.glob("gosocket-web-*")), "the server left its folder behind"


async def wait_until_serving(url: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("demo --web did not start")
            await asyncio.sleep(0.1)


async def screen_text(browser: Browser) -> str:
    received = await browser.evaluate("(window.__received || []).join('')")
    return ANSI.sub("", str(received or ""))


async def wait_for_text(browser: Browser, *fragments: str) -> str:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        text = await screen_text(browser)
        if all(fragment in text for fragment in fragments):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"not on the page: {fragments}; last: {text[-400:]!r}")
        await asyncio.sleep(0.2)


@pytest.mark.skipif(
    chromium_path() is None and not os.environ.get("CI"),  # CI installs it: never skipped there
    reason="Chromium is not installed",
)
async def test_the_browser_demo_logs_in_and_shows_suppliers(
    web_demo: tuple[str, Path], tmp_path: Path
) -> None:
    url, folder = web_demo
    await wait_until_serving(url)
    executable = chromium_path()
    assert executable is not None
    browser = Browser(executable, tmp_path / "profile")
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    picture = artifacts / "browser-demo-suppliers.png"
    try:
        await browser.connect()
        await browser.send("Page.enable")
        await browser.send("Page.addScriptToEvaluateOnNewDocument", source=RECORD_SOCKET)
        await browser.send("Page.navigate", url=url)
        await wait_for_text(browser, "ana.admin", "Password")  # the demo's login screen
        await browser.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
        await browser.type_text("ana.admin")
        await browser.press_enter()
        await browser.type_text(DEMO_PASSWORD)
        await browser.press_enter()
        await wait_for_text(browser, "Suppliers", "Showing", "administrator")
        # F12: the picture goes to the browser (a download), not to a folder of the server.
        await browser.press_key("F12", 123)
        await wait_for_text(browser, "deliver_file_start")
    finally:
        try:
            await browser.screenshot(picture)  # the artifact, also of a failure
        finally:
            await browser.close()
    assert picture.stat().st_size > 1000
    assert not list(folder.rglob("*.svg"))


def tab_folders(folder: Path) -> list[Path]:
    return sorted(folder.glob("gosocket-web-*/tab-*"))


async def test_each_tab_has_its_own_demo_and_leaves_nothing(web_demo: tuple[str, Path]) -> None:
    url, folder = web_demo
    await wait_until_serving(url)
    before = set(tab_folders(folder))
    async with aiohttp.ClientSession() as session:
        first = await session.ws_connect(url + "ws?width=80&height=24")
        second = await session.ws_connect(url + "ws?width=80&height=24")
        deadline = time.monotonic() + WAIT_SECONDS
        while len(set(tab_folders(folder)) - before) < 2 or not all(
            (tab / "demo.db").exists() for tab in set(tab_folders(folder)) - before
        ):
            assert time.monotonic() < deadline, "the tabs did not start"
            await asyncio.sleep(0.1)
        tabs = sorted(set(tab_folders(folder)) - before)
        assert (tabs[0] / "demo.db").stat().st_ino != (tabs[1] / "demo.db").stat().st_ino
        for tab in tabs:
            assert (tab.stat().st_mode & 0o777) == 0o700
        await first.close()
        await second.close()
    deadline = time.monotonic() + WAIT_SECONDS
    while any(tab.exists() for tab in tabs):
        assert time.monotonic() < deadline, "a closed tab left its folder"
        await asyncio.sleep(0.1)


async def test_a_websocket_opened_by_another_site_is_refused(web_demo: tuple[str, Path]) -> None:
    url, folder = web_demo
    await wait_until_serving(url)
    before = tab_folders(folder)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(url + "ws", headers={"Origin": "http://evil.example"})
    assert refused.value.status == 403
    assert tab_folders(folder) == before  # no demo was started for it


async def test_a_page_reached_by_another_name_is_refused(web_demo: tuple[str, Path]) -> None:
    """DNS rebinding: a site whose name the attacker points at 127.0.0.1 sends its own name
    as both Host and Origin, so they agree; the server answers only to names that cannot be
    rebound (an address, localhost, or the name given to --listen)."""
    url, folder = web_demo
    await wait_until_serving(url)
    port = url.rstrip("/").rsplit(":", 1)[1]
    rebound = {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"}
    before = tab_folders(folder)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(url + "ws", headers=rebound)
        assert refused.value.status == 403
        async with session.get(url, headers={"Host": rebound["Host"]}) as page:
            assert page.status == 403
        async with session.get(url, headers={"Host": f"localhost:{port}"}) as page:
            assert page.status == 200
    assert tab_folders(folder) == before
