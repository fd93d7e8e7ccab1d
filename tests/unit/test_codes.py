import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gosocket_tui.clock import SeededRandom, SystemRandom
from gosocket_tui.errors import ValidationError
from gosocket_tui.services import codes

CODE_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


class FixedBytes:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def token_bytes(self, n: int) -> bytes:
        return self.data[:n]


def test_generated_codes_are_12_crockford_characters_in_groups() -> None:
    rng = SystemRandom()
    seen = {codes.generate_code(rng) for _ in range(500)}
    assert len(seen) == 500
    assert all(CODE_RE.match(code) for code in seen)


def test_code_carries_60_bits() -> None:
    assert codes.generate_code(FixedBytes(b"\x00" * 8)) == "0000-0000-0000"
    assert codes.generate_code(FixedBytes(b"\xff" * 8)) == "ZZZZ-ZZZZ-ZZZZ"
    # Only the top 60 bits count: the last nibble changes nothing.
    assert codes.generate_code(FixedBytes(b"\x00" * 7 + b"\x0f")) == "0000-0000-0000"
    assert codes.generate_code(FixedBytes(b"\x00" * 7 + b"\x10")) == "0000-0000-0001"


def test_seeded_source_is_deterministic() -> None:
    assert codes.generate_code(SeededRandom(5)) == codes.generate_code(SeededRandom(5))


@pytest.mark.parametrize(
    "typed",
    [
        "ABCD-EFGH-JKMN",
        "abcd-efgh-jkmn",
        "ABCDEFGHJKMN",
        " abcd efgh jkmn ",
        "ABCD\u2013EFGH\u2014JKMN",  # typographic dashes
        "ＡＢＣＤ-ＥＦＧＨ-ＪＫＭＮ",  # full-width
        "ABCD-EFGH-JKMN\u200b",  # zero-width space from a copy-paste
    ],
)
def test_parse_is_forgiving_about_notation(typed: str) -> None:
    assert codes.parse_code(typed) == "ABCDEFGHJKMN"


def test_parse_reads_i_l_as_one_and_o_as_zero() -> None:
    assert codes.parse_code("IIII-LLLL-OOOO") == "111111110000"
    assert codes.parse_code("il0o-1111-2222") == "1100" + "11112222"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "ABCD-EFGH-JKM",
        "ABCD-EFGH-JKMNP",
        "ABCD-EFGH-JKMU",
        "ABCD-EFGH-JKM!",
        "x" * 1000,
        "ß" * 12,
    ],
)
def test_parse_refuses_anything_else(typed: str) -> None:
    with pytest.raises(ValidationError) as info:
        codes.parse_code(typed)
    assert info.value.message == "Invalid or expired activation code."
    assert info.value.field == "code"


@given(st.text(max_size=80))
def test_parse_only_raises_validation_error(text: str) -> None:
    try:
        compact = codes.parse_code(text)
    except ValidationError:
        return
    assert len(compact) == 12 and set(compact) <= set(codes.ALPHABET)


@given(st.binary(min_size=8, max_size=8))
def test_every_generated_code_parses_back(data: bytes) -> None:
    code = codes.generate_code(FixedBytes(data))
    assert codes.format_code(codes.parse_code(code)) == code
    assert codes.parse_code(code.lower().replace("-", " ")) == code.replace("-", "")


def test_hash_verifies_in_any_notation_and_hides_the_code() -> None:
    code = "7Q4M-9X2B-KD3F"
    stored = codes.hash_code(code, b"s" * 16)
    assert stored.startswith("b2v1$")
    assert "7Q4M" not in stored and "7q4m" not in stored.lower().split("$")[1]
    assert codes.verify_code(code, stored)
    assert codes.verify_code("7q4m 9x2b kd3f", stored)
    assert not codes.verify_code("7Q4M-9X2B-KD3G", stored)


def test_salt_makes_equal_codes_hash_differently() -> None:
    one = codes.hash_code("7Q4M-9X2B-KD3F", b"a" * 16)
    two = codes.hash_code("7Q4M-9X2B-KD3F", b"b" * 16)
    assert one != two
    assert codes.verify_code("7Q4M-9X2B-KD3F", one) and codes.verify_code("7Q4M-9X2B-KD3F", two)


@pytest.mark.parametrize(
    "stored", [None, "", "garbage", "b2v1$zz$00", "md5$6161616161616161$00", "b2v1$61$" + "0" * 64]
)
def test_verify_is_false_for_malformed_hashes(stored: str | None) -> None:
    assert not codes.verify_code("7Q4M-9X2B-KD3F", stored)


def test_verify_is_false_for_malformed_codes() -> None:
    stored = codes.hash_code("7Q4M-9X2B-KD3F", b"s" * 16)
    assert not codes.verify_code("not a code", stored)
    assert not codes.verify_code("", stored)


def test_hash_is_fast_enough_for_bulk_invitations() -> None:
    import time

    started = time.perf_counter()
    for i in range(1000):
        codes.hash_code("7Q4M-9X2B-KD3F", i.to_bytes(16, "big"))
    assert time.perf_counter() - started < 1.0
