"""A paste from a real terminal reaches the bulk screen and imports its rows.

The app runs in a child process on a pty, as over SSH; the test types the login, opens Bulk
add suppliers with Ctrl+O and sends the rows the way a terminal in bracketed-paste mode sends
a paste (``ESC [ 200 ~`` … ``ESC [ 201 ~``, line ends as CR, one of them inside a quoted
cell). Then Enter checks and Enter imports; the rows must be in the database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gosocket_tui.db.models import SupplierLink
from tests.conftest import PASSWORD
from tests.paste_helpers import cells, clipboard, header
from tests.terminal import open_terminal, read_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 60.0  # for each step to show (a loaded CI machine)


def test_bracketed_paste_from_a_terminal_is_imported(
    db_url: str, buyers: object, tmp_path: Path
) -> None:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        GOSOCKET_CONFIG=str(tmp_path / "no-config.toml"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        LANG="en_US.UTF-8",
        TERM="xterm-256color",
    )
    for name in ("GOSOCKET_DB", "GOSOCKET_LANG", "SSH_CONNECTION"):
        env.pop(name, None)
    rows = [header(), cells(1, notify="1", address="Av. Apoquindo 3000\nPiso 5"), cells(2)]
    paste = clipboard(rows, end="\r").encode()
    controller, terminal = open_terminal(rows=40, cols=120)
    child = subprocess.Popen(
        [sys.executable, "-m", "gosocket_tui", "--db", db_url],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )
    os.close(terminal)
    try:
        read_until(controller, b"Log in", SECONDS)
        os.write(controller, b"ana\r" + PASSWORD.encode() + b"\r")
        read_until(controller, b"Bulk add", SECONDS)
        os.write(controller, b"\x0f")  # Ctrl+O
        read_until(controller, b"or paste rows here", SECONDS)
        os.write(controller, b"\x1b[200~" + paste + b"\x1b[201~")
        read_until(controller, b"Pasted text: columns separated by tab", SECONDS)
        os.write(controller, b"\r")  # Process file, which has the focus
        read_until(controller, b"Ready: press Import", SECONDS)
        os.write(controller, b"\r")  # Import
        read_until(controller, b"Import finished", SECONDS)
        os.write(controller, b"\x11")  # Ctrl+Q
        child.wait(timeout=SECONDS)
    finally:
        os.close(controller)
        if child.poll() is None:
            child.kill()
            child.wait()
    links = {link.name: link for link in SupplierLink.select()}
    assert set(links) == {"Proveedor 1", "Proveedor 2"}
    assert links["Proveedor 1"].address == "Av. Apoquindo 3000 Piso 5"
