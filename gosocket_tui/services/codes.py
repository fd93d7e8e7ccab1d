"""Activation codes: 60 random bits shown as ``XXXX-XXXX-XXXX`` and stored only as a hash.

Why Crockford base32: 12 characters carry 60 bits, there is no I, L, O or U to misread, and a
code copied by hand from a phone is forgiving (``i``/``l`` read as 1, ``o`` as 0, any case,
dashes and spaces optional).

Why a salted BLAKE2b and not argon2: a password is low-entropy, so its hash must be slow; an
activation code is 60 bits from ``secrets``, single use, expires (7 days by default) and is
blocked after 5 wrong tries. Brute-forcing one stolen hash still costs about 2**59 BLAKE2b
calls on average (years on a GPU farm, for a code that expires in days), while argon2 at
~50 ms per code would make queueing 1,000 invitations take 50 s of CPU in the deliverer. Each
hash has its own 16-byte random salt, so equal codes give unrelated hashes and no table can be
precomputed. SECURITY.md has the full argument.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from gosocket_tui.clock import RandomSource
from gosocket_tui.errors import ValidationError
from gosocket_tui.i18n import _

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_BITS = 60
CODE_CHARS = 12
GROUP = 4
SALT_BYTES = 16
HASH_SCHEME = "b2v1"
_PERSON = b"gosocket-code"  # domain separation: these digests mean nothing elsewhere
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Crockford's decoding rules for characters people type instead of the right ones.
_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_MAX_INPUT = 64  # refuse absurd input before any Unicode work


def invalid_code() -> ValidationError:
    """The one message for any code problem: it tells a guesser nothing."""
    return ValidationError(_("Invalid or expired activation code."), field="code")


def generate_code(rng: RandomSource) -> str:
    """A fresh code from ``rng`` (``secrets`` in production), formatted ``XXXX-XXXX-XXXX``."""
    value = int.from_bytes(rng.token_bytes(8), "big") >> (64 - CODE_BITS)
    chars = [ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(CODE_CHARS))]
    return format_code("".join(chars))


def format_code(compact: str) -> str:
    """``ABCD1234EFGH`` → ``ABCD-1234-EFGH`` (groups of four are easier to copy by hand)."""
    return "-".join(compact[i : i + GROUP] for i in range(0, len(compact), GROUP))


def parse_code(text: str) -> str:
    """The canonical 12-character form of a typed code; ValidationError for anything else.

    Case, dashes (any Unicode dash) and spaces are ignored, full-width characters are folded,
    and I/L read as 1, O as 0. Whatever the input, the only exception is ValidationError.
    """
    if not isinstance(text, str) or len(text) > _MAX_INPUT:
        raise invalid_code()
    folded = unicodedata.normalize("NFKC", text)
    kept = "".join(
        ch for ch in folded if not (ch.isspace() or unicodedata.category(ch) in ("Pd", "Cf"))
    )
    if not kept.isascii():
        raise invalid_code()
    compact = kept.upper().translate(_ALIASES)
    if len(compact) != CODE_CHARS or any(ch not in _VALUE for ch in compact):
        raise invalid_code()
    return compact


def _digest(compact: str, salt: bytes) -> bytes:
    return hashlib.blake2b(
        compact.encode("ascii"), key=salt, digest_size=32, person=_PERSON
    ).digest()


def new_salt(rng: RandomSource) -> bytes:
    return rng.token_bytes(SALT_BYTES)


def hash_code(code: str, salt: bytes) -> str:
    """``b2v1$<salt hex>$<digest hex>``: what the database keeps instead of the code.

    ``code`` may be in any notation ``parse_code`` accepts; the salt (16 random bytes, one per
    hash) is the BLAKE2b key.
    """
    if not 8 <= len(salt) <= 64:
        raise ValueError("the salt must have 8 to 64 bytes")
    compact = parse_code(code)
    return f"{HASH_SCHEME}${salt.hex()}${_digest(compact, salt).hex()}"


def verify_code(code: str, stored: str | None) -> bool:
    """Does ``code`` match ``stored``? Constant-time compare; False for malformed input."""
    if not stored:
        return False
    try:
        compact = parse_code(code)
        scheme, salt_hex, digest_hex = stored.split("$")
        salt = bytes.fromhex(salt_hex)
        expected = bytes.fromhex(digest_hex)
    except (ValidationError, ValueError):
        return False
    if scheme != HASH_SCHEME or not 8 <= len(salt) <= 64:
        return False
    return hmac.compare_digest(_digest(compact, salt), expected)
