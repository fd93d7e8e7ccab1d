"""Every literal string the code passes to ``_`` has a Spanish translation with the same
placeholders: a missing entry would show English in the middle of a Spanish screen."""

from __future__ import annotations

import ast
import json
import string
from pathlib import Path

import gosocket_tui

PACKAGE = Path(gosocket_tui.__file__).parent
SPANISH = PACKAGE / "locale" / "es"


def translated_literals() -> dict[str, str]:
    """Each literal passed to ``_(…)`` in the package, with where it first appears."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
                found.setdefault(node.args[0].value, where)
    return found


def catalog(folder: Path) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def test_the_scan_finds_the_code_strings() -> None:
    literals = translated_literals()
    assert len(literals) > 300
    assert "Registered" in literals


def test_every_literal_has_a_spanish_translation() -> None:
    spanish = catalog(SPANISH)
    missing = [
        f"{where}: {text!r}" for text, where in translated_literals().items() if text not in spanish
    ]
    assert missing == []


def test_translations_keep_the_placeholders() -> None:
    wrong = [
        english
        for english, spanish in catalog(SPANISH).items()
        if placeholders(english) != placeholders(spanish)
    ]
    assert wrong == []
