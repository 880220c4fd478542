"""The session's time, injected: the real monotonic clock, or a test's virtual one.

The loop reads ``now()`` to know where the sound is (``frame = origin + (now - t0) × rate``)
and ``sleep()`` only while it waits for a device to finish; it waits for commands through its
inbox (:mod:`matcue.playback.commands`). A virtual clock that moves only when asked makes the
loop's behaviour exact and repeatable, whatever the machine is doing.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds, monotonic."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The machine's monotonic clock."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))
