"""A file-path suggester for the bulk import screen: type a path, press → to complete it.

No clipboard and no mouse over SSH, so picking a file means typing its path; completing the
next path component (folders end in ``/``) from what is on disk makes that quick. Only
folders and files the import can read (.csv, .txt, .tsv, .xlsx, .xlsm) are offered; hidden
entries only when the typed name starts with a dot.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from textual.suggester import Suggester

from gosocket_tui.errors import GosocketError
from gosocket_tui.services.exchange import FilePlace

SUPPLIER_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".xlsx", ".xlsm"})
MAX_ENTRIES = 2_000  # a huge folder is not read whole on every key press


def complete_path(value: str, base: Path | None = None) -> str | None:
    """``value`` completed with the first matching entry of its folder, or None."""
    if not value:
        return None
    expanded = os.path.expanduser(value)
    folder_text, _sep, prefix = expanded.rpartition(os.sep)
    folder = Path(folder_text or (os.sep if expanded.startswith(os.sep) else "."))
    if not folder.is_absolute():
        folder = (base or Path.cwd()) / folder
    matches: list[tuple[bool, str]] = []
    try:
        with os.scandir(folder) as entries:
            for count, entry in enumerate(entries):
                if count >= MAX_ENTRIES:
                    break
                name = entry.name
                if not name.startswith(prefix) or name == prefix:
                    continue
                if name.startswith(".") and not prefix.startswith("."):
                    continue
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    continue
                if is_dir or Path(name).suffix.lower() in SUPPLIER_SUFFIXES:
                    matches.append((not is_dir, name + (os.sep if is_dir else "")))
    except OSError:
        return None
    if not matches:
        return None
    _is_file, best = min(matches)  # folders first, then by name: stable between key presses
    return value + best[len(prefix) :]


class PathSuggester(Suggester):
    """Suggests the rest of a file or folder name (run off the event loop, never cached)."""

    def __init__(self, base: Path | None = None) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.base = base

    async def get_suggestion(self, value: str) -> str | None:
        return await asyncio.to_thread(complete_path, value, self.base)


class ExchangeSuggester(Suggester):
    """Suggests a file of the session's exchange folder (a remote session types names only)."""

    def __init__(self, files: FilePlace) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.files = files

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        try:
            names = await asyncio.to_thread(self.files.names)
        except (OSError, GosocketError):  # suggest nothing; opening the file says why
            return None
        return next((name for name in names if name.startswith(value) and name != value), None)
