"""The CSV backend: delimiter sniffing, quoting, Excel's ``sep=`` line, streamed records."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Final

from gosocket_tui.i18n import _
from gosocket_tui.services.bulk.encoding import MAX_LINE_CHARS, detect_encoding
from gosocket_tui.services.bulk.headers import (
    HEADER_SEARCH_ROWS,
    ColumnMapping,
    find_header,
    match_header,
)
from gosocket_tui.services.bulk.refusals import FileRefused, cannot_read, too_large
from gosocket_tui.services.bulk.source import (
    Records,
    SourceInfo,
    SupplierFile,
    one_line_ends,
    take,
)

# One record may not exceed this (characters). csv builds each record as a list in memory,
# so an endless line of ";;;;" must be refused before it is parsed.
_MAX_RECORD_CHARS: Final = 4 << 20
_DELIMITERS: Final = (",", ";", "\t")
_SEP_LINE: Final = re.compile(r"^sep=([,;\t|])\s*$", re.IGNORECASE)
# Excel's idiom to keep leading zeros in a CSV: ="00123". It is data, not a formula.
_EXCEL_TEXT_LITERAL: Final = re.compile(r'^="([^"]*)"$')


class CountingRaw(io.RawIOBase):
    """Counts bytes read so progress can be polled without touching the buffered stream."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self.count += n or 0
        return int(n or 0)

    def close(self) -> None:
        self._raw.close()
        super().close()


def _sniff_delimiter(lines: Sequence[str]) -> str:
    """Pick the delimiter that splits a header line into the most template columns.

    Judged on header candidates (the first non-blank lines; a title may sit above the
    headers), never on data: ``1.234,56`` decimal commas in data rows fool ``csv.Sniffer``.
    Splitting with the csv module counts delimiters outside quotes only. Ties go to the split
    with more columns, then to ``,`` ``;`` tab in that order.
    """
    best = ","
    best_score = (-1, -1)
    for line in lines:
        for delimiter in _DELIMITERS:
            try:
                cells = next(csv.reader([line], delimiter=delimiter), [])
            except csv.Error:
                continue
            score = (sum(1 for c in cells if match_header(c)), len(cells))
            if score > best_score:
                best, best_score = delimiter, score
    return best


def _unclosed(line: int) -> str:
    return _(
        'The row starting at line {line} is too long; is a quote (") left unclosed?', line=line
    )


def _clean_csv_cell(value: str) -> str:
    # Hot path (called for every cell of a million rows): cheap tests before any regex.
    text = value.strip()
    if "\r" in text:
        text = one_line_ends(text)
    if text.startswith('="'):
        literal = _EXCEL_TEXT_LITERAL.match(text)
        if literal:
            return literal.group(1).strip()
    return text


