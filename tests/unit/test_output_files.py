"""Output files: an existing file only with force, never an input, never a device or FIFO."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from gosocket_tui.i18n import set_language
from gosocket_tui.services import bulk
from gosocket_tui.services.output_files import OutputRefused, check_output, open_output

Writer = Callable[[Path, bool], None]


def _template(path: Path, force: bool) -> None:
    bulk.write_template(path, "csv", "en", force=force)


def _template_xlsx(path: Path, force: bool) -> None:
    bulk.write_template(path, "xlsx", "en", force=force)


def _report(path: Path, force: bool) -> None:
    bulk.write_report_csv(path, [["Row", "Problem"], ["2", "bad"]], force=force)


WRITERS: dict[str, Writer] = {
    "template_csv": _template,
    "template_xlsx": _template_xlsx,
    "report_csv": _report,
}


def _device(tmp_path: Path) -> Path:
    """A character device node in tmp_path (the null device), where the system allows it."""
    node = tmp_path / "null-device"
    try:
        os.mknod(node, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except (PermissionError, OSError):
        pytest.skip("creating a device node needs privileges")
    return node


@pytest.mark.parametrize("name", WRITERS)
def test_existing_file_is_refused_without_force(tmp_path: Path, name: str) -> None:
    target = tmp_path / f"out.{'xlsx' if 'xlsx' in name else 'csv'}"
    target.write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputRefused, match="already exists; choose another name or add --force"):
        WRITERS[name](target, False)
    assert target.read_text(encoding="utf-8") == "keep me"
    WRITERS[name](target, True)
    assert target.read_bytes() != b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no temporary left


@pytest.mark.parametrize("name", WRITERS)
@pytest.mark.parametrize("force", [False, True])
def test_non_regular_targets_are_never_replaced(tmp_path: Path, name: str, force: bool) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    link = tmp_path / "link.csv"
    link.symlink_to("/dev/null")
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "nowhere.csv")
    for target, kind in (
        (fifo, "a pipe"),
        (folder, "a folder"),
        (link, "a device"),
        (dangling, "a link to nothing"),
    ):
        with pytest.raises(OutputRefused, match=kind):
            WRITERS[name](target, force)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert folder.is_dir() and not any(folder.iterdir())
    assert link.is_symlink() and os.readlink(link) == "/dev/null"
    assert not (tmp_path / "nowhere.csv").exists()


@pytest.mark.parametrize("force", [False, True])
def test_device_node_stays_a_device(tmp_path: Path, force: bool) -> None:
    node = _device(tmp_path)
    with pytest.raises(OutputRefused, match="is a device, not a file it may replace"):
        _template(node, force)
    assert stat.S_ISCHR(node.lstat().st_mode)


def test_forced_link_to_a_regular_file_replaces_that_file(tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    _template(link, True)
    assert link.is_symlink()
    assert "Tax ID" in real.read_text(encoding="utf-8-sig")


def test_input_file_is_never_the_output_even_forced(tmp_path: Path) -> None:
    source = tmp_path / "suppliers.csv"
    source.write_text("Tax ID,Name,Email,Notify\n", encoding="utf-8")
    hard = tmp_path / "other-name.csv"
    os.link(source, hard)
    for target in (source, hard, tmp_path / "." / "suppliers.csv"):
        with pytest.raises(OutputRefused, match="is the input file"):
            bulk.write_report_csv(target, [["x"]], force=True, inputs=[source])
    assert source.read_text(encoding="utf-8") == "Tax ID,Name,Email,Notify\n"


def test_bad_folders_and_names_end_in_one_line(tmp_path: Path) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("x", encoding="utf-8")
    cases = {
        afile / "out.csv": "a-file is a file, not a folder",
        afile / "sub" / "out.csv": "a part of it is a file, not a folder",
        tmp_path / "missing" / "out.csv": "does not exist",
        tmp_path / ("n" * 300 + ".csv"): "the name is too long",
        tmp_path / ("d" * 300) / "out.csv": "the name is too long",
    }
    for target, reason in cases.items():
        with pytest.raises(OutputRefused) as caught:
            _template(target, True)
        assert reason in caught.value.message
        assert "\n" not in caught.value.message and len(caught.value.message) < 300


def test_failure_halfway_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), open_output(target, force=True) as fh:
        fh.write("half")
        raise RuntimeError("killed")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_target_appearing_meanwhile_is_not_clobbered(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(OutputRefused, match="already exists"), open_output(target) as fh:
        fh.write("mine")
        target.write_text("someone else's", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "someone else's"


def test_new_files_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        _template(tmp_path / "t.csv", False)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "t.csv").stat().st_mode) == 0o600


def test_messages_in_spanish(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("x", encoding="utf-8")
    set_language("es")
    try:
        with pytest.raises(OutputRefused, match="ya existe"):
            check_output(target)
        with pytest.raises(OutputRefused, match="es el archivo de entrada"):
            check_output(target, force=True, inputs=[target])
    finally:
        set_language("en")


def test_spanish_catalog_covers_every_message() -> None:
    import ast
    import json

    from gosocket_tui.services import output_files

    source = Path(output_files.__file__).read_text(encoding="utf-8")
    ids = {
        node.args[0].value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and isinstance(node.args[0], ast.Constant)
    }
    catalog_path = Path(output_files.__file__).parents[1] / "locale" / "es" / "output_files.json"
    catalog = json.loads(catalog_path.read_text(encoding="utf-8"))
    assert ids <= set(catalog)
