"""The Excel backend: openpyxl in read-only mode, values only, one row at a time."""

from __future__ import annotations

import contextlib
import datetime as dt
import warnings
from collections.abc import Generator
from pathlib import Path
from typing import Any

import openpyxl

from gosocket_tui.i18n import _
from gosocket_tui.services.bulk.headers import ColumnMapping, find_header
from gosocket_tui.services.bulk.refusals import FileRefused
from gosocket_tui.services.bulk.source import (
    EXCEL_MAX_ROWS,
    Records,
    SourceInfo,
    SupplierFile,
    one_line_ends,
)
from gosocket_tui.services.bulk.xlsx_limits import check_archive, check_workbook_cost, damaged

# openpyxl parses the workbook XML with defusedxml when it is installed (no entity expansion,
# no external entities). We depend on that for untrusted files, so fail loudly at import.
if not openpyxl.xml.DEFUSEDXML:  # pragma: no cover - defusedxml is a hard dependency
    raise ImportError("defusedxml must be installed so openpyxl parses untrusted XML safely")


def excel_text(value: object) -> str:
    """Cell value as the text a user typed: 1.0 → "1", dates as ISO, booleans as 1/0."""
    if value is None:
        return ""
    if isinstance(value, str):
        return one_line_ends(value.strip())
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


class XlsxFile(SupplierFile):
    """Excel backend: openpyxl read-only mode, values only, one row at a time."""

    _workbook: Any
    _sheet: Any
    _estimated_rows: int | None
    _rows_seen: int

    @classmethod
    def open(
        cls, path: Path, size: int, row_limit: int, max_entries: int, max_uncompressed: int
    ) -> XlsxFile:
        check_archive(path, max_entries, max_uncompressed)
        check_workbook_cost(path)
        try:
            with warnings.catch_warnings():
                # openpyxl warns about unsupported extensions / missing styles: not our users'
                # business, and stray output would corrupt the TUI.
                warnings.simplefilter("ignore")
                workbook = openpyxl.load_workbook(
                    path, read_only=True, data_only=True, keep_links=False
                )
        except Exception:  # openpyxl surfaces XML, zip and KeyError failures alike
            raise FileRefused(damaged(path)) from None
        self = cls(path, SourceInfo("xlsx", None, None, []), size, row_limit)
        self._workbook = workbook
        self._rows_seen = 0
        self._estimated_rows = None
        try:
            self._choose_sheet()
        except BaseException:
            workbook.close()
            raise
        return self

    def _choose_sheet(self) -> None:
        """Use the active sheet, or the first other sheet whose headers fit the template.

        Templates often carry an instructions sheet, and users save with it active.
        """
        try:
            sheets = list(self._workbook.worksheets)
            active = self._workbook.active
        except Exception:
            raise FileRefused(damaged(self.path)) from None
        if not sheets:
            raise FileRefused(_("{name} has no worksheet", name=self.path.name))
        ordered = ([active] if active in sheets else []) + [s for s in sheets if s is not active]
        first_error: FileRefused | None = None
        for sheet in ordered:
            try:
                self._use_sheet(sheet)
            except FileRefused as exc:
                first_error = first_error or exc
                continue
            if len(sheets) > 1:
                self.info.warnings.insert(
                    0,
                    _(
                        'Read the sheet "{sheet}" ({count} sheets in the workbook)',
                        sheet=self.info.sheet,
                        count=len(sheets),
                    ),
                )
            return
        assert first_error is not None
        raise first_error

    def _use_sheet(self, sheet: Any) -> None:
        try:
            title = str(sheet.title)
            # The <dimension> written by other tools can be wrong; trusting it would truncate
            # rows or invent a million empty ones. Keep it only as a progress estimate.
            max_row = sheet.max_row
            self._estimated_rows = max_row if isinstance(max_row, int) and max_row > 0 else None
            sheet.reset_dimensions()
        except Exception:
            raise FileRefused(damaged(self.path)) from None
        self._sheet = sheet
        self.info.sheet = title
        header_row, columns, notes = self._header()
        self.info.columns = columns
        self.info.header_row = header_row
        self.info.warnings = notes

    def _iter_sheet(self, width: int | None) -> Generator[tuple[int, tuple[Any, ...]], None, None]:
        """(row number, values) for every row, blank ones included; hostile XML → FileRefused."""
        row_number = 0
        try:
            rows = self._sheet.iter_rows(min_row=1, max_col=width, values_only=True)
            for values in rows:
                row_number += 1
                if row_number > EXCEL_MAX_ROWS:
                    raise FileRefused(damaged(self.path), row=row_number)
                yield row_number, values
        except FileRefused:
            raise
        except Exception:
            raise FileRefused(damaged(self.path), row=row_number + 1) from None

    def _header(self) -> tuple[int, list[ColumnMapping], list[str]]:
        rows = self._iter_sheet(None)
        try:
            found = find_header((row, [excel_text(v) for v in values]) for row, values in rows)
        finally:
            rows.close()
        if found is not None:
            return found
        raise FileRefused(
            _('{name}: the sheet "{sheet}" is empty', name=self.path.name, sheet=self.info.sheet)
        )

    def _records(self, track: bool) -> Records:
        width = len(self.info.columns)
        tax_index = next(c.index for c in self.info.columns if c.field == "tax_id")
        if track:
            self._rows_seen = 0
        rows = self._iter_sheet(width)
        try:
            for row_number, values in rows:
                if track:
                    self._rows_seen = row_number
                if row_number <= self.info.header_row:
                    continue
                cells = [excel_text(v) for v in values]
                if not any(cells):
                    continue
                tax = values[tax_index] if tax_index < len(values) else None
                numeric = isinstance(tax, int | float) and not isinstance(tax, bool)
                yield row_number, None, cells, numeric
        finally:
            rows.close()

    def _record_fraction(self) -> float:
        if not self._estimated_rows:
            return 0.0
        return min(1.0, self._rows_seen / self._estimated_rows)

    def close(self) -> None:
        super().close()
        # Closing a damaged archive must not mask the error that made us close it.
        with contextlib.suppress(Exception):
            self._workbook.close()
