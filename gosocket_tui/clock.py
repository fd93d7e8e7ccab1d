"""One injectable source of time and of randomness.

Every service reads the time and draws random bytes through these, so tests and snapshots can
freeze both. Times are naive UTC datetimes everywhere in the database.
"""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time as a naive UTC datetime."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC).replace(tzinfo=None)


class FixedClock:
    """A clock that only moves when told to (tests, snapshots)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 2, 12, 0, 0)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)

    def set(self, when: datetime) -> None:
        self._now = when


class RandomSource(Protocol):
    def token_bytes(self, n: int) -> bytes: ...


class SystemRandom:
    """Cryptographic randomness from ``secrets``: the production source."""

    def token_bytes(self, n: int) -> bytes:
        return secrets.token_bytes(n)


class SeededRandom:
    """Deterministic bytes for tests and snapshots only; never for real codes."""

    def __init__(self, seed: int = 1234) -> None:
        self._rng = random.Random(seed)

    def token_bytes(self, n: int) -> bytes:
        return self._rng.randbytes(n)
