"""``suppliers stats``: the Overview's figures on the command line, table and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import Cli

BUYER = "CL:760864285"


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    runner = Cli(tmp_path / "cli.db", capsys, monkeypatch)
    for country, tax_id, name in (
        ("CL", "76.086.428-5", "Comercial Andes SpA"),
        ("PE", "20100070970", "Distribuidora del Pacífico SAC"),
    ):
        added = runner("company", "add", "--country", country, "--tax-id", tax_id, "--name", name)
        assert added.code == 0, added.err
    suppliers = (
        ("CO", "860007386-1", "Cafés SAS"),
        ("CL", "96.790.240-3", "[@click=quit] \x1b[2J"),
    )
    for country, tax_id, name in suppliers:
        added = runner(
            "suppliers", "add", "--company", BUYER, "--country", country, "--tax-id", tax_id,
            "--name", name, "--email", "ventas@prov.example",
        )  # fmt: skip
        assert added.code == 0, added.err
    assert runner("suppliers", "invite", "--company", BUYER, "CL:96.790.240-3").code == 0
    return runner


def test_json_has_stable_keys_and_the_companys_figures(cli: Cli) -> None:
    result = cli("suppliers", "stats", "--company", BUYER, "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert list(data) == [
        "company", "total", "funnel", "beside", "days_to_activation", "weeks", "oldest_pending",
    ]  # fmt: skip
    assert data["total"] == 2
    assert data["funnel"]["not_invited"] == {"count": 1, "percent": 50.0}
    assert data["funnel"]["invited"] == {"count": 1, "percent": 50.0}
    assert data["beside"]["expired"] == {"count": 0, "percent": 0.0}
    assert data["days_to_activation"] == {"activations": 0, "median": None, "p90": None}
    assert len(data["weeks"]) == 12
    assert set(data["weeks"][0]) == {"week_start", "invited", "activated"}
    [pending] = data["oldest_pending"]
    assert (pending["tax_id"], pending["state"], pending["age_days"]) == ("967902403", "queued", 0)
    assert "\x1b" not in result.out


def test_table_names_the_states_and_shows_no_control_characters(cli: Cli) -> None:
    result = cli("suppliers", "stats", "--company", BUYER)
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == "Comercial Andes SpA (CL:76.086.428-5): 2 suppliers"
    assert "Not invited" in result.out and "Delivery failed" in result.out
    assert "median –, 90th percentile –" in result.out
    assert "96.790.240-3" in result.out
    assert "\x1b" not in result.out


def test_another_company_sees_only_its_own_zeros(cli: Cli) -> None:
    result = cli("suppliers", "stats", "--company", "PE:20100070970", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["total"] == 0 and data["oldest_pending"] == []
    assert data["funnel"]["registered"]["percent"] == 0.0


def test_an_unknown_company_is_one_line_on_stderr(cli: Cli) -> None:
    result = cli("suppliers", "stats", "--company", "CL:11.111.111-1")
    assert result.code == 1
    assert len(result.err.splitlines()) == 1


def test_spanish_catalog_covers_the_overview() -> None:
    """Every message of the Overview (view, charts, CLI) has its Spanish translation."""
    import ast

    from gosocket_tui.i18n import translate

    root = Path(__file__).resolve().parents[2] / "gosocket_tui"
    modules = ("tui/views/overview.py", "tui/widgets/overview_charts.py", "cli/stats.py")
    ids = {
        node.args[0].value
        for module in modules
        for node in ast.walk(ast.parse((root / module).read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and isinstance(node.args[0], ast.Constant)
    }
    assert ids
    untranslated = {text for text in ids if translate(text, "es") == text and text != "{days} d"}
    assert not untranslated
