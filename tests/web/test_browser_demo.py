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


@pytest.fixture
def web_demo(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``gosocket-tui demo --web --listen 127.0.0.1:PORT``, its own process; stopped by id."""
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
    process = subprocess.Popen(
        [sys.executable, "-m", "gosocket_tui", "demo", "--web", "--listen", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}/", process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


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


@pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed")
async def test_the_browser_demo_logs_in_and_shows_suppliers(
    web_demo: tuple[str, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    url, server = web_demo
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
    finally:
        try:
            await browser.screenshot(picture)  # the artifact, also of a failure
        finally:
            await browser.close()
    assert picture.stat().st_size > 1000
    assert server.poll() is None  # still serving other tabs
