"""Bulk supplier registration from a CSV or Excel file: read it, check it, import it.

One module per concept. Reading: ``reader`` (open a file, pick the backend), ``headers``
(template columns and header matching), ``source`` (the opened file and its rows),
``encoding``, ``csv_files``, ``xlsx_limits``, ``xlsx_files``, ``pasted`` (rows pasted from a
spreadsheet, read as a file), ``refusals`` (why a file is refused) and ``output`` (the
template and CSV reports). Importing: ``checks`` (one row), ``pool`` (the checks of a big
file in worker processes), ``spool`` (checked rows kept for the import), ``passes`` (lookups
and decisions), ``writer`` (bulk inserts), ``report`` (what a pass found, and the counts
sentence) and ``importer`` (the two entry points, :func:`validate` and :func:`import_file`).

Callers import from here; the modules are the package's own business.
"""

from gosocket_tui.services.bulk.checks import Issue, fast_email
from gosocket_tui.services.bulk.headers import (
    FIELDS,
    MANDATORY_FIELDS,
    ColumnMapping,
    header_label,
    map_columns,
    match_header,
)
from gosocket_tui.services.bulk.importer import import_file, validate
from gosocket_tui.services.bulk.output import write_report_csv, write_template
from gosocket_tui.services.bulk.pasted import (
    MAX_PASTED_ROWS,
    PastedText,
    PasteTooLong,
    paste_rows,
)
from gosocket_tui.services.bulk.reader import open_supplier_file
from gosocket_tui.services.bulk.refusals import FileRefused
from gosocket_tui.services.bulk.report import (
    MAX_ISSUES,
    POLICIES,
    ImportCancelled,
    ImportOptions,
    ImportRefused,
    ImportSummary,
    Policy,
    Progress,
    ProgressCallback,
    ValidationReport,
    counts_text,
    write_issue_report,
)
from gosocket_tui.services.bulk.source import (
    FileKind,
    RawRow,
    SourceInfo,
    SourceKind,
    SupplierFile,
)
from gosocket_tui.services.suppliers import OPTIONAL_FIELDS

__all__ = [
    "FIELDS",
    "MANDATORY_FIELDS",
    "MAX_ISSUES",
    "MAX_PASTED_ROWS",
    "OPTIONAL_FIELDS",
    "POLICIES",
    "ColumnMapping",
    "FileKind",
    "FileRefused",
    "ImportCancelled",
    "ImportOptions",
    "ImportRefused",
    "ImportSummary",
    "Issue",
    "PasteTooLong",
    "PastedText",
    "Policy",
    "Progress",
    "ProgressCallback",
    "RawRow",
    "SourceInfo",
    "SourceKind",
    "SupplierFile",
    "ValidationReport",
    "counts_text",
    "fast_email",
    "header_label",
    "import_file",
    "map_columns",
    "match_header",
    "open_supplier_file",
    "paste_rows",
    "validate",
    "write_issue_report",
    "write_report_csv",
    "write_template",
]
