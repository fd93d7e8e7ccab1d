"""What one client may cost the server: failed logins per address, sessions per user and in all.

Counted in the server's memory: a restart forgets them, which costs an attacker nothing it
could not get by waiting for the window to pass.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class FailedLogins:
    """At most ``limit`` failed connections per source address in ``window_seconds``.

    A connection that ends without authenticating counts once, however many keys it offered:
    a client that tries each key of an agent is not punished for it.
    """

    limit: int = 10
    window_seconds: float = 300.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, address: str) -> deque[float]:
        times = self._failures.get(address, deque())
        cutoff = self.clock() - self.window_seconds
        while times and times[0] < cutoff:
            times.popleft()
        if not times:
            self._failures.pop(address, None)
        return times

    def blocked(self, address: str) -> bool:
        return len(self._recent(address)) >= self.limit

    def failed(self, address: str) -> None:
        times = self._recent(address)
        times.append(self.clock())
        self._failures[address] = times


@dataclass
class SessionCaps:
    """Open interactive sessions: at most ``total`` in all and ``per_user`` for one user."""

    total: int = 50
    per_user: int = 5
    _open: dict[str, int] = field(default_factory=dict)

    @property
    def open_count(self) -> int:
        return sum(self._open.values())

    def try_open(self, username: str) -> bool:
        """Count a new session for ``username``, or False when a cap is reached."""
        if self.open_count >= self.total or self._open.get(username, 0) >= self.per_user:
            return False
        self._open[username] = self._open.get(username, 0) + 1
        return True

    def close(self, username: str) -> None:
        left = self._open.get(username, 0) - 1
        if left > 0:
            self._open[username] = left
        else:
            self._open.pop(username, None)


@dataclass
class ActivationLimits:
    """Activation sessions (``ssh activate@host``) per source address: at most ``concurrent``
    open at once and ``per_window`` started in ``window_seconds``; and ``total`` open in all,
    so that many addresses together cannot take every session of the server.

    Anyone may open one with any key, so the address is all there is to count by. Each
    session may try codes; the services' own limit (wrong codes per invitation) holds behind
    this one whatever the address.
    """

    concurrent: int = 2
    per_window: int = 5
    window_seconds: float = 900.0
    total: int = 10
    clock: Callable[[], float] = time.monotonic
    _open: dict[str, int] = field(default_factory=dict)
    _started: dict[str, deque[float]] = field(default_factory=dict)

    def try_open(self, address: str) -> str:
        """Count a new session from ``address``: "" when allowed, else why not ("full": too
        many open in all, "busy": too many open from the address now, "rate": too many
        started from it in the window)."""
        if sum(self._open.values()) >= self.total:
            return "full"
        if self._open.get(address, 0) >= self.concurrent:
            return "busy"
        times = self._started.get(address, deque())
        cutoff = self.clock() - self.window_seconds
        while times and times[0] < cutoff:
            times.popleft()
        if len(times) >= self.per_window:
            return "rate"
        times.append(self.clock())
        self._started[address] = times
        self._open[address] = self._open.get(address, 0) + 1
        return ""

    def close(self, address: str) -> None:
        left = self._open.get(address, 0) - 1
        if left > 0:
            self._open[address] = left
        else:
            self._open.pop(address, None)
