"""The command line's I/O, passed in: streams, the user's folders, and (for tests) playback.

``main(argv, env)`` takes an :class:`Environment` (like httpie's); a command reads it with
:func:`current`. Without one, the process's own streams and ``os.environ``'s folders are used.
"""

from __future__ import annotations

import contextvars
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from matcue.store.paths import Folders, folders

if TYPE_CHECKING:
    from matcue.api import Clock, Device, Inbox


@dataclass(frozen=True)
class Playback:
    """What ``play`` plays with instead of the real device, clock and terminal keys (a test's
    virtual time): commands come from ``commands`` alone, and ``background`` runs a live pace
    change's work (a thread when None)."""

    device: Device
    clock: Clock
    commands: Inbox
    background: Callable[[Callable[[], None]], object] | None = None


@dataclass(frozen=True)
class Environment:
    """The CLI's I/O, passed in so tests can swap it."""

    stdout: TextIO
    stderr: TextIO
    stdin_is_tty: bool
    playback: Playback | None = None
    folders: Folders | None = None  # None: from os.environ (MATCUE_CONFIG, ...), when needed

    def where(self) -> Folders:
        """The user's config file and folders: this environment's, else ``os.environ``'s."""
        return self.folders or folders()

    def warn(self, text: str) -> None:
        """A warning line on stderr: ``matcue: warning: TEXT``."""
        print(f"matcue: warning: {shorten(text)}", file=self.stderr)


LONG = 200  # characters without a space or quote: longer, and a message shows only ...
SHOWN = 60  # ... the first this many, and "…"
_LONG_RUN = re.compile(rf"[^\s'\"]{{{LONG + 1},}}")


def shorten(message: str) -> str:
    """``message`` with every value in it longer than :data:`LONG` characters (an option
    value of thousands, echoed back) cut to its first :data:`SHOWN` and "…"; paths and
    words of an ordinary length stay whole."""
    return _LONG_RUN.sub(lambda m: m.group()[:SHOWN] + "…", message)


_ENVIRONMENT: contextvars.ContextVar[Environment | None] = contextvars.ContextVar(
    "matcue_environment", default=None
)


def current() -> Environment:
    """The environment ``main`` was given, else the process's own."""
    return _ENVIRONMENT.get() or Environment(sys.stdout, sys.stderr, sys.stdin.isatty())


def given(env: Environment | None) -> contextvars.Token[Environment | None]:
    """Make ``env`` the current environment (until ``_ENVIRONMENT.reset(token)``)."""
    return _ENVIRONMENT.set(env)


def reset(token: contextvars.Token[Environment | None]) -> None:
    _ENVIRONMENT.reset(token)
