"""The builder: places phases one after another from t = 0 and lays out each one's cues.

A phase's cues are laid out relative to its start (its tone, then its lines ``gap`` apart,
then its countdown: a number where it fits, else a tick); each distinct layout is made once,
and each exercise's phases once per (exercise, counted before it), as they repeat. An
exercise is its position and get-ready phases, then its sets of reps (each side, or
alternating), with set rests and a switch of sides between them; the rest before the next
exercise follows it, and the outro ends the session.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import accumulate
from operator import itemgetter

from matcue.routine.model import Exercise
from matcue.timeline.model import CueKind, Pace, PhaseKind, SideName
from matcue.timeline.phrases import Phrases, sentence
from matcue.timeline.reps import (
    COUNTDOWN,
    EPS,
    SHORT_FROM_REP,
    Spec,
    count_marks,
    expand_side,
    one_line,
    rep_specs,
)
from matcue.timeline.sounds import SOUND_LENGTHS, SoundName

# A phase's cues relative to its start: (dt, rank 0 tone/1 speech, dur, kind, text, sound).
LayoutRow = tuple[float, int, float, CueKind, str | None, SoundName | None]
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
        # the slots of each exercise laid out so far, by (id of the effective exercise, counted
        # before it): an exercise object stays alive (and its id its own) while compiling
        self._exercises: dict[tuple[int, bool], list[Slot]] = {}
        self._recording: list[Slot] | None = None
        self._durations: dict[tuple[int, bool], list[float]] = {}  # of those slots
        self._numbers: dict[int, str] = {}
        self._reps: dict[int, str] = {}
        self._layouts: dict[
            tuple[float | None, SoundName | None, tuple[str, ...], int, bool, float], Layout
        ] = {}

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
        exercise: int | None = None,
        set_number: int | None = None,
        rep: int | None = None,
        side: SideName | None = None,
        voice_side: SideName | None = None,
    ) -> None:
        """Append one phase at the cursor. ``seconds`` (at pace 100) is None for a
        speech-driven phase. A phase that would last 0 s is left out. Its spoken lines are
        side cues of ``voice_side`` (default: the phase's side)."""
        key = (seconds, tone, lines, count, spoken, self.percent)
        layout = self._layouts.get(key)
        if layout is None:
            layout = self._layouts[key] = self._layout(seconds, tone, lines, count, spoken)
        dur, rows = layout
        if dur <= 0:
            return
        counted = count > 0 and kind in ("get_ready", "switch", "set_rest", "rest")
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

    def _layout(
        self,
        seconds: float | None,
        tone: SoundName | None,
        lines: tuple[str, ...],
        count: int,
        spoken: bool,
    ) -> Layout:
        """A phase's length and its cues relative to its start (phases repeat every rep, so
        each distinct phase is laid out once)."""
        gap = self.pace.gap
        rows: list[LayoutRow] = []
        if tone is not None:
            rows.append((0.0, 0, SOUND_LENGTHS[tone], "tone", None, tone))
        start = gap
        for text in lines:
            length = self.measure(text)
            rows.append((start, 1, length, "speech", text, None))
            start += length + gap
        need = start if lines else 0.0
        dur = need if seconds is None else max(self.scale(seconds), need)
        last = start - gap if lines else -gap  # end of the latest line
        for m in range(count, 0, -1):
            mark = dur - self.scale(m)
            following = dur - self.scale(m - 1)
            word = self.number(m) if spoken else ""
            length = self.measure(word) if spoken else 0.0
            if spoken and mark >= last + gap - EPS and mark + length + gap <= following + EPS:
                rows.append((mark, 1, length, "speech", word, None))
                last = mark + length
            else:
                rows.append((mark, 0, SOUND_LENGTHS["tick"], "tone", None, "tick"))
        rows.sort(key=by_time)
        self.valid = self.valid and all(map(_row_ok, rows))
        return dur, tuple(rows)

    # -- exercises -------------------------------------------------------------------------

    def exercise(self, i: int, ex: Exercise, following: Exercise | None) -> None:
        words = self.words
        timing = ex.timing
        self.percent = self.pace.percent * ex.pace / 100.0
        self.chapter(ex.name)
        key = (id(ex), self.counted)
        slots = self._exercises.get(key)
        if slots is None:
            self._recording = self._exercises[key] = []
            self._exercise(i, ex)
            self._recording = None
        elif slots:  # as placing them one by one would: each start is the one before + dur
            durations = self._durations.get(key)
            if durations is None:
                durations = self._durations[key] = [slot[0] for slot in slots]
            starts = list(accumulate(durations, initial=self.t))
            self.t = starts.pop()
            self.starts += starts
            self.slots += slots
            self.numbers += [i] * len(slots)
            self.counted = slots[-1][7]

        if following is not None and timing.rest > 0:
            self.phase(
                "rest",
                timing.rest,
                tone="rest",
                lines=(
                    sentence(words.rest),
                    sentence(words.coming_up.format(name=following.name)),
                ),
                count=count_marks(timing.rest, COUNTDOWN),
            )

    def _exercise(self, i: int, ex: Exercise) -> None:
        """The phases of exercise ``i`` from its position to its last rep."""
        words = self.words
        sided = ex.sides in ("each", "alternate")
        timing = ex.timing
        start_side = sentence(words.start_side.format(side=words.right)) if sided else None
        lines = (
            sentence(words.next_exercise.format(name=ex.name)),
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
                        sentence(words.rest),
                        words.next_set_line(s, ex.sets),
                        *([start_side] if start_side else []),
                    ),
                    count=count_marks(timing.set_rest, COUNTDOWN),
                    exercise=i,
                )
            if ex.sides == "each":
                run(s, "right")
                self.phase(  # time to change position, counted back in like get_ready
                    "switch",
                    timing.get_ready,
                    count=count_marks(timing.get_ready, COUNTDOWN),
                    tone="switch",
                    lines=(
                        sentence(words.switch_sides),
                        sentence(words.now_side.format(side=words.left)),
                    ),
                    exercise=i,
                    set_number=s,
                    voice_side="left",
                )
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

    def rep_number(self, r: int, reps: int) -> list[str]:
        """What is said before rep ``r`` of ``reps``: "Begin." right after a countdown
        (so "three, two, one" is never followed by another "one"), else the number,
        "Last one." for the final rep, nothing for a single rep."""
        if r == 1 and self.counted:
            return [sentence(self.words.begin)]
        if reps == 1:
            return []
        if r == reps:
            return [sentence(self.words.last_one)]
        if self.pace.count != "voice":  # the step tones mark the reps
            return []
        line = self._reps.get(r)
        if line is None:
            line = self._reps[r] = self.words.rep(r)
        return [line]

    def outro(self) -> None:
        """Closing lines, then the end bell; the phase lasts until the bell has rung out."""
        words = self.words
        self.chapter(words.outro_chapter)
        t0 = self.t
        gap = self.pace.gap
        start = t0 + gap
        rows = self.tail  # at absolute times
        for text in words.outro:
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
