"""How long a session may be, checked before any speech is made.

A routine file bounds each number (reps, sets, seconds), but together they can still ask for a
session of days. ``check_routine`` works out, without compiling, the least the session can
last at a pace (every timed phase at its scaled length, every phase with words at least its two
gaps, speech itself counted as nothing) and refuses one over ``MAX_SESSION_SECONDS``; so a
hostile routine never costs a long wait or a large timeline. ``check_timeline`` applies the same
bound to the compiled timeline, whose real speech may make it longer.
"""

from __future__ import annotations

from matcue.errors import InputError
from matcue.routine.model import Exercise, Routine
from matcue.timeline.compiler import SHORT_FROM_REP, _rep_specs, effective
from matcue.timeline.model import Pace, SideName, Timeline
from matcue.timeline.phrases import Phrases, phrases_for

__all__ = ["MAX_SESSION_SECONDS", "SessionTooLong", "check_routine", "check_timeline", "floor"]

MAX_SESSION_SECONDS = 6 * 3600.0
"""The longest session matcue plays or exports (six hours), at the chosen pace."""


class SessionTooLong(InputError):
    """The session would last longer than ``MAX_SESSION_SECONDS`` (exit code 2)."""


def floor(routine: Routine, pace: Pace, phrases: Phrases | None = None) -> float:
    """The least the session of ``routine`` can last at ``pace``, in seconds.

    The same phases as the compiler, without their words: a timed phase lasts at least its
    scaled seconds, and a phase that says anything at least ``2 × pace.gap``.
    """
    words = phrases or phrases_for(routine.language)
    total = 0.0
    for i, exercise in enumerate(routine.exercises):
        total += _exercise(
            effective(exercise, pace), pace, words, last=i == len(routine.exercises) - 1
        )
    return total


def _exercise(ex: Exercise, pace: Pace, words: Phrases, *, last: bool) -> float:
    """``ex`` as the session runs it (``effective``): its own pace on top of the session's."""
    spoken = 2 * pace.gap  # the least a phase with words lasts
    percent = pace.percent * ex.pace / 100.0

    def scale(seconds: float) -> float:
        return seconds * 100.0 / percent

    def timed(seconds: float) -> float:
        return max(scale(seconds), spoken) if seconds > 0 else 0.0

    def rep(side: SideName | None, short: bool) -> float:
        specs = _rep_specs(ex, side, short, words, pace, scale)
        return sum(max(scale(s.seconds), spoken if s.lines else 0.0) for s in specs)

    sides: tuple[SideName | None, ...] = (
        ("right", "left") if ex.sides in ("each", "alternate") else (None,)
    )
    long_reps = min(ex.reps, SHORT_FROM_REP - 1)
    one_set = sum(
        long_reps * rep(side, False) + (ex.reps - long_reps) * rep(side, True) for side in sides
    )
    if ex.sides == "each":
        one_set += max(scale(ex.timing.get_ready), spoken)  # the switch
    total = spoken + scale(ex.timing.get_ready)  # position, get ready
    total += ex.sets * one_set + (ex.sets - 1) * timed(ex.timing.set_rest)
    if not last:
        total += timed(ex.timing.rest)
    return total


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
    seconds = floor(routine, pace)
    if seconds > MAX_SESSION_SECONDS:
        raise _too_long("the session would last at least", seconds, pace)


def check_timeline(timeline: Timeline) -> None:
    """Raise ``SessionTooLong`` when the compiled session lasts over the bound."""
    if timeline.duration > MAX_SESSION_SECONDS:
        raise _too_long("the session would last", timeline.duration, timeline.pace)
