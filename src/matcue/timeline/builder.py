"""The builder: places phases one after another from t = 0 and lays out each one's cues.

A phase's cues are laid out relative to its start (:mod:`~matcue.timeline.layout`); each
distinct layout is made once, and each exercise's phases once per (exercise, counted before
it, its opening words), as they repeat. An exercise is its position and get-ready phases, then
its sets of reps (each side, or alternating), with set rests and a switch of sides between
them; the rest before the next exercise follows it (previewing it, with the extra time a change
of position needs), and the outro ends the session with how to get up.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import accumulate
from operator import itemgetter

from matcue.routine.model import Base, Exercise
from matcue.timeline.bases import eyes_open, get_up_key, rest_seconds, switch_seconds
from matcue.timeline.layout import LayoutRow, lay_out
from matcue.timeline.model import Pace, PhaseKind, SideName
from matcue.timeline.phrases import Phrases, sentence
from matcue.timeline.reps import (
    COUNTDOWN,
    SHORT_FROM_REP,
    Spec,
    TimedLine,
    count_marks,
    expand_side,
    first_sentence,
    one_line,
    rep_specs,
)
from matcue.timeline.sounds import SOUND_LENGTHS, SoundName

COUNTED_INTO: frozenset[PhaseKind] = frozenset({"get_ready", "switch", "set_rest"})
"""The phases that end with a countdown into the rep that follows (the only countdowns there
are: one into each exercise, side and set)."""

Layout = tuple[float, tuple[LayoutRow, ...]]
# A phase ready to place anywhere: (dur, its layout's rows, kind, set, rep, side, side of its
# speech, whether it ends with a countdown). An exercise is the same slots wherever it is.
# The builder keeps each phase's start, slot and exercise number, turned into frozen objects
# once the intro offset is known.
Slot = tuple[
    float,
    tuple[LayoutRow, ...],
    PhaseKind,
    int | None,
    int | None,
    SideName | None,
    SideName | None,
    bool,
]
ExerciseKey = tuple[int, bool, tuple[str, ...], int]
"""An exercise laid out: (id of the effective exercise, counted before it, its opening, the
turn of the words of praise at its start)."""
by_time = itemgetter(0, 1)


class Builder:
    """Places phases one after another from t = 0; collects rows, chapters."""

    def __init__(self, pace: Pace, measure: Callable[[str], float], words: Phrases) -> None:
        self.pace = pace
        self.percent = pace.percent  # the session's pace times the current exercise's
        self.measure = measure
        self.words = words
        self.t = 0.0
        self.starts: list[float] = []  # each phase's start,
        self.slots: list[Slot] = []  # its slot,
        self.numbers: list[int | None] = []  # its exercise
        self.tail: list[LayoutRow] = []  # the outro's cues, at absolute times
        # every cue row so far has a start >= 0, a finite length > 0 and text iff speech (a
        # ``Cue`` would accept it): see ``_row_ok``
        self.valid = True
        self.chapters: list[tuple[float, str]] = []
        self.counted = False  # the last phase ended with a countdown ("... two, one")
        self.previewed = False  # the last phase was a rest that previewed the next exercise
        self.eyes_said = False  # ... and told the listener to keep their eyes open
        self.praised = 0  # words of praise said so far (they are taken in turn)
        # the slots of each exercise laid out so far, by (id of the effective exercise, counted
        # before it): an exercise object stays alive (and its id its own) while compiling
        self._exercises: dict[ExerciseKey, list[Slot]] = {}
        self._recording: list[Slot] | None = None
        self._durations: dict[ExerciseKey, list[float]] = {}  # of those slots
        self._numbers: dict[int, str] = {}
        self._reps: dict[int, str] = {}
        self._layouts: dict[tuple[object, ...], Layout] = {}

    def scale(self, seconds: float) -> float:
        """Seconds at pace 100 -> seconds at the current pace."""
        return seconds * 100.0 / self.percent

    def chapter(self, title: str) -> None:
        self.chapters.append((self.t, title))

    def number(self, n: int) -> str:
        line = self._numbers.get(n)
        if line is None:
            line = self._numbers[n] = self.words.number(n)
        return line

    def phase(
        self,
        kind: PhaseKind,
        seconds: float | None,
        *,
        tone: SoundName | None = None,
        lines: tuple[str, ...] = (),
        count: int = 0,
        spoken: bool = True,
        timed: tuple[TimedLine, ...] = (),
        exercise: int | None = None,
        set_number: int | None = None,
        rep: int | None = None,
        side: SideName | None = None,
        voice_side: SideName | None = None,
    ) -> None:
        """Append one phase at the cursor. ``seconds`` (at pace 100) is None for a
        speech-driven phase. A phase that would last 0 s is left out. Its spoken lines are
        side cues of ``voice_side`` (default: the phase's side)."""
        reserve = kind in COUNTED_INTO
        key = (seconds, tone, lines, count, spoken, timed, reserve, self.percent)
        layout = self._layouts.get(key)
        if layout is None:
            dur, unsorted = lay_out(
                seconds,
                tone,
                lines,
                count,
                spoken,
                timed,
                reserve,
                scale=self.scale,
                gap=self.pace.gap,
                measure=self.measure,
                number=self.number,
            )
            unsorted.sort(key=by_time)
            self.valid = self.valid and all(map(_row_ok, unsorted))
            layout = self._layouts[key] = (dur, tuple(unsorted))
        dur, rows = layout
        if dur <= 0:
            return
        counted = count > 0 and reserve
        slot = (dur, rows, kind, set_number, rep, side, voice_side or side, counted)
        if self._recording is not None:
            self._recording.append(slot)
        self.place(slot, exercise)

    def place(self, slot: Slot, exercise: int | None) -> None:
        """Append ``slot`` at the cursor, as a phase of ``exercise``."""
        self.starts.append(self.t)
        self.slots.append(slot)
        self.numbers.append(exercise)
        self.t = self.t + slot[0]
        self.counted = slot[7]

    # -- exercises -------------------------------------------------------------------------

    def place_many(self, slots: list[Slot], exercise: int, key: ExerciseKey) -> None:
        """Append recorded ``slots`` as placing them one by one would: each start is the one
        before + its length."""
        durations = self._durations.get(key)
        if durations is None:
            durations = self._durations[key] = [slot[0] for slot in slots]
        starts = list(accumulate(durations, initial=self.t))
        self.t = starts.pop()
        self.starts += starts
        self.slots += slots
        self.numbers += [exercise] * len(slots)
        self.counted = slots[-1][7]

    def exercise(
        self, i: int, ex: Exercise, previous: Exercise | None, following: Exercise | None
    ) -> None:
        """Exercise ``i`` of the session (``previous`` and ``following`` are its neighbours),
        then the rest that previews the next one."""
        words = self.words
        self.percent = self.pace.percent * ex.pace / 100.0
        title = {"warmup": words.warmup_chapter, "cooldown": words.cooldown_chapter}.get(ex.part)
        self.chapter(title.format(name=ex.name) if title else ex.name)
        opening = self.opening(ex, previous)
        key = (id(ex), self.counted, opening, self.praised % len(words.praise))
        slots = self._exercises.get(key)
        if slots is None:
            self._recording = self._exercises[key] = []
            self._exercise(i, ex, opening)
            self._recording = None
        elif slots:
            self.place_many(slots, i, key)
            self.praised += sum(1 for slot in slots if slot[2] == "set_rest")
        self.previewed = self.eyes_said = False
        if following is not None:
            self.rest(i, ex, following)

    def opening(self, ex: Exercise, previous: Exercise | None) -> tuple[str, ...]:
        """What the position phase says before the position: the start of a part of the
        session (warm-up, main, cool-down), "Next: NAME.", the eyes-open advice on standing up
        and the way into the position, unless the rest before said them already. The first
        exercise has no way in: its position is where the listener starts, said in full (a way
        in before it only said the same thing twice)."""
        words = self.words
        lines: list[str] = []
        before = previous.part if previous is not None else None
        if ex.part != before:
            start = {
                "warmup": words.warmup_start,
                "cooldown": words.cooldown_start,
                "main": words.main_start if previous is not None else "",
            }[ex.part]
            lines += [sentence(start)] if start else []
        lines.append(sentence(words.next_exercise.format(name=ex.name)))
        if not self.eyes_said and eyes_open(previous.base if previous else None, ex.base):
            lines.append(sentence(words.eyes_open))
        if ex.get_there and not self.previewed and previous is not None:
            lines += one_line(expand_side(ex.get_there, "right", words))
        return tuple(lines)

    def rest(self, i: int, ex: Exercise, following: Exercise) -> None:
        """The rest after exercise ``i``: a word of praise, "Rest.", what comes next and how
        to get there; longer by the time a change of position needs. No countdown: the next
        exercise's get-ready counts the listener in."""
        words = self.words
        seconds = rest_seconds(ex, following)
        if seconds <= 0:
            return
        way = following.get_there or first_sentence(following.position)
        eyes = eyes_open(ex.base, following.base)
        lines = (
            self.praise(),
            sentence(words.rest),
            sentence(words.coming_up.format(name=following.name)),
            *one_line(expand_side(way, "right", words)),
            *((sentence(words.eyes_open),) if eyes else ()),
        )
        self.phase("rest", seconds, tone="rest", lines=lines)
        self.previewed, self.eyes_said = True, eyes

    def _exercise(self, i: int, ex: Exercise, opening: tuple[str, ...]) -> None:
        """The phases of exercise ``i`` from its position to its last rep."""
        words = self.words
        sided = ex.sides in ("each", "alternate")
        timing = ex.timing
        start_side = sentence(words.start_side.format(side=words.right)) if sided else None
        lines = (
            *opening,
            *one_line(expand_side(ex.position, "right", words)),
            *([start_side] if start_side else []),
            *(sentence(expand_side(c, "right", words)) for c in ex.cautions if c.strip()),
        )
        self.phase("position", None, lines=lines, exercise=i)
        self.phase(
            "get_ready",
            timing.get_ready,
            count=count_marks(timing.get_ready, COUNTDOWN),
            exercise=i,
        )

        specs: dict[tuple[SideName | None, bool], tuple[Spec, ...]] = {}

        def steps(side: SideName | None, short: bool) -> tuple[Spec, ...]:
            key = (side, short)
            if key not in specs:
                specs[key] = rep_specs(ex, side, short, words, self.pace, self.scale)
            return specs[key]

        def rep(s: int, r: int, side: SideName | None, prefix: list[str], short: bool) -> None:
            for k, spec in enumerate(steps(side, short)):
                self.phase(
                    spec.kind,
                    spec.seconds,
                    tone=spec.tone,
                    lines=(*prefix, *spec.lines) if k == 0 else spec.lines,
                    count=spec.count,
                    spoken=spec.spoken,
                    timed=spec.timed,
                    exercise=i,
                    set_number=s,
                    rep=r,
                    side=side,
                )

        def run(s: int, side: SideName | None) -> None:
            for r in range(1, ex.reps + 1):
                rep(s, r, side, self.rep_number(r, ex.reps), r >= SHORT_FROM_REP)

        for s in range(1, ex.sets + 1):
            if s > 1 and timing.set_rest > 0:
                self.phase(
                    "set_rest",
                    timing.set_rest,
                    tone="rest",
                    lines=(
                        self.praise(),
                        sentence(words.rest),
                        words.next_set_line(s, ex.sets),
                        *([start_side] if start_side else []),
                    ),
                    count=count_marks(timing.set_rest, COUNTDOWN),
                    exercise=i,
                )
            if ex.sides == "each":
                run(s, "right")
                self.switch(i, s, ex)
                run(s, "left")
            elif ex.sides == "alternate":
                right = sentence(words.side_cue.format(side=words.right))
                left = sentence(words.side_cue.format(side=words.left))
                for r in range(1, ex.reps + 1):
                    short = r >= SHORT_FROM_REP
                    rep(s, r, "right", [*self.rep_number(r, ex.reps), right], short)
                    rep(s, r, "left", [left], short)
            else:
                run(s, None)

    def praise(self) -> str:
        """The next word of praise (at a set's end), the variants taken in turn."""
        self.praised += 1
        return self.words.praise_line(self.praised - 1)

    def switch(self, i: int, s: int, ex: Exercise) -> None:
        """Between the sides of ``sides: each``: "Switch sides.", the new side, the position
        restated for it, and time to turn over fitted to the position; counted back in."""
        words = self.words
        seconds = switch_seconds(ex)
        self.phase(
            "switch",
            seconds,
            count=count_marks(seconds, COUNTDOWN),
            tone="switch",
            lines=(
                sentence(words.switch_sides),
                sentence(words.now_side.format(side=words.left)),
                *one_line(expand_side(ex.position, "left", words)),
            ),
            exercise=i,
            set_number=s,
            voice_side="left",
        )

    def rep_number(self, r: int, reps: int) -> list[str]:
        """What is said before rep ``r`` of ``reps``: "Begin." right after a countdown
        (so "three, two, one" is never followed by another "one"), nothing for a single rep,
        "Last one." for the final rep; with spoken counts "Two more." (of four or more) and
        "Three more." (of eight or more) before the last ones, else "Rep N."."""
        if r == 1 and self.counted:
            return [sentence(self.words.begin)]
        if reps == 1:
            return []
        left = reps - r + 1
        if left == 1:
            return [sentence(self.words.last_one)]
        if self.pace.count != "voice":  # the step tones mark the reps
            return []
        if (left == 2 and reps >= 4) or (left == 3 and reps >= 8):
            return [self.words.more_line(left)]
        line = self._reps.get(r)
        if line is None:
            line = self._reps[r] = self.words.rep(r)
        return [line]

    def outro(self, base: Base | None) -> None:
        """How to get up from ``base`` (the last exercise's), the closing lines, then the end
        bell; the phase lasts until the bell has rung out."""
        words = self.words
        self.chapter(words.outro_chapter)
        t0 = self.t
        gap = self.pace.gap
        start = t0 + gap
        rows = self.tail  # at absolute times
        get_up = get_up_key(base)
        lines = ((words.get_up(get_up),) if get_up else ()) + words.outro
        for text in lines:
            line = sentence(text)
            length = self.measure(line)
            rows.append((start, 1, length, "speech", line, None))
            start += length + gap
        bell = SOUND_LENGTHS["end"]
        rows.append((start, 0, bell, "tone", None, "end"))
        dur = start + bell - t0
        self.valid = self.valid and dur > 0 and all(map(_row_ok, rows))
        self.place((dur, (), "outro", None, None, None, None, False), None)
        self.t = start + bell
        self.counted = False


def _row_ok(row: LayoutRow) -> bool:
    """A cue of this row, placed at any finite time >= 0, passes ``Cue``'s checks."""
    dt, _, dur, kind, text, sound = row
    if not (0 <= dt < math.inf and 0 < dur < math.inf):
        return False
    return bool(text) and sound is None if kind == "speech" else bool(sound) and text is None
