"""How long a session may be, checked before any speech is made.

A routine file bounds each number (reps, sets, seconds), but together they can still ask for a
session of days. ``check_routine`` works out, without compiling, the least the session can
last at a pace (:func:`~matcue.timeline.compiler.least_duration`) and refuses one over
``MAX_SESSION_SECONDS``; so a hostile routine never costs a long wait or a large timeline.
``check_timeline`` applies the same bound to the compiled timeline, whose real speech may make
it longer.
"""

from __future__ import annotations

from matcue.errors import InputError
from matcue.routine.model import Routine
from matcue.timeline.compiler import least_duration
from matcue.timeline.model import Pace, Timeline

__all__ = ["MAX_SESSION_SECONDS", "SessionTooLong", "check_routine", "check_timeline"]

MAX_SESSION_SECONDS = 6 * 3600.0
"""The longest session matcue plays or exports (six hours), at the chosen pace."""


class SessionTooLong(InputError):
    """The session would last longer than ``MAX_SESSION_SECONDS`` (exit code 2)."""


def _length(seconds: float) -> str:
    """``7 hours 12 minutes``, rounded down to the minute (never below the bound's 6 hours)."""
    hours, minutes = divmod(int(seconds // 60), 60)
    return f"{hours} hours {minutes} minutes" if minutes else f"{hours} hours"


def _too_long(what: str, seconds: float, pace: Pace) -> SessionTooLong:
    bound = f"{MAX_SESSION_SECONDS / 3600:g} hours"
    return SessionTooLong(
        f"{what} {_length(seconds)} at pace {pace.percent:g}, more than the {bound} "
        "a session may last; shorten the routine or pick a faster --pace"
    )


def check_routine(routine: Routine, pace: Pace) -> None:
    """Raise ``SessionTooLong`` when the session would surely last over the bound."""
    seconds = least_duration(routine, pace)
    if seconds > MAX_SESSION_SECONDS:
        raise _too_long("the session would last at least", seconds, pace)


def check_timeline(timeline: Timeline) -> None:
    """Raise ``SessionTooLong`` when the compiled session lasts over the bound."""
    if timeline.duration > MAX_SESSION_SECONDS:
        raise _too_long("the session would last", timeline.duration, timeline.pace)
