"""F12 and "Save screenshot": the screen as SVG in the screenshots folder, by the app's names.

The folder is private (``0700``, files ``0600``), nothing in it is replaced or written through
a link, the name says screen, language, size and time, and no markup in data takes a picture.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import Static

from gosocket_tui.config import with_overrides
from gosocket_tui.services import suppliers
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.session import Session
from gosocket_tui.services.suppliers import SupplierInput
from gosocket_tui.tui.app import GosocketApp, make_app
from gosocket_tui.tui.presets import SNAPSHOT
from tests.cli_helpers import Cli
from tests.conftest import PASSWORD
from tests.tui.flows import open_activation
from tests.tui.helpers import log_in, settle, wait_for
from tests.tui.test_hostile_text import click_everywhere, rows_showing

STAMP = "20260302T120000Z"  # the tests' FixedClock


def app_with_shots(ctx: ServiceContext, folder: Path, *, remote: bool = False) -> GosocketApp:
    return make_app(ctx, preset=SNAPSHOT, screenshots=folder, remote=remote)


def notices(app: GosocketApp) -> list[str]:
    return [str(notice.message) for notice in app.notices]


async def test_f12_on_the_login_screen_saves_a_private_picture(
    ctx: ServiceContext, buyers: object, tmp_path: Path
) -> None:
    folder = tmp_path / "shots" / "nested"
    app = app_with_shots(ctx, folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f12")
        await settle(pilot)
        saved = folder / f"login-en-80x24-{STAMP}.svg"
        assert saved.read_text(encoding="utf-8").startswith("<svg")
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
        assert f"Screenshot saved: {saved}" in notices(app)


async def test_f12_on_the_activation_screen_in_spanish(
    ctx: ServiceContext, buyers: object, tmp_path: Path
) -> None:
    app = make_app(
        dataclasses.replace(ctx, config=with_overrides(ctx.config, lang="es")),
        preset=SNAPSHOT,
        screenshots=tmp_path,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await open_activation(pilot)
        await pilot.press("f12")
        await settle(pilot)
    assert (tmp_path / f"activation-es-80x24-{STAMP}.svg").is_file()


async def test_f12_and_the_palette_in_the_shell_never_replace_a_picture(
    ctx: ServiceContext, buyers: object, tmp_path: Path
) -> None:
    folder = tmp_path / "shots"
    app = app_with_shots(ctx, folder)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        await pilot.press("f12")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Save screenshot", "enter")
        await wait_for(pilot, lambda: len(list(folder.iterdir())) == 2)
        await settle(pilot)
    assert sorted(p.name for p in folder.iterdir()) == [
        f"suppliers-en-100x30-{STAMP}-2.svg",
        f"suppliers-en-100x30-{STAMP}.svg",
    ]
    second = (folder / f"suppliers-en-100x30-{STAMP}-2.svg").read_text(encoding="utf-8")
    assert "Save&#160;screenshot" not in second  # the palette was gone before the picture


async def test_a_link_at_a_picture_name_is_not_followed(
    ctx: ServiceContext, buyers: object, tmp_path: Path
) -> None:
    folder = tmp_path / "shots"
    folder.mkdir(mode=0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    (folder / f"login-en-80x24-{STAMP}.svg").symlink_to(victim)
    app = app_with_shots(ctx, folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f12")
        await settle(pilot)
    assert victim.read_text(encoding="utf-8") == "keep"
    assert (folder / f"login-en-80x24-{STAMP}-2.svg").is_file()


@pytest.mark.parametrize("kind", ["link", "file", "foreign"])
async def test_an_unusable_folder_is_refused_in_a_notice(
    ctx: ServiceContext, buyers: object, tmp_path: Path, kind: str
) -> None:
    real = tmp_path / "real"
    real.mkdir()
    folder = tmp_path / "shots"
    if kind == "link":
        folder.symlink_to(real)
    elif kind == "file":
        folder.write_text("", encoding="utf-8")
    else:
        if os.getuid() != 0:
            pytest.skip("giving a folder to another user needs root")
        folder.mkdir()
        os.chown(folder, 54321, 54321)
    app = app_with_shots(ctx, folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f12")
        await settle(pilot)
        expected = {
            "link": "is a symbolic link",
            "file": "is not a folder",
            "foreign": "belongs to another user",
        }[kind]
        assert any(expected in text for text in notices(app)), notices(app)
    assert list(real.iterdir()) == []


async def test_markup_in_a_supplier_name_takes_no_picture(
    ctx: ServiceContext, admin: Session, tmp_path: Path
) -> None:
    name = "[@click=app.screenshot]SHOT SHOT[/]"
    data = SupplierInput(country="CL", tax_id="96.790.240-3", name=name, email="x@example.com")
    suppliers.add_supplier(ctx, admin, data)
    folder = tmp_path / "shots"
    app = app_with_shots(ctx, folder)
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "ana", PASSWORD)
        await pilot.press(*"96790240", "enter")
        await wait_for(pilot, lambda: bool(rows_showing(app, "[@click=app.screenshot")))
        await click_everywhere(pilot, rows_showing(app, "[@click=app.screenshot"), step=1)
        # Should markup ever reach a widget, its link still runs nothing.
        static = Static("[@click=app.screenshot]SHOT SHOT SHOT[/]")
        await app.screen.mount(static)
        await pilot.pause()
        await click_everywhere(pilot, range(static.region.y, static.region.bottom), step=1)
        await settle(pilot)
    assert not folder.exists() or list(folder.iterdir()) == []


async def test_a_remote_session_saves_in_its_outbox_only(
    ctx: ServiceContext, buyers: object, tmp_path: Path
) -> None:
    folder = tmp_path / "shots"
    app = app_with_shots(ctx, folder, remote=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f12")  # nobody logged in: no company, no exchange folder
        await settle(pilot)
        assert any("once you are logged in" in text for text in notices(app))
        await log_in(pilot, "ana", PASSWORD)
        await pilot.press("f12")
        await settle(pilot)
        assert app.session is not None
        outbox = app.files_for(app.session).target("x").parent
        name = f"suppliers-en-80x24-{STAMP}.svg"
        assert (outbox / name).is_file()
        assert f"Screenshot saved: {name}" in notices(app)
    assert not folder.exists()


def test_spanish_catalog_covers_the_screenshot_and_script_messages() -> None:
    import ast
    import json

    import gosocket_tui

    package = Path(gosocket_tui.__file__).parent
    modules = [
        "services/screenshots.py",
        "tui/screenshot.py",
        "tui/script.py",
        "cli/demo_script.py",
        "cli/demo_web.py",
        "cli/app.py",
    ]
    ids = {
        node.args[0].value
        for module in modules
        for node in ast.walk(ast.parse((package / module).read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and isinstance(node.args[0], ast.Constant)
    }
    catalog: dict[str, str] = {}
    for path in (package / "locale" / "es").glob("*.json"):
        catalog.update(json.loads(path.read_text(encoding="utf-8")))
    assert ids - set(catalog) == set()


@pytest.mark.parametrize("argv", [["--screenshots", "{dir}"], ["demo", "--screenshots", "{dir}"]])
def test_the_app_and_the_demo_take_the_folder_from_the_command_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
) -> None:
    seen: list[Path] = []

    def run(app: GosocketApp) -> None:  # instead of taking over the terminal
        seen.append(app.screenshots.folder)

    monkeypatch.setattr(GosocketApp, "run", run)
    monkeypatch.setattr("gosocket_tui.cli.base.require_terminal", lambda: None)
    monkeypatch.setattr("gosocket_tui.cli.app.require_terminal", lambda: None)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    cli = Cli(tmp_path / "app.db", capsys, monkeypatch)
    folder = tmp_path / "pictures"
    result = cli(*(arg.replace("{dir}", str(folder)) for arg in argv))
    assert result.code == 0, result.err
    assert seen == [folder]
