"""TUI fixtures: apps from the one factory with the ``SNAPSHOT`` preset, and a mail sink."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gosocket_tui.clock import FixedClock
from gosocket_tui.mail.sink import MailSink
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.demo import DemoInfo, demo_info, load_fixture
from gosocket_tui.tui.app import GosocketApp
from tests.tui.helpers import build_app

AppFactory = Callable[..., GosocketApp]


def _factory(ctx: ServiceContext, demo: DemoInfo | None = None) -> AppFactory:
    def build(lang: str = "en", **options: Any) -> GosocketApp:
        return build_app(ctx, demo=demo, lang=lang, **options)

    return build


@pytest.fixture
def make(ctx: ServiceContext, buyers: object) -> AppFactory:
    """Build the app the way the CLI does, but deterministic (no blink, no animation, no
    background delivery): ``make(lang="es", deliver_mail=True, maildir=path)``.

    The database holds the ``buyers`` fixture: ana (admin) and carlos at Comercial Andes SpA,
    lucia (admin) and jorge at Distribuidora del Pacífico SAC, all with ``PASSWORD``.
    """
    return _factory(ctx)


@pytest.fixture
def demo_app(demo_ctx: ServiceContext) -> AppFactory:
    """The app over the trainers' demo data (``ana.admin``, ``carlos.viewer`` …)."""
    return _factory(demo_ctx)


@pytest.fixture
def make_demo(demo_ctx: ServiceContext) -> AppFactory:
    """The app on the trainers' demo data, with the demo accounts on the login screen."""
    return _factory(demo_ctx, demo_info(load_fixture()))


@pytest.fixture
def sink(tmp_path: Path, clock: FixedClock) -> Iterator[MailSink]:
    """A real SMTP sink on loopback whose reception times come from the test's clock."""
    with MailSink(maildir=tmp_path / "maildir", clock=clock.now) as server:
        yield server
