"""The garbage collector while a shell opens: out of the way until the first rows are painted.

A full collection walks every object in cycles, and a Textual screen is thousands of them: on
the 2-core reference machine one takes 50–150 ms, and when it lands while the shell is being
built the first rows wait that long (``benchmarks/suppliers_scale.py``). So:

* the objects the process built before its first login (modules, classes, parsed CSS, the
  login screen: long-lived, most of the heap) are frozen once, out of every later collection;
  once only, as a later freeze would also keep the garbage of closed shells for good;
* while a shell opens, collections wait until a table has painted its first rows, or at most
  :data:`OPEN_PAUSE_SECONDS`; what piled up meanwhile is collected right after.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

OPEN_PAUSE_SECONDS = 2.0


class OpeningPause:
    """Pauses the collector while a shell opens (see the module text)."""

    def __init__(self) -> None:
        self._paused = False
        self._timer: Timer | None = None

    def start(self, app: App[Any]) -> None:
        """A shell starts opening: freeze the startup heap (once), hold collections."""
        if gc.get_freeze_count() == 0:
            gc.freeze()
        if self._timer is not None:
            self._timer.stop()  # an earlier opening's limit must not end this pause
        if gc.isenabled():  # not when someone else paused it (Textual, while scrolling)
            gc.disable()
            self._paused = True
        if self._paused:
            self._timer = app.set_timer(OPEN_PAUSE_SECONDS, self._ran_out)

    def _ran_out(self) -> None:
        self._timer = None  # it has fired: nothing to stop
        self.end()

    def end(self) -> None:
        """The first rows are on screen (or the pause ran out): collections go on."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._paused:
            self._paused = False
            gc.enable()