class CsvFile(SupplierFile):
    """CSV backend: a TextIOWrapper(newline='') over a byte-counting handle, read by csv."""

    encoding: str
    delimiter: str
    sep_line: bool
    byte_limit: int
    _raw: CountingRaw | None

    @classmethod
    def open(cls, path: Path, size: int, byte_limit: int, row_limit: int) -> CsvFile:
        encoding = detect_encoding(path, byte_limit)
        self = cls(path, SourceInfo("csv", encoding, None, []), size, row_limit)
        self.byte_limit = byte_limit
        self.encoding = encoding
        self._raw = None
        lines = self._first_lines()
        if not lines:
            raise FileRefused(_("{name} is empty", name=path.name))
        sep = _SEP_LINE.match(lines[0])
        self.sep_line = sep is not None
        self.delimiter = sep.group(1) if sep else _sniff_delimiter(lines)
        self.info.delimiter = self.delimiter
        header_row, columns, notes = self._header()
        self.info.columns = columns
        self.info.warnings.extend(notes)
        self.info.header_row = header_row
        return self

    def _open_text(self) -> tuple[CountingRaw, io.TextIOWrapper]:
        try:
            raw = CountingRaw(self.path.open("rb", buffering=0))
        except OSError as exc:
            raise FileRefused(cannot_read(self.path, exc)) from None
        buffered = io.BufferedReader(raw, buffer_size=1 << 16)
        return raw, io.TextIOWrapper(buffered, encoding=self.encoding, newline="")

    def _first_lines(self) -> list[str]:
        """The first non-blank physical lines: Excel's ``sep=`` hint or header candidates."""
        return take(self._physical_lines(None, track=False), HEADER_SEARCH_ROWS, str.strip)

    def _physical_lines(
        self, record_budget: list[int] | None, *, track: bool
    ) -> Generator[str, None, None]:
        """Physical lines (ends kept, as csv needs them), refusing overlong lines and records.

        ``record_budget[0]`` counts characters since the caller last reset it (at each record;
        ``[1]`` is the line that record starts at), which bounds the memory csv may use for one
        record whatever the quoting does.
        """
        raw, text = self._open_text()
        if track:
            self._raw = raw
        number = 0
        try:
            while True:
                line = text.readline(MAX_LINE_CHARS)
                if not line:
                    return
                number += 1
                if len(line) >= MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
                    raise FileRefused(_("Line {line} is too long for a supplier file", line=number))
                if record_budget is not None:
                    record_budget[0] += len(line)
                    if record_budget[0] > _MAX_RECORD_CHARS:
                        raise FileRefused(_unclosed(record_budget[1]))
                if raw.count > self.byte_limit:
                    raise FileRefused(too_large(self.path, self.byte_limit))
                yield line
        except UnicodeDecodeError:
            raise FileRefused(
                _("{name} changed while it was being read; try again", name=self.path.name)
            ) from None
        except OSError as exc:
            raise FileRefused(cannot_read(self.path, exc)) from None
        finally:
            text.close()

    def _logical_records(self, track: bool) -> Generator[tuple[int, int, list[str]], None, None]:
        """(spreadsheet row, starting line, cells) for every record, blank ones included."""
        budget = [0, 1]  # characters of the current record, line where it starts
        lines = self._physical_lines(budget, track=track)
        # strict: a stray quote after a closing one ("bad"quote") is refused, not silently
        # dropped, and a quote left open at the end of the file is an error, not a cell.
        reader = csv.reader(lines, delimiter=self.delimiter, strict=True)
        row = 0
        previous_line = 0
        skip_sep = self.sep_line
        try:
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    # A cell over csv's field limit (128 KiB), or the end of the file inside
                    # quotes: an unclosed quote swallowing the lines after it.
                    if "field limit" in str(exc):
                        raise FileRefused(_unclosed(previous_line + 1), row=row + 1) from None
                    if "unexpected end of data" in str(exc):
                        raise FileRefused(
                            _(
                                'Line {line}: a quote (") opened in this row is never closed',
                                line=previous_line + 1,
                            ),
                            row=row + 1,
                        ) from None
                    if "expected after" in str(exc):
                        raise FileRefused(
                            _(
                                'Line {line}: a quote (") inside a quoted cell must be doubled '
                                '(""); as written, the text after it would be changed. Correct '
                                "the cell and save the file again",
                                line=reader.line_num,
                            ),
                            row=row + 1,
                        ) from None
                    raise FileRefused(
                        _(
                            "Line {line}: the CSV is malformed ({detail})",
                            line=previous_line + 1,
                            detail=str(exc),
                        ),
                        row=row + 1,
                    ) from None
                start = previous_line + 1
                previous_line = reader.line_num
                budget[0], budget[1] = 0, previous_line + 1
                if skip_sep and any(c.strip() for c in cells):
                    skip_sep = False  # Excel hides its "sep=;" line, so it is not a row
                    continue
                row += 1
                yield row, start, cells
        finally:
            lines.close()

    def _header(self) -> tuple[int, list[ColumnMapping], list[str]]:
        records = self._logical_records(track=False)
        try:
            candidates = ((row, [c.strip() for c in cells]) for row, _line, cells in records)
            found = find_header(candidates)
        finally:
            records.close()
        if found is None:
            raise FileRefused(_("{name} is empty", name=self.path.name))
        return found

    def _records(self, track: bool) -> Records:
        records = self._logical_records(track)
        try:
            for row, line, cells in records:
                if row <= self.info.header_row:
                    continue
                clean = [c.strip() for c in cells]
                # The rare cells that need more than a strip (line breaks, ="…" literals)
                # are found with one scan of the row, not one call per cell.
                if '="' in (joined := "\x1f".join(clean)) or "\r" in joined:
                    clean = [_clean_csv_cell(c) for c in clean]
                if any(clean):
                    yield row, line, clean, False
        finally:
            records.close()

    def _record_fraction(self) -> float:
        raw = self._raw
        if raw is None or self.total_bytes <= 0:
            return 0.0
        return min(1.0, raw.count / self.total_bytes)
