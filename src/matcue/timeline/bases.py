"""Body positions (an exercise's ``base:``) as the session's timing and words need them: the time
a change of position takes, the time to turn over between sides, when to advise open eyes, and
how to get up at the end. Each rule is a table a reader can check.

Seconds are at pace 100 and scale with the pace like every timed phase.
"""

from __future__ import annotations

from collections.abc import Mapping

from matcue.routine.model import Base, Exercise

BASE_CHANGE_SECONDS: Mapping[frozenset[str], float] = {
    frozenset(pair): seconds
    for pair, seconds in {
        # lying: turning on the floor
        ("back", "side"): 3.0,
        ("back", "stomach"): 5.0,
        ("side", "stomach"): 3.0,
        # lying <-> hands and knees or kneeling
        ("back", "all-fours"): 6.0,
        ("side", "all-fours"): 5.0,
        ("stomach", "all-fours"): 4.0,
        ("back", "kneeling"): 6.0,
        ("side", "kneeling"): 5.0,
        ("stomach", "kneeling"): 5.0,
        ("all-fours", "kneeling"): 3.0,
        # the floor <-> sitting
        ("back", "seated"): 8.0,
        ("side", "seated"): 7.0,
        ("stomach", "seated"): 8.0,
        ("all-fours", "seated"): 6.0,
        ("kneeling", "seated"): 5.0,
        # getting up or down
        ("back", "standing"): 10.0,
        ("side", "standing"): 9.0,
        ("stomach", "standing"): 10.0,
        ("all-fours", "standing"): 8.0,
        ("kneeling", "standing"): 6.0,
        ("seated", "standing"): 5.0,
    }.items()
}
"""Extra seconds the rest before an exercise gets when the body position changes (either way).
A change into or out of the water, or with an unknown base, gets none."""

TURN_OVER_SECONDS: Mapping[str, float] = {"side": 6.0}
"""Extra seconds a ``sides: each`` switch gets on top of ``get_ready``: lying on the side means
rolling over to the other side; in other positions one swaps a leg or an arm."""

STANDING: frozenset[str] = frozenset({"standing"})
"""Bases in which the listener is told to keep the eyes open (once, on moving into one)."""

GET_UP_KEYS: Mapping[str, str | None] = {
    "back": "get_up_back",
    "side": "get_up_side",
    "stomach": "get_up_stomach",
    "all-fours": "get_up_all_fours",
    "kneeling": "get_up_kneeling",
    "seated": "get_up_seated",
    "standing": None,  # already up
    "water": "get_up_water",
}
"""The catalogue line that says how to get up safely from the last exercise's base (None: no
line is needed); a session whose last base is not known says ``get_up_other``."""


def change_seconds(before: Base | None, after: Base | None) -> float:
    """Extra rest (pace-100 seconds) for moving from ``before`` to ``after``."""
    if before is None or after is None or before == after:
        return 0.0
    return BASE_CHANGE_SECONDS.get(frozenset((before, after)), 0.0)


def turn_over_seconds(base: Base | None) -> float:
    """Extra time (pace-100 seconds) for switching sides in ``base``."""
    return TURN_OVER_SECONDS.get(base or "", 0.0)


def rest_seconds(ex: Exercise, following: Exercise | None) -> float:
    """The rest after ``ex`` (pace-100 seconds): its own, plus the change of position into
    ``following`` (None: the last exercise, no change)."""
    return ex.timing.rest + change_seconds(ex.base, following.base if following else None)


def switch_seconds(ex: Exercise) -> float:
    """The switch between the sides of ``ex`` (pace-100 seconds): get-ready plus turning over."""
    return ex.timing.get_ready + turn_over_seconds(ex.base)


def eyes_open(before: Base | None, after: Base | None) -> bool:
    """Whether moving from ``before`` (None: the session's start) to ``after`` calls for the
    advice to keep the eyes open."""
    return after in STANDING and before not in STANDING


def get_up_key(base: Base | None) -> str | None:
    """The catalogue key of the get-up line after an exercise done in ``base``."""
    if base is None:
        return "get_up_other"
    return GET_UP_KEYS.get(base, "get_up_other")
