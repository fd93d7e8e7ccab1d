"""One browser tab of ``demo --web``: the demo on a private copy of the template database.

textual-serve starts ``python -m gosocket_tui.cli.demo_tab ROOT LANG [CONFIG]`` for each
tab (``cli/demo_web.py``), with Textual's web driver chosen in the environment. The process
makes a private folder under ``ROOT`` (the server's own temporary folder), copies the template
database there, starts a mail sink of its own (the tab's Mailbox shows only its own mail,
whose codes work in its own database), runs the app as a remote session confined to that
folder, and removes the folder when the tab closes. A tab killed outright leaves its folder
to the server, which removes ``ROOT`` whole when it stops.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import tempfile
from contextlib import closing
from pathlib import Path

from gosocket_tui.config import load_config, with_overrides
from gosocket_tui.i18n import set_language
from gosocket_tui.services.demo import prepare_demo, start_demo_sink

TEMPLATE_NAME = "template.db"  # in ROOT: the demo database every tab copies


def copy_database(template: Path, target: Path) -> None:
    """A consistent copy of the template (SQLite's backup: the WAL included)."""
    with (
        closing(sqlite3.connect(f"file:{template}?mode=ro", uri=True)) as source,
        closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)
    target.chmod(0o600)


def run_tab(root: Path, lang: str, config_path: Path | None) -> None:
    from gosocket_tui.tui.app import make_app

    folder = Path(tempfile.mkdtemp(prefix="tab-", dir=root))
    try:
        database = folder / "demo.db"
        copy_database(root / TEMPLATE_NAME, database)
        config = with_overrides(
            load_config({"lang": lang}, config_path=config_path),
            db="sqlite:///" + str(database),
            exchange_dir=str(folder / "exchange"),
            maildir="",
        )
        set_language(config.lang)
        sink, config = start_demo_sink(config, maildir=folder / "maildir")
        try:
            ctx, info = prepare_demo(config, maildir=sink.maildir)
            try:
                app = make_app(
                    ctx,
                    demo=info,
                    remote=True,  # the person is in a browser: no path of this machine
                )
                app.run()
            finally:
                ctx.close()
        finally:
            sink.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str]) -> None:
    root, lang = Path(argv[0]), argv[1]
    config_path = Path(argv[2]) if len(argv) > 2 else None
    run_tab(root, lang, config_path)


if __name__ == "__main__":
    main(sys.argv[1:])
