"""An exercise as the session runs it: the week's progression stage, then ``Pace``'s overrides.

:func:`effective` gives the compiler plain numbers: the progression stage of ``pace.week``
applies first, then the ``Pace`` overrides (reps, sets, rest, breath) and percentages (holds,
rests, reps). Lengths stay at pace 100; the builder scales them.
"""

from __future__ import annotations

from dataclasses import replace

from matcue.routine.model import Exercise, Stage
from matcue.timeline.model import Pace


def effective_once(ex: Exercise, pace: Pace, made: dict[Exercise, Exercise]) -> Exercise:
    """``effective(ex, pace)``, the same object for equal exercises (the builder then lays
    each out once)."""
    try:
        found = made.get(ex)
    except TypeError:  # a field that is not hashable (built by hand, not by the loader)
        return effective(ex, pace)
    if found is None:
        found = made[ex] = effective(ex, pace)
    return found


def stage_for(ex: Exercise, week: int) -> Stage | None:
    """The progression stage in force in ``week``: the latest one starting by then."""
    current = None
    for stage in ex.stages:
        if stage.week <= week:
            current = stage
    return current


def effective(ex: Exercise, pace: Pace) -> Exercise:
    """``ex`` as the session runs it: the week's progression stage, then the ``pace``
    overrides and percentages. Lengths stay at pace 100 (the builder scales them)."""
    reps, sets = ex.reps, ex.sets
    hold: float | None = None
    for stage in ex.stages:  # each stage keeps what earlier ones set and it does not
        if stage.week <= pace.week:
            reps = stage.reps or reps
            sets = stage.sets or sets
            hold = stage.hold if stage.hold is not None else hold
    if pace.reps is not None:
        reps = pace.reps
    elif pace.rep_percent != 100:
        reps = min(100, max(1, round(reps * pace.rep_percent / 100.0)))
    if pace.sets is not None:
        sets = pace.sets
    factor = pace.holds / 100.0 * ex.holds / 100.0
    breath = pace.breath or ex.breath
    steps = []
    for step in ex.steps:
        if step.kind == "hold":
            seconds = hold if hold is not None else step.seconds
            if seconds is not None and factor != 1.0:
                seconds = seconds * factor
            step = replace(step, seconds=seconds)
        elif breath is not None and step.kind in ("inhale", "exhale"):
            step = replace(step, seconds=None)  # the ratio replaces a step's own length
        steps.append(step)
    timing = ex.timing
    if pace.rest is not None:
        timing = replace(timing, rest=pace.rest, set_rest=pace.rest)
    elif pace.rests != 100:
        scale = pace.rests / 100.0
        timing = replace(timing, rest=timing.rest * scale, set_rest=timing.set_rest * scale)
    if breath is not None:
        timing = replace(timing, inhale=breath.inhale, exhale=breath.exhale)
    return replace(
        ex,
        reps=reps,
        sets=sets,
        steps=tuple(steps),
        timing=timing,
        breath=breath,
        holds=100.0,
        stages=(),
    )
