"""What an .xlsx must pass before openpyxl opens it: a real workbook, no zip bomb, bounded cost."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from gosocket_tui.i18n import _
from gosocket_tui.services.bulk.refusals import FileRefused, shorten, size_text
from gosocket_tui.services.bulk.source import READ_CHUNK

DEFAULT_MAX_ZIP_ENTRIES: Final = 10_000
DEFAULT_MAX_UNCOMPRESSED_BYTES: Final = 1024**3

# zipfile's end-of-central-directory reader (handles ZIP64); private but stable since 2.x.
_zip_end_record: Any = getattr(zipfile, "_EndRecData", None)
_ZIP_ENTRIES_TOTAL: Final[int] = getattr(zipfile, "_ECD_ENTRIES_TOTAL", 4)


def check_archive(path: Path, max_entries: int, max_uncompressed: int) -> None:
    """Refuse non-zip files, zip bombs and zips that are not Excel workbooks, before openpyxl.

    The sizes come from the central directory; zipfile never inflates an entry past its
    declared size (it fails the CRC instead), so the declared total is a real bound.
    """
    try:
        is_zip = zipfile.is_zipfile(path)
    except Exception:  # pragma: no cover - is_zipfile already swallows OSError
        is_zip = False
    if not is_zip:
        raise FileRefused(
            _(
                "{name} is not an Excel .xlsx file; if it is a CSV file, rename it to .csv",
                name=path.name,
            )
        )
    too_many = _(
        "{name} has too many parts to be a supplier workbook (more than {limit})",
        name=path.name,
        limit=max_entries,
    )
    try:
        # The entry count from the end record first: ZipFile builds an object per entry, so
        # millions of tiny entries would exhaust memory before infolist() could be checked.
        with path.open("rb") as fh:
            end = _zip_end_record(fh) if _zip_end_record is not None else None
        if end and int(end[_ZIP_ENTRIES_TOTAL]) > max_entries:
            raise FileRefused(too_many)
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except FileRefused:
        raise
    except Exception:  # zipfile raises many types on hostile input; all mean "damaged"
        raise FileRefused(damaged(path)) from None
    if len(infos) > max_entries:
        raise FileRefused(too_many)
    if sum(info.file_size for info in infos) > max_uncompressed:
        raise FileRefused(
            _(
                "{name} expands to more than {limit}; it is too large or not a real workbook",
                name=path.name,
                limit=size_text(max_uncompressed),
            )
        )
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names or "content.xml" in names:
            raise FileRefused(
                _(
                    "{name} is not a standard .xlsx workbook (binary or OpenDocument format); "
                    "save it as .xlsx (Excel Workbook) or CSV",
                    name=path.name,
                )
            )
        raise FileRefused(_("{name} is a zip archive, not an Excel .xlsx file", name=path.name))


# What openpyxl's read-only mode holds in memory, bounded before it loads a workbook. It keeps
# the whole shared-strings table (every <si> as a str plus a cleared element, ~150 bytes each
# beside the text) and one <row> at a time; styles and the workbook part are loaded whole.
# With these caps the worst accepted workbook peaks under 200 MiB of RSS (measured by
# tests/unit/test_bulk_file_limits.py::test_worst_accepted_workbook_stays_under_300_mib).
MAX_SHARED_STRINGS: Final = 300_000
MAX_SHARED_STRINGS_BYTES: Final = 24_000_000
MAX_XML_ITEM_BYTES: Final = 1_000_000
MAX_OTHER_PART_BYTES: Final = 8_000_000
# A <si> string or <row> start (any namespace prefix), the end of their lists, or "<!"
# (a comment, CDATA or DTD: Excel writes none, and they could hide tags from this count).
_XML_ITEMS: Final = re.compile(
    rb"<(?:[A-Za-z_][\w.-]{0,30}:)?(si|row)[\s/>]|</(?:[A-Za-z_][\w.-]{0,30}:)?(?:sst|sheetData)>|<!"
)
_XML_ITEM_OVERLAP: Final = 64


@dataclass
class _PartCost:
    strings: int = 0
    rows: int = 0
    largest_item: int = 0
    has_markup_declaration: bool = False


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _PartCost:
    """Count <si> and <row> items of one XML part and the largest one in bytes, streaming."""
    cost = _PartCost()
    item_start: int | None = None
    carry = b""
    base = 0  # offset in the part of carry[0]
    with archive.open(info) as fh:
        while True:
            chunk = fh.read(READ_CHUNK)
            buffer = carry + chunk
            limit = len(buffer) if not chunk else max(0, len(buffer) - _XML_ITEM_OVERLAP)
            for found in _XML_ITEMS.finditer(buffer, 0, limit + _XML_ITEM_OVERLAP):
                if found.start() >= limit:
                    break
                at = base + found.start()
                if item_start is not None:
                    cost.largest_item = max(cost.largest_item, at - item_start)
                kind = found.group(1)
                if kind is None:
                    item_start = None
                    cost.has_markup_declaration |= found.group(0) == b"<!"
                    continue
                item_start = at
                if kind == b"si":
                    cost.strings += 1
                else:
                    cost.rows += 1
            if not chunk:
                break
            carry = buffer[limit:]
            base += limit
            # Stop inflating as soon as the verdict is known (a zip bomb of blanks, one
            # endless row): the caller refuses on these numbers.
            if item_start is not None and base - item_start > MAX_XML_ITEM_BYTES:
                break
            if not cost.strings and not cost.rows and base > MAX_OTHER_PART_BYTES:
                return cost
    if item_start is not None:
        cost.largest_item = max(cost.largest_item, base + len(carry) - item_start)
    return cost


def check_workbook_cost(path: Path) -> None:
    """Refuse workbooks whose reading would cost too much memory, before openpyxl loads them.

    Every XML part is scanned once, streaming: shared strings (count and bytes), the size of
    the largest string or row, and the size of the parts openpyxl loads whole. Parts holding
    strings or rows may not hold comments or CDATA, which could hide tags from the count.
    """
    strings = string_bytes = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir() or not info.filename.lower().endswith((".xml", ".rels")):
                    continue
                cost = _scan_part(archive, info)
                if cost.has_markup_declaration and (cost.strings or cost.rows):
                    raise FileRefused(
                        _(
                            "{name} holds XML that spreadsheets do not write (comments, CDATA "
                            "or a DTD in {part}); open it in Excel and save it again as .xlsx",
                            name=path.name,
                            part=shorten(info.filename),
                        )
                    )
                if cost.largest_item > MAX_XML_ITEM_BYTES:
                    raise FileRefused(
                        _(
                            "{name} has a row or a text cell larger than {limit}; it is not a "
                            "supplier list",
                            name=path.name,
                            limit=size_text(MAX_XML_ITEM_BYTES),
                        )
                    )
                if cost.strings:
                    strings += cost.strings
                    string_bytes += info.file_size
                elif not cost.rows and info.file_size > MAX_OTHER_PART_BYTES:
                    raise FileRefused(
                        _(
                            "{name}: the part {part} is larger than {limit}; open the file in "
                            "Excel, remove formatting and save it again, or save it as CSV",
                            name=path.name,
                            part=shorten(info.filename),
                            limit=size_text(MAX_OTHER_PART_BYTES),
                        )
                    )
    except FileRefused:
        raise
    except Exception:  # zipfile and zlib raise many types on hostile input
        raise FileRefused(damaged(path)) from None
    if strings > MAX_SHARED_STRINGS or string_bytes > MAX_SHARED_STRINGS_BYTES:
        raise FileRefused(
            _(
                "{name} holds more distinct texts than can be read safely ({count}, at most "
                "{limit} and {size}); save it as CSV UTF-8, which has no such limit, or split it",
                name=path.name,
                count=f"{strings:,}",
                limit=f"{MAX_SHARED_STRINGS:,}",
                size=size_text(MAX_SHARED_STRINGS_BYTES),
            )
        )


def damaged(path: Path) -> str:
    return _(
        "{name} is damaged or not an Excel workbook; open it in Excel and save it again as .xlsx",
        name=path.name,
    )
