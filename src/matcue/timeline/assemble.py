"""The builder's phases and cues made into frozen ``Phase`` and ``Cue`` objects, shifted to
their place in the session.

A long session has ~10^5 cues, and running ``Cue.__init__`` with its checks for each was most
of a long compile. The builder checks what its cues rest on once per distinct layout
(``Builder.valid``), so when that holds they are built without their checks
(:func:`unchecked`, by setting their slots); otherwise :func:`phase_list` and :func:`cue_list`
build them with the checked constructors, which raise what is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import fields

from matcue.timeline.builder import Builder, by_time
from matcue.timeline.model import Cue, CueKind, Phase, PhaseKind, SideName

# Unchecked construction sets the slots directly, as the frozen ``__init__`` does (through
# ``object.__setattr__``), without ``__post_init__``; public construction still validates.
_new = object.__new__
_CUE_SLOTS = tuple(vars(Cue)[f.name].__set__ for f in fields(Cue))
_PHASE_SLOTS = tuple(vars(Phase)[f.name].__set__ for f in fields(Phase))


def _unchecked_cue(
    t: float,
    dur: float,
    kind: CueKind,
    text: str | None,
    sound: str | None,
    exercise: int | None,
    side: SideName | None,
) -> Cue:
    """``Cue(t, dur, kind, text, sound, exercise, side)`` without its checks."""
    cue = _new(Cue)
    set_t, set_dur, set_kind, set_text, set_sound, set_exercise, set_side = _CUE_SLOTS
    set_t(cue, t)
    set_dur(cue, dur)
    set_kind(cue, kind)
    set_text(cue, text)
    set_sound(cue, sound)
    set_exercise(cue, exercise)
    set_side(cue, side)
    return cue


def unchecked(b: Builder, offset: float) -> tuple[list[Phase], list[Cue]]:
    """The phases and cues of ``b``, shifted by ``offset``: cues sorted by (start, tones
    first), as ``cue_list`` sorts them.

    Valid by construction (``Builder.valid``, no time overflowed), so built without their
    checks, by setting their slots (a long session has ~10^5 cues). Phases are placed one
    after another and each layout is sorted, so the cues come out in order; that is checked
    on the way, and if it fails (times so large that distinct offsets round to one) they are
    built again by ``cue_list``."""
    new = object.__new__
    set_t, set_dur, set_kind, set_exercise, set_set, set_rep, set_side = _PHASE_SLOTS
    cue_t, cue_dur, cue_kind, cue_text, cue_sound, cue_exercise, cue_side = _CUE_SLOTS
    phases: list[Phase] = []
    cues: list[Cue] = []
    add_phase = phases.append
    add_cue = cues.append
    last_t = -math.inf
    last_rank = 0
    in_order = True
    for t0, slot, exercise in zip(b.starts, b.slots, b.numbers, strict=True):
        dur, rows, kind, set_number, rep, side, heard, _ = slot
        phase = new(Phase)
        set_t(phase, t0 + offset)
        set_dur(phase, dur)
        set_kind(phase, kind)
        set_exercise(phase, exercise)
        set_set(phase, set_number)
        set_rep(phase, rep)
        set_side(phase, side)
        add_phase(phase)
        for dt, rank, length, cue_kind_, text, sound in rows:
            t = t0 + dt
            if t <= last_t and (t < last_t or rank < last_rank):
                in_order = False
            last_t = t
            last_rank = rank
            cue = new(Cue)
            cue_t(cue, t + offset)
            cue_dur(cue, length)
            cue_kind(cue, cue_kind_)
            cue_text(cue, text)
            cue_sound(cue, sound)
            cue_exercise(cue, exercise)
            cue_side(cue, heard if rank else None)
            add_cue(cue)
    for t, rank, length, cue_kind_, text, sound in b.tail:
        if t <= last_t and (t < last_t or rank < last_rank):
            in_order = False
        last_t = t
        last_rank = rank
        cues.append(_unchecked_cue(t + offset, length, cue_kind_, text, sound, None, None))
    if not in_order:
        cues = cue_list(b, offset, _unchecked_cue)
    return phases, cues


def phase_list(
    b: Builder,
    offset: float,
    make: Callable[
        [float, float, PhaseKind, int | None, int | None, int | None, SideName | None], Phase
    ],
) -> list[Phase]:
    """The phases of ``b``, shifted by ``offset``, each built by ``make``."""
    return [
        make(t0 + offset, dur, kind, exercise, set_number, rep, side)
        for t0, (dur, _, kind, set_number, rep, side, _, _), exercise in zip(
            b.starts, b.slots, b.numbers, strict=True
        )
    ]


def cue_list(
    b: Builder,
    offset: float,
    make: Callable[
        [float, float, CueKind, str | None, str | None, int | None, SideName | None], Cue
    ],
) -> list[Cue]:
    """The cues of ``b``, sorted by (start, tones first), then shifted by ``offset``, each
    built by ``make``."""
    rows = [
        (t0 + dt, rank, length, kind, text, sound, exercise, heard if rank else None)
        for t0, (_, layout, _, _, _, _, heard, _), exercise in zip(
            b.starts, b.slots, b.numbers, strict=True
        )
        for dt, rank, length, kind, text, sound in layout
    ]
    rows += [
        (t, rank, length, kind, text, sound, None, None)
        for t, rank, length, kind, text, sound in b.tail
    ]
    rows.sort(key=by_time)
    return [
        make(t + offset, length, kind, text, sound, exercise, side)
        for t, _, length, kind, text, sound, exercise, side in rows
    ]
