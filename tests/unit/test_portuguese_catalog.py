"""The Portuguese catalog: only texts the code uses, and every text a supplier sees.

Portuguese is the supplier's language only (the invitation emails and the activation
screen): the administrators' interface stays English and Spanish. Every key of
``locale/pt`` must be an English text of the code (a stale key translates nothing), and every
text of the supplier-facing sources below must have its Portuguese translation, placeholders
kept.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

import gosocket_tui
from gosocket_tui.i18n import LANGUAGES, SUPPLIER_LANGUAGES, normalize_language, translate
from gosocket_tui.mail import compose

PACKAGE = Path(gosocket_tui.__file__).parent
PT = PACKAGE / "locale" / "pt"

# Everything a supplier reads comes from these sources: the email, the activation screen and
# its form, the activation service and the rules it applies (code, username, password, key,
# Tax ID).
SUPPLIER_SOURCES = (
    "tui/screens/activation.py",
    "tui/screens/activation_form.py",
    "services/activation.py",
    "services/codes.py",
    "services/passwords.py",
    "services/ssh_keys.py",
    "services/taxid/parse.py",
)
# Texts of those sources that a supplier never sees (the administrators' side of auth.py is
# not listed; these are in the listed files but reached only by an administrator's command).
NOT_SUPPLIER_FACING = {
    "No user named {username}.",
    "No key with the fingerprint {fingerprint}.",
    "The key was not accepted for this user.",
}
# The activation screen's keys and the names of the languages it cycles through.
SCREEN_TEXTS = ("Back", "Quit", "Language", "Spanish", "Portuguese", "English")
# The account rules the activation service checks (auth.py is shared with the login).
ACCOUNT_TEXTS = (
    "The username must have 3 to 64 letters, digits or . _ - @ characters.",
    "The username {username} is reserved for activation over SSH; choose another.",
    "The username {username} is taken.",
)


def _catalog(folder: Path) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def _code_strings() -> set[str]:
    """Every string literal of the package (implicit concatenations joined, as ``_`` sees them)."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def _translated_literals(relative: str) -> set[str]:
    """The first argument of each ``_("…")`` / ``translate("…", …)`` call of one source file."""
    tree = ast.parse((PACKAGE / relative).read_text(encoding="utf-8"))
    texts: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("_", "translate")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            texts.add(node.args[0].value)
    return texts


def _email_texts() -> set[str]:
    """The email's sentences: the composer's module-level templates and its inline texts."""
    texts = {
        value
        for name, value in vars(compose).items()
        if name.startswith("_") and name.isupper() and isinstance(value, str) and " " in value
    }
    texts -= {v for k, v in vars(compose).items() if k.endswith("_STYLE")}
    return texts | _translated_literals("mail/compose.py")


def supplier_texts() -> set[str]:
    texts = set(SCREEN_TEXTS) | set(ACCOUNT_TEXTS) | _email_texts()
    for source in SUPPLIER_SOURCES:
        texts |= _translated_literals(source)
    return texts - NOT_SUPPLIER_FACING


def test_every_portuguese_key_is_a_text_of_the_code() -> None:
    stale = set(_catalog(PT)) - _code_strings()
    assert not stale, sorted(stale)


def test_every_supplier_facing_text_has_a_portuguese_translation() -> None:
    catalog = _catalog(PT)
    texts = supplier_texts()
    assert len(texts) > 60  # the sources were found and read
    missing = sorted(t for t in texts if not catalog.get(t))
    assert not missing, missing


@pytest.mark.parametrize("english", sorted(_catalog(PT)))
def test_portuguese_keeps_the_placeholders(english: str) -> None:
    portuguese = translate(english, "pt")
    assert sorted(re.findall(r"\{\w+(?:![rsa])?\}", portuguese)) == sorted(
        re.findall(r"\{\w+(?:![rsa])?\}", english)
    )


def test_portuguese_is_a_supplier_language_only() -> None:
    assert "pt" in SUPPLIER_LANGUAGES
    assert "pt" not in LANGUAGES
    assert normalize_language("pt_BR.UTF-8") is None  # the interface never switches to it
