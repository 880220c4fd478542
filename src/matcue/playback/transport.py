"""The session's transport, with no I/O: key bytes -> commands -> actions on the timeline.

A person on a mat controls the session with a few commands, from the terminal's keys or any
other source (:mod:`matcue.playback.commands`). This module decides what each command does;
:mod:`matcue.playback.loop` does it (sound, clock). Everything here
is a pure function of its arguments, the clock included (``now`` is passed in), so it is
tested without a terminal or a sound device.

Positions are seconds into the current ``Timeline``. The phases of a session do not depend on
its pace (see :func:`matcue.timeline.compile`), so a phase is found in a re-compiled timeline
by its index.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from enum import Enum
from typing import Literal

from matcue import settings
from matcue.timeline.model import Phase, Timeline
from matcue.timeline.phrases import Phrases, sentence

Ending = Literal["finished", "quit", "pain", "interrupted"]
"""How a session ended."""

PACE_STEP = settings.PACE_STEP  # points per + or -
MIN_PACE, MAX_PACE = float(settings.PACE.minimum or 0), float(settings.PACE.maximum or 0)
BACK_TWICE = 2.0  # seconds: a second "back" within this goes to the previous exercise
ESC = 0x1B


class Command(Enum):
    """What a listener can ask of a playing session (the key that gives each, on a terminal)."""

    PAUSE = "pause"  # space
    NEXT = "next"  # n, right arrow
    BACK = "back"  # b, left arrow
    REPEAT = "repeat"  # r
    FASTER = "faster"  # +
    SLOWER = "slower"  # -
    WHERE = "where"  # s
    QUIT = "quit"  # q
    PAIN = "pain"  # x, Escape
    HELP = "help"  # ?
    UNKNOWN = "unknown"


_SINGLE: dict[int, Command] = {
    ord(" "): Command.PAUSE,
    ord("n"): Command.NEXT,
    ord("N"): Command.NEXT,
    ord("b"): Command.BACK,
    ord("B"): Command.BACK,
    ord("r"): Command.REPEAT,
    ord("R"): Command.REPEAT,
    ord("+"): Command.FASTER,
    ord("="): Command.FASTER,  # the + key without shift
    ord("-"): Command.SLOWER,
    ord("_"): Command.SLOWER,
    ord("s"): Command.WHERE,
    ord("S"): Command.WHERE,
    ord("q"): Command.QUIT,
    ord("Q"): Command.QUIT,
    ord("x"): Command.PAIN,
    ord("X"): Command.PAIN,
    ord("?"): Command.HELP,
}
_ARROWS = {ord("C"): Command.NEXT, ord("D"): Command.BACK}  # ESC [ C / ESC O C: right; D: left


def decode_keys(data: bytes, final: bool) -> tuple[list[Command], bytes]:
    """The keys in ``data`` (bytes read from a terminal) and the bytes left undecided.

    An escape sequence (ESC ``[`` or ``O``, parameters, a final byte) is one key: the left
    and right arrows go back and forward, any other is unknown. A lone Escape is the pain
    stop. An ESC at the end of ``data`` may be the start of a sequence still arriving: it is
    left over, unless ``final`` (no more bytes came in time), when it is a lone Escape.
    Multi-byte UTF-8 characters are one unknown key.
    """
    keys: list[Command] = []
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b == ESC:
            if i + 1 >= n:
                if not final:
                    return keys, data[i:]
                keys.append(Command.PAIN)
                i += 1
                continue
            intro = data[i + 1]
            if intro not in (ord("["), ord("O")):
                keys.append(Command.PAIN)  # Escape, then another key pressed quickly
                i += 1
                continue
            j = i + 2
            while j < n and 0x30 <= data[j] <= 0x3F:  # parameter bytes
                j += 1
            if j >= n:
                if not final:
                    return keys, data[i:]
                keys.append(Command.UNKNOWN)
                i = n
                continue
            keys.append(_ARROWS.get(data[j], Command.UNKNOWN))
            i = j + 1
        elif b >= 0xC0:  # the lead byte of a multi-byte character: skip its continuation
            j = i + 1
            while j < n and 0x80 <= data[j] < 0xC0:
                j += 1
            keys.append(Command.UNKNOWN)
            i = j
        else:
            keys.append(_SINGLE.get(b, Command.UNKNOWN))
            i += 1
    return keys, b""


# --- the timeline, looked at from a position ------------------------------------------------------


def phase_index(timeline: Timeline, t: float) -> int:
    """The index of the phase sounding at ``t`` (the last one at or after the end)."""
    starts = [p.t for p in timeline.phases]
    return max(0, min(len(starts) - 1, bisect.bisect_right(starts, t + 1e-9) - 1))


def exercise_at(timeline: Timeline, t: float) -> int | None:
    """The exercise sounding at ``t``; in a rest, the one just done; None in the intro/outro."""
    k = phase_index(timeline, t)
    for phase in reversed(timeline.phases[: k + 1]):
        if phase.kind in ("intro", "outro"):
            return None
        if phase.exercise is not None:
            return phase.exercise
    return None


def exercise_start(timeline: Timeline, exercise: int) -> float:
    """Where exercise ``exercise`` (1-based) begins: its "Next: …" line."""
    for phase in timeline.phases:
        if phase.exercise == exercise:
            return phase.t
    raise ValueError(f"the session has no exercise {exercise}")


def exercise_count(timeline: Timeline) -> int:
    return max((p.exercise or 0 for p in timeline.phases), default=0)


def outro_start(timeline: Timeline) -> float:
    for phase in timeline.phases:
        if phase.kind == "outro":
            return phase.t
    return timeline.duration


def next_boundary(timeline: Timeline, t: float) -> int | None:
    """The index of the first phase starting after ``t``; None in the last phase."""
    k = phase_index(timeline, t) + 1
    return k if k < len(timeline.phases) else None


def phase_key(phase: Phase) -> tuple[object, ...]:
    """What identifies a phase whatever the pace: kind, exercise, set, rep, side."""
    return (phase.kind, phase.exercise, phase.set, phase.rep, phase.side)


def same_phase(old: Timeline, new: Timeline, index: int) -> float:
    """Where phase ``index`` of ``old`` starts in ``new`` (the same session at another pace)."""
    if len(old.phases) != len(new.phases) or phase_key(old.phases[index]) != phase_key(
        new.phases[index]
    ):
        raise ValueError("the re-compiled session has other phases")
    return new.phases[index].t


def set_start(timeline: Timeline, t: float) -> float | None:
    """Where the set sounding at ``t`` began (its first rep), or the last set before ``t`` when
    between sets (position, get ready, rest); None before the first rep of the session."""
    k = phase_index(timeline, t)
    current = timeline.phases[k]
    target: tuple[int | None, int | None] | None = None
    if current.set is not None and current.kind != "set_rest":
        target = (current.exercise, current.set)
    else:
        for phase in reversed(timeline.phases[:k]):
            if phase.kind == "intro":
                return None
            if phase.set is not None and phase.rep is not None:
                target = (phase.exercise, phase.set)
                break
    if target is None:
        return None
    for phase in timeline.phases:
        if (phase.exercise, phase.set) == target and phase.rep is not None:
            return phase.t
    return None


def where_lines(timeline: Timeline, t: float, words: Phrases) -> tuple[str, ...]:
    """What "where am I" says at ``t``: the exercise, the rep, the side and the time left."""
    phase = timeline.phases[phase_index(timeline, t)]
    left = words.minutes_left(max(0.0, timeline.duration - t))
    c = words.controls
    if phase.kind == "intro":
        return (sentence(c.where_intro), left)
    if phase.kind == "outro":
        return (sentence(c.where_outro),)
    if phase.kind == "rest":
        return (sentence(c.where_rest), left)
    assert phase.exercise is not None
    titles = [ch.title for ch in timeline.chapters]
    name = titles[phase.exercise] if phase.exercise < len(titles) else ""
    lines = [words.where_exercise(phase.exercise, name)]
    if phase.rep is not None:
        reps = max(
            p.rep or 0
            for p in timeline.phases
            if (p.exercise, p.set, p.side) == (phase.exercise, phase.set, phase.side)
        )
        lines.append(words.where_rep(phase.rep, reps))
    if phase.side is not None:
        lines.append(words.where_side(phase.side))
    lines.append(left)
    return tuple(lines)


# --- the state machine ---------------------------------------------------------------------------

ActionKind = Literal["pause", "play", "pace", "quit", "pain", "ignore"]


@dataclass(frozen=True)
class Action:
    """What the session does in answer to a command.

    - ``pause``: silence at once; a short tone confirms.
    - ``play``: stop what sounds, say ``say``, then play from ``seek`` (seconds into the
      timeline); with ``seek`` None, go on from where the sound was (no seek).
    - ``pace``: re-compile at ``pace`` and splice it in at the next phase boundary.
    - ``quit`` / ``pain``: silence at once, say ``say``, end the session.
    - ``ignore``: a soft tone, nothing else.
    """

    kind: ActionKind
    seek: float | None = None
    say: tuple[str, ...] = ()
    tone: bool = False  # confirm with a short tone
    pace: float | None = None


@dataclass(frozen=True)
class Transport:
    """Where the session stands between commands."""

    timeline: Timeline
    paused: bool = False
    paused_at: float = 0.0
    pace: float = 100.0  # the pace asked for (the timeline's, or one still being spliced in)
    last_back: float | None = None  # ``now`` of the last back command, for "twice quickly"
    finished: bool = False


def countdown(words: Phrases) -> tuple[str, ...]:
    return tuple(words.number(n) for n in (3, 2, 1))


def press(
    state: Transport, command: Command, position: float, now: float, words: Phrases
) -> tuple[Transport, Action]:
    """The new state and the action for ``command`` given at ``now`` (monotonic seconds) while
    the session is at ``position`` seconds into ``state.timeline``."""
    tl = state.timeline
    if state.paused:
        position = state.paused_at
    here = tl.phases[phase_index(tl, position)]
    if command is Command.PAIN:
        return replace(state, finished=True), Action(
            "pain", say=tuple(sentence(line) for line in words.controls.pain_stop)
        )
    if command is Command.QUIT:
        return replace(state, finished=True), Action("quit", say=(sentence(words.controls.quit),))
    if command is Command.PAUSE:
        if state.paused:
            resume = (sentence(words.controls.resuming), *countdown(words))
            return replace(state, paused=False), Action("play", seek=here.t, say=resume)
        return replace(state, paused=True, paused_at=position), Action("pause", tone=True)
    if command in (Command.FASTER, Command.SLOWER):
        step = PACE_STEP if command is Command.FASTER else -PACE_STEP
        pace = min(MAX_PACE, max(MIN_PACE, state.pace + step))
        if pace == state.pace:
            return state, Action("ignore")
        return replace(state, pace=pace), Action("pace", pace=pace, say=(words.pace_line(pace),))
    if command is Command.HELP:
        return _unpaused(state), Action("play", seek=here.t, say=words.controls.key_list)
    if command is Command.WHERE:
        return _unpaused(state), Action("play", seek=here.t, say=where_lines(tl, position, words))
    if command is Command.NEXT:
        ex = exercise_at(tl, position)
        count = exercise_count(tl)
        if here.kind == "outro":
            return state, Action("ignore")
        if ex is None:  # the intro
            target = exercise_start(tl, 1) if count else outro_start(tl)
        elif here.kind == "rest" or ex >= count:
            target = exercise_start(tl, ex + 1) if ex < count else outro_start(tl)
        else:
            target = exercise_start(tl, ex + 1)
        return _unpaused(state), Action("play", seek=target, tone=True)
    if command is Command.BACK:
        quick = state.last_back is not None and now - state.last_back <= BACK_TWICE
        ex = exercise_at(tl, position)
        if here.kind == "outro":
            ex = exercise_count(tl) or None
            target = exercise_start(tl, ex) if ex else 0.0
        elif ex is None:
            target = 0.0
        elif here.kind == "rest":  # between exercises: back to the one just done
            target = exercise_start(tl, ex)
        else:
            target = exercise_start(tl, ex)
            if quick and ex > 1:
                target = exercise_start(tl, ex - 1)
        return replace(_unpaused(state), last_back=now), Action("play", seek=target, tone=True)
    if command is Command.REPEAT:
        start = set_start(tl, position)
        if start is None:
            return state, Action("ignore", say=(sentence(words.controls.nothing_to_repeat),))
        say = (sentence(words.controls.repeat_set),)
        return _unpaused(state), Action("play", seek=start, say=say)
    return state, Action("ignore")


def _unpaused(state: Transport) -> Transport:
    return replace(state, paused=False)


# --- progress and status -------------------------------------------------------------------------


def rep_ends(timeline: Timeline) -> list[float]:
    """When each rep of the session ends (the end of its last phase), in order."""
    ends: dict[tuple[object, ...], float] = {}
    for p in timeline.phases:
        if p.rep is not None:
            ends[(p.exercise, p.set, p.rep, p.side)] = p.end
    return sorted(ends.values())


def exercise_ends(timeline: Timeline) -> list[float]:
    """When each exercise ends (the end of its last phase), in order."""
    ends: dict[int, float] = {}
    for p in timeline.phases:
        if p.exercise is not None:
            ends[p.exercise] = p.end
    return sorted(ends.values())


def passed(ends: list[float], before: float, after: float) -> int:
    """How many of the sorted ``ends`` lie in ``(before, after]``."""
    if after <= before:
        return 0
    return bisect.bisect_right(ends, after) - bisect.bisect_right(ends, before)


def resume_exercise(timeline: Timeline, t: float) -> int | None:
    """The exercise to start from next time, when the session stops at ``t``: the one sounding,
    the next one in a rest, the first in the intro; None in the closing."""
    here = timeline.phases[phase_index(timeline, t)]
    if here.kind == "outro" or exercise_count(timeline) == 0:
        return None
    if here.kind == "intro":
        return 1
    ex = exercise_at(timeline, t) or 1
    if here.kind == "rest":
        return min(ex + 1, exercise_count(timeline))
    return ex


def _clock(seconds: float) -> str:
    whole = max(0, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def status_text(timeline: Timeline, t: float, pace: float, paused: bool) -> str:
    """The one-line status for a helper who can see: exercise, rep, phase, time left, pace."""
    here = timeline.phases[phase_index(timeline, t)]
    parts: list[str] = []
    if here.exercise is not None:
        titles = [ch.title for ch in timeline.chapters]
        name = titles[here.exercise] if here.exercise < len(titles) else ""
        parts.append(f"{here.exercise}/{exercise_count(timeline)} {name}")
    if here.rep is not None:
        reps = max(
            p.rep or 0
            for p in timeline.phases
            if (p.exercise, p.set, p.side) == (here.exercise, here.set, here.side)
        )
        side = f" {here.side}" if here.side else ""
        parts.append(f"rep {here.rep}/{reps}{side}")
    parts.append(here.kind.replace("_", " "))
    parts.append(f"{_clock(timeline.duration - t)} left")
    parts.append(f"pace {pace:g}")
    if paused:
        parts.append("PAUSED")
    return " · ".join(parts)
