"""TUI fixtures: apps built with the one factory in snapshot mode, and pilot helpers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from gosocket_tui.config import with_overrides
from gosocket_tui.services.context import ServiceContext
from gosocket_tui.services.demo import DemoInfo, demo_info, load_fixture
from gosocket_tui.tui.app import GosocketApp, make_app

AppFactory = Callable[..., GosocketApp]


def _factory(ctx: ServiceContext, demo: DemoInfo | None = None) -> AppFactory:
    def build(*, lang: str = "en") -> GosocketApp:
        base = ctx
        if lang != base.config.lang:
            base = dataclasses.replace(base, config=with_overrides(base.config, lang=lang))
        return make_app(base, demo=demo, animations=False, cursor_blink=False, deliver_mail=False)

    return build


@pytest.fixture
def make(ctx: ServiceContext, buyers: object) -> AppFactory:
    """Build the app the way the CLI does, but deterministic (no blink, no animation).

    The database holds the ``buyers`` fixture: ana (admin) and carlos at Comercial Andes SpA,
    lucia (admin) and jorge at Distribuidora del Pacífico SAC, all with ``PASSWORD``.
    """
    return _factory(ctx)


@pytest.fixture
def make_demo(demo_ctx: ServiceContext) -> AppFactory:
    """The app on the trainers' demo data, with the demo accounts on the login screen."""
    return _factory(demo_ctx, demo_info(load_fixture()))
