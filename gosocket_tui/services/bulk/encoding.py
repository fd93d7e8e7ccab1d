"""Which text encoding a CSV file is in, refusing binary data and mixed encodings."""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import BinaryIO, Final

from gosocket_tui.i18n import _
from gosocket_tui.services.bulk.refusals import FileRefused, cannot_read, too_large
from gosocket_tui.services.bulk.source import READ_CHUNK

# One physical line may not exceed this (characters); also the longest line read here.
MAX_LINE_CHARS: Final = 1 << 20
# C0 controls no spreadsheet writes into text (tab, LF, CR, VT, FF and the DOS EOF 0x1A are
# tolerated). Any of them, NUL above all, means the file is binary, not CSV.
_BINARY_BYTES: Final = re.compile(rb"[\x00-\x08\x0e-\x19\x1b-\x1f]")
_BINARY_CHARS: Final = re.compile("[\x00-\x08\x0e-\x19\x1b-\x1f]")
# Bytes Windows-1252 leaves undefined: a file holding them is not Windows-1252 text.
_CP1252_UNDEFINED: Final = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
# A well-formed UTF-8 multibyte character (RFC 3629). A line holding one was written as UTF-8;
# in Windows-1252 text these byte pairs would be mojibake such as "Ã±".
_UTF8_MULTIBYTE: Final = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


def detect_encoding(path: Path, byte_limit: int) -> str:
    """One streaming pass: refuse binary data and choose UTF-8 (±BOM), UTF-16 or Windows-1252.

    The file is read in 1 MiB chunks through an incremental UTF-8 decoder (so a multibyte
    character split across chunks is fine) while two byte regexes look for control characters
    (binary) and for the five bytes Windows-1252 leaves undefined. Only the verdicts are kept,
    so memory stays flat; the caller then reopens the file to parse it (one extra pass, which
    beats guessing from a prefix and failing at row 900,000).

    UTF-8 wins whenever the whole file decodes: random Windows-1252 text almost never does,
    while the reverse is always "valid". UTF-16 is only taken with a BOM (Excel's "Unicode
    text" export).
    """
    try:
        with path.open("rb") as fh:
            first = fh.read(READ_CHUNK)
            if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                _check_utf16(fh, first, path, byte_limit)
                return "utf-16"
            utf8 = codecs.getincrementaldecoder("utf-8")("strict")
            utf8_ok = True
            cp1252_ok = True
            total = 0
            chunk = first
            while chunk:
                total += len(chunk)
                if total > byte_limit:
                    raise FileRefused(too_large(path, byte_limit))
                found = _BINARY_BYTES.search(chunk)
                if found:
                    raise FileRefused(_binary(path, total - len(chunk) + found.start()))
                if utf8_ok:
                    try:
                        utf8.decode(chunk)
                    except UnicodeDecodeError:
                        utf8_ok = False
                if cp1252_ok and _CP1252_UNDEFINED.search(chunk):
                    cp1252_ok = False
                chunk = fh.read(READ_CHUNK)
            if utf8_ok:
                try:
                    utf8.decode(b"", final=True)
                except UnicodeDecodeError:
                    utf8_ok = False
    except OSError as exc:
        raise FileRefused(cannot_read(path, exc)) from None
    if utf8_ok:
        return "utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"
    if cp1252_ok:
        _refuse_mixed_encodings(path)
        return "cp1252"
    raise FileRefused(
        _(
            "{name} is not text in a supported encoding; save it as CSV UTF-8 or as .xlsx",
            name=path.name,
        )
    )


def _refuse_mixed_encodings(path: Path) -> None:
    """A file that is not UTF-8 is read as Windows-1252 only if no line looks like UTF-8.

    Files pasted together from two sources mix both; reading them either way would store
    altered text (``Ã‘andÃº``), so they are refused with the first line that is not UTF-8.
    Only files that failed UTF-8 pay for this second, line by line pass.
    """
    first_bad = first_utf8 = 0
    number = 0
    try:
        with path.open("rb") as fh:
            while line := fh.readline(MAX_LINE_CHARS):
                number += 1
                if not first_utf8 and _UTF8_MULTIBYTE.search(line):
                    first_utf8 = number
                if not first_bad:
                    try:
                        line.decode("utf-8")
                    except UnicodeDecodeError:
                        first_bad = number
                if first_bad and first_utf8:
                    break
    except OSError as exc:
        raise FileRefused(cannot_read(path, exc)) from None
    if first_bad and first_utf8:
        raise FileRefused(
            _(
                "{name} mixes text encodings: line {line} is not UTF-8 but line {utf8_line} "
                "is; save the whole file again as CSV UTF-8",
                name=path.name,
                line=first_bad,
                utf8_line=first_utf8,
            ),
        )


def _check_utf16(fh: BinaryIO, first: bytes, path: Path, byte_limit: int) -> None:
    decoder = codecs.getincrementaldecoder("utf-16")("strict")
    total = 0
    chunk = first
    try:
        while chunk:
            total += len(chunk)
            if total > byte_limit:
                raise FileRefused(too_large(path, byte_limit))
            found = _BINARY_CHARS.search(decoder.decode(chunk))
            if found:
                raise FileRefused(_binary(path, total - len(chunk)))
            chunk = fh.read(READ_CHUNK)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise FileRefused(
            _("{name} is damaged: it is not valid UTF-16 text", name=path.name)
        ) from None


def _binary(path: Path, offset: int) -> str:
    return _(
        "{name} contains binary data (at byte {offset}), so it is not a CSV file; export it "
        "from your spreadsheet as CSV or .xlsx",
        name=path.name,
        offset=offset,
    )
