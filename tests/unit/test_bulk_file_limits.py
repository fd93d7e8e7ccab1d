"""Files in, read faithfully and at a bounded cost (SECURITY.md, "Files").

* An .xlsx is refused before openpyxl loads it when its shared-strings table, one of its rows
  or strings, or a part openpyxl loads whole would cost too much memory; the worst workbook
  still accepted peaks under 300 MiB (measured in a child process).
* A CSV mixing UTF-8 and Windows-1252 lines, a stray quote or a header wider than Excel's
  16,384 columns is refused with the line; nothing altered is stored.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from gosocket_tui.services.bulk import FileRefused, open_supplier_file, xlsx_limits
from tests.cli_helpers import Cli, Result

CORPUS = Path(__file__).parents[1] / "data" / "suppliers"
COMPANY = "CL:76.086.428-5"
HEADER = ("Tax ID*", "Name*", "Email*", "Notify*")
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
MIB = 1024 * 1024


def _package_parts() -> dict[str, str]:
    return {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CT}.sharedStrings+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{CT}.styles+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            '<sheet name="Suppliers" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
    }


def _strings(count: int, text: str) -> Iterator[bytes]:
    """``count`` distinct <si> items: the header, then ``text`` with a running number."""
    for name in HEADER:
        yield f"<si><t>{name}</t></si>".encode()
    for i in range(count - len(HEADER)):
        yield f"<si><t>{text}{i:07d}</t></si>".encode()


XF = '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'


def _styles(xf_count: int) -> bytes:
    xfs = XF * xf_count
    return (
        f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/></font></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        f'</cellStyleXfs><cellXfs count="{xf_count}">{xfs}</cellXfs></styleSheet>'
    ).encode()


def make_workbook(
    path: Path,
    *,
    strings: int = 4,
    text: str = "s",
    rows: int = 1,
    row_text: str = "",
    styles: int = 1,
    sheet_prefix: bytes = b"",
) -> Path:
    """A hand-made workbook: a shared-strings table of ``strings`` items, ``rows`` data rows
    (inline strings of ``row_text`` in the Name cell) and ``styles`` cell formats."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, body in _package_parts().items():
            archive.writestr(name, body)
        archive.writestr("xl/styles.xml", _styles(styles))
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(f'<sst xmlns="{MAIN}" uniqueCount="{strings}">'.encode())
            batch: list[bytes] = []
            for item in _strings(strings, text):
                batch.append(item)
                if len(batch) == 10_000:
                    fh.write(b"".join(batch))
                    batch.clear()
            fh.write(b"".join(batch) + b"</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode() + sheet_prefix)
            head = "".join(f'<c r="{c}1" t="s"><v>{i}</v></c>' for i, c in enumerate("ABCD"))
            fh.write(f'<row r="1">{head}</row>'.encode())
            for r in range(2, rows + 2):
                fh.write(
                    f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>77.123.456-9</t></is></c>'
                    f'<c r="B{r}" t="inlineStr"><is><t>{row_text}N{r}</t></is></c>'
                    f'<c r="C{r}" t="inlineStr"><is><t>a{r}@x.example</t></is></c>'
                    f'<c r="D{r}"><v>1</v></c></row>'.encode()
                )
            fh.write(b"</sheetData></worksheet>")
    return path


# One character outside the BMP makes CPython store the whole string with 4 bytes per
# character: the most memory per byte of XML a text can cost.
ASTRAL = "\U0001f600"


def _worst_accepted(tmp_path: Path) -> dict[str, Path]:
    """The costliest workbook of each kind still under every cap."""
    per_string = (xlsx_limits.MAX_SHARED_STRINGS_BYTES - 4096) // xlsx_limits.MAX_SHARED_STRINGS
    text = ASTRAL + "x" * (per_string - len("<si><t></t></si>") - 4 - 7)
    row_text = ASTRAL + "y" * (xlsx_limits.MAX_XML_ITEM_BYTES - 400)
    return {
        "strings": make_workbook(
            tmp_path / "strings.xlsx", strings=xlsx_limits.MAX_SHARED_STRINGS, text=text
        ),
        "rows": make_workbook(tmp_path / "rows.xlsx", rows=20, row_text=row_text),
        "styles": make_workbook(
            tmp_path / "styles.xlsx",
            styles=(xlsx_limits.MAX_OTHER_PART_BYTES - 1000) // len(XF),
        ),
    }


# The child reports its own high-water mark: VmHWM belongs to the new program, whereas Linux
# carries the parent's peak over fork and exec into getrusage's ru_maxrss.
MEASURE = """
import json, re, resource, sys
from gosocket_tui.services.bulk import FileRefused, open_supplier_file
try:
    with open_supplier_file(sys.argv[1]) as opened:
        outcome = sum(1 for _ in opened.rows())
except FileRefused as exc:
    outcome = exc.message
try:
    with open("/proc/self/status") as status:
        peak = int(re.search(r"VmHWM:\\s+(\\d+)", status.read()).group(1)) // 1024
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps([outcome, peak]))
"""


def _peak(path: Path) -> tuple[object, int]:
    """Read the whole file in a fresh interpreter; its outcome and peak RSS in MiB."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
    )
    outcome, peak = json.loads(done.stdout)
    return outcome, int(peak)


def test_worst_accepted_workbook_stays_under_300_mib(tmp_path: Path) -> None:
    for kind, path in _worst_accepted(tmp_path).items():
        outcome, peak = _peak(path)
        assert isinstance(outcome, int), (kind, outcome)
        assert peak < 300, f"{kind}: {peak} MiB"


def test_costly_workbooks_are_refused_before_openpyxl_loads_them(tmp_path: Path) -> None:
    cases = {
        "many strings": (
            make_workbook(tmp_path / "many.xlsx", strings=xlsx_limits.MAX_SHARED_STRINGS + 1),
            "holds more distinct texts than can be read safely (300,001, at most 300,000",
        ),
        "large strings": (
            make_workbook(tmp_path / "large.xlsx", strings=200_000, text="z" * 120),
            "holds more distinct texts than can be read safely (200,000",
        ),
        "huge row": (
            make_workbook(tmp_path / "row.xlsx", row_text="w" * (MIB + 10)),
            "has a row or a text cell larger than 1 MB",
        ),
        "huge styles": (
            make_workbook(tmp_path / "styles.xlsx", styles=150_000),
            "the part xl/styles.xml is larger than 8 MB",
        ),
        "hidden tags": (
            make_workbook(tmp_path / "comment.xlsx", sheet_prefix=b"<!-- <row> -->"),
            "holds XML that spreadsheets do not write",
        ),
    }
    for kind, (path, message) in cases.items():
        assert path.stat().st_size < 4 * MIB, kind  # small files, large costs
        outcome, peak = _peak(path)
        assert isinstance(outcome, str) and message in outcome, (kind, outcome)
        assert "\n" not in outcome
        assert peak < 150, f"{kind}: refusing took {peak} MiB"


def test_a_normal_workbook_is_still_read(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "ok.xlsx", strings=1000, rows=500)
    with open_supplier_file(path) as opened:
        rows = list(opened.rows())
    assert len(rows) == 500 and rows[0].values["name"] == "N2"


# --------------------------------------------------------------------------- CSV


def test_wide_header_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    extra = ",".join(f"x{i}" for i in range(18_300))
    wide.write_text(f"Tax ID*,Name*,Email*,Notify*,{extra}\n1,a,b@c.example,1\n")
    with pytest.raises(FileRefused, match=r"has 18,304 columns; .* at most 16,384"):
        open_supplier_file(wide)


def test_header_at_excels_width_is_read_with_few_warnings(tmp_path: Path) -> None:
    path = tmp_path / "excel_wide.csv"
    extra = ",".join(f"x{i}" for i in range(16_384 - 4))
    path.write_text(f"Tax ID*,Name*,Email*,Notify*,{extra}\n77.123.456-9,a,b@c.example,1\n")
    with open_supplier_file(path) as opened:
        assert len(opened.info.warnings) == 11
        assert "… and 16,370 more columns" in opened.info.warnings[-1]
        assert [r.values["name"] for r in opened.rows()] == ["a"]


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    runner = Cli(tmp_path / "cli.db", capsys, monkeypatch)
    added = runner(
        "company", "add", "--country", "CL", "--tax-id", "76.086.428-5", "--name", "Andes SpA"
    )
    assert added.code == 0, added.err
    return runner


def _refused(cli: Cli, path: Path, *needles: str) -> Result:
    result = cli("suppliers", "import", str(path), "--company", COMPANY)
    assert result.code == 1, (result.out, result.err)
    assert result.err.count("\n") == 1 and "Traceback" not in result.err, result.err
    for needle in needles:
        assert needle in result.err
    listed = cli("suppliers", "list", "--company", COMPANY, "--format", "json")
    assert json.loads(listed.out) == []  # nothing stored, altered or not
    return result


def test_cli_refuses_mixed_encodings_with_the_line(cli: Cli) -> None:
    _refused(cli, CORPUS / "mixed_encodings.csv", "mixes text encodings: line 3 is not UTF-8")


def test_cli_refuses_a_stray_quote_with_the_line(cli: Cli) -> None:
    _refused(cli, CORPUS / "stray_quote.csv", 'Line 3: a quote (") inside a quoted cell')
    _refused(cli, CORPUS / "unclosed_quote_at_end.csv", "Line 2: a quote")


def test_cli_refuses_a_header_wider_than_excel(cli: Cli, tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    wide.write_text("Tax ID*,Name*,Email*,Notify*," + ",".join("x" * 18_300) + "\n")
    _refused(cli, wide, "at most 16,384")


def test_cli_refuses_a_costly_workbook(cli: Cli, tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "many.xlsx", strings=xlsx_limits.MAX_SHARED_STRINGS + 1)
    _refused(cli, path, "holds more distinct texts than can be read safely")


def test_spanish_messages(tmp_path: Path) -> None:
    from gosocket_tui.i18n import set_language

    set_language("es")
    try:
        with pytest.raises(FileRefused, match="mezcla codificaciones de texto: la línea 3"):
            open_supplier_file(CORPUS / "mixed_encodings.csv")
        path = make_workbook(tmp_path / "c.xlsx", sheet_prefix=b"<!-- x -->")
        with pytest.raises(FileRefused, match="contiene XML que las planillas no escriben"):
            open_supplier_file(path)
    finally:
        set_language("en")
