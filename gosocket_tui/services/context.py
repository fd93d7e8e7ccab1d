"""What every service call needs besides its arguments: the database, settings, time, chance.

``open_context`` is the one app factory's back half: the CLI, the TUI, the demo and the tests
all get their services this way, so they share one set of rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import peewee

from gosocket_tui.clock import Clock, RandomSource, SystemClock, SystemRandom
from gosocket_tui.config import Config
from gosocket_tui.db import migrations
from gosocket_tui.db.connection import open_database


@dataclass
class ServiceContext:
    db: peewee.Database
    config: Config
    clock: Clock = field(default_factory=SystemClock)
    rng: RandomSource = field(default_factory=SystemRandom)

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()


def open_context(
    config: Config,
    *,
    clock: Clock | None = None,
    rng: RandomSource | None = None,
    upgrade: bool = True,
) -> ServiceContext:
    """Open the configured database, bring its schema up to date, and bind the models."""
    db = open_database(config.db)
    if upgrade:
        migrations.upgrade(db)
    else:
        migrations.check_version(db)
    return ServiceContext(
        db=db, config=config, clock=clock or SystemClock(), rng=rng or SystemRandom()
    )
