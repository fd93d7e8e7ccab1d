"""Shared fixtures: a real SQLite file per test, a frozen clock, seeded randomness."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from gosocket_tui.clock import FixedClock, SeededRandom
from gosocket_tui.config import Config, load_config
from gosocket_tui.i18n import set_language
from gosocket_tui.services import auth, companies, passwords
from gosocket_tui.services.context import ServiceContext, open_context
from gosocket_tui.services.demo import DEMO_PASSWORD, load_fixture, seed_demo
from gosocket_tui.services.session import Session

BUYER_REF = "CL:76.086.428-5"
OTHER_BUYER_REF = "PE:20100070970"
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _cheap_password_hashing(request: pytest.FixtureRequest) -> Iterator[None]:
    """Hash passwords with a light argon2id profile: every login and every fixture user costs a
    hash, and the production profile (64 MiB) makes the suite several times slower. Tests of
    the hashing itself opt out with the ``real_argon2`` marker."""
    if request.node.get_closest_marker("real_argon2"):
        yield
        return
    light = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", light)
        passwords.dummy_hash.cache_clear()
        yield
    passwords.dummy_hash.cache_clear()


@pytest.fixture(autouse=True)
def _local_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as a local session even when pytest itself runs over SSH; remote-mode tests
    say so explicitly (``make_app(..., remote=True)``)."""
    monkeypatch.delenv("SSH_CONNECTION", raising=False)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


TEST_DB = os.environ.get("GOSOCKET_TEST_DB", "")
"""Empty or ``sqlite``: a SQLite file per test. A ``postgresql://`` URL of a server where we
may create databases: a fresh database per test on that server (see README)."""


def on_postgres() -> bool:
    return TEST_DB.startswith("postgres")


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for one test, on the engine GOSOCKET_TEST_DB selects."""
    if not on_postgres():
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    import psycopg2

    name = f"gosocket_test_{uuid.uuid4().hex[:16]}"
    admin = psycopg2.connect(TEST_DB)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    base, _, _ = TEST_DB.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@pytest.fixture
def config(db_url: str, tmp_path: Path) -> Config:
    return load_config(
        {"db": db_url, "lang": "en", "exchange_dir": str(tmp_path / "exchange")},
        env={},
        config_path=tmp_path / "missing.toml",
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def ctx(config: Config, clock: FixedClock) -> Iterator[ServiceContext]:
    context = open_context(config, clock=clock, rng=SeededRandom())
    yield context
    context.close()


@pytest.fixture
def buyers(ctx: ServiceContext) -> tuple[companies.CompanyInfo, companies.CompanyInfo]:
    """Two buyer companies, each with an administrator and a non-administrator."""
    one = companies.create_company(ctx, "CL", "76.086.428-5", "Comercial Andes SpA")
    two = companies.create_company(ctx, "PE", "20100070970", "Distribuidora del Pacífico SAC")
    auth.create_user(ctx, BUYER_REF, "ana", PASSWORD, is_admin=True)
    auth.create_user(ctx, BUYER_REF, "carlos", PASSWORD)
    auth.create_user(ctx, OTHER_BUYER_REF, "lucia", PASSWORD, is_admin=True)
    auth.create_user(ctx, OTHER_BUYER_REF, "jorge", PASSWORD)
    return one, two


@pytest.fixture
def admin(ctx: ServiceContext, buyers: object) -> Session:
    return auth.authenticate(ctx, "ana", PASSWORD)


@pytest.fixture
def viewer(ctx: ServiceContext, buyers: object) -> Session:
    return auth.authenticate(ctx, "carlos", PASSWORD)


@pytest.fixture
def other_admin(ctx: ServiceContext, buyers: object) -> Session:
    return auth.authenticate(ctx, "lucia", PASSWORD)


@pytest.fixture
def demo_ctx(ctx: ServiceContext) -> ServiceContext:
    """The trainers' demo data (4 buyers, 960 suppliers); log in with DEMO_PASSWORD."""
    seed_demo(ctx, load_fixture())
    return ctx


__all__ = ["BUYER_REF", "DEMO_PASSWORD", "OTHER_BUYER_REF", "PASSWORD"]
