"""The demo empties, reseeds and shows its shared password only on a database it seeded:
``gosocket-tui --db <real data> demo --fresh`` (or the tour's Restart) must never wipe it."""

from __future__ import annotations

import pytest

from gosocket_tui.config import Config
from gosocket_tui.db.models import Company, SupplierLink, User
from gosocket_tui.errors import UserError
from gosocket_tui.services import companies, demo
from gosocket_tui.services.context import ServiceContext, open_context


@pytest.fixture
def real_data(ctx: ServiceContext) -> int:
    """A database with a company of its own, never seeded by the demo."""
    companies.create_company(ctx, "CL", "76.086.428-5", "Comercial Andes SpA")
    return Company.select().count()


@pytest.mark.parametrize("fresh", [False, True])
def test_the_demo_refuses_a_database_with_real_data(
    config: Config, ctx: ServiceContext, real_data: int, fresh: bool
) -> None:
    with pytest.raises(UserError, match="not the demo's"):
        demo.prepare_demo(config, fresh=fresh)
    assert Company.select().count() == real_data
    assert not User.select().exists()  # no demo accounts with the shared password


def test_the_tours_restart_refuses_a_database_with_real_data(
    ctx: ServiceContext, real_data: int
) -> None:
    with pytest.raises(UserError, match="not the demo's"):
        demo.reset_demo(ctx)
    assert Company.select().count() == real_data


def test_an_empty_database_becomes_a_demo_and_fresh_starts_it_over(config: Config) -> None:
    ctx, _info = demo.prepare_demo(config)
    try:
        assert demo.is_demo_database(ctx)
        seeded = SupplierLink.select().count()
        SupplierLink.delete().where(SupplierLink.id == SupplierLink.select().first().id).execute()
    finally:
        ctx.close()
    ctx, _info = demo.prepare_demo(config, fresh=True)
    try:
        assert SupplierLink.select().count() == seeded
    finally:
        ctx.close()
    reopened = open_context(config)
    try:
        assert demo.is_demo_database(reopened)
    finally:
        reopened.close()
