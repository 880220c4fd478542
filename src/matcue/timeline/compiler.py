"""The timeline compiler: ``Routine`` + ``Pace`` + ``speech_len`` -> ``Timeline``.

A pure function: no I/O, no audio. Every word comes from a ``Phrases`` catalogue; how long a
line lasts comes from ``speech_len``. The rules (DESIGN §3):

- Timed phases (steps, get_ready, rest, set_rest) last ``max(pace.scale(seconds), need)``;
  speech-driven phases (intro, position, outro) last ``need``. ``need`` is
  ``gap + sum(line + gap)`` over the phase's lines: a phase's tone sounds at its start, its
  first line starts ``gap`` later, lines follow each other ``gap`` apart and the last one
  ends at least ``gap`` before the phase ends. So no two lines ever overlap, even across
  phases.
- Countdowns (holds; the end of get_ready, switch, set_rest and rest) put one mark on each second
  boundary counted back from the phase end: the number if it fits before the next boundary
  without touching the previous line, else a tick. A count never drifts behind the clock.
- A pause set to 0 s (get_ready, set_rest, rest) is left out, words and all.
- Times are absolute seconds from the session start; phases tile ``[0, duration)``.

Before any of that, each exercise is made *effective* (:func:`effective`): the progression
stage of ``pace.week`` applies, then the ``Pace`` overrides (reps, sets, rest, breath) and
percentages (holds, rests, reps), so the rest of the compiler only ever sees plain numbers.
An exercise's own ``pace:`` multiplies the session's pace for its phases and its rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import accumulate
from operator import itemgetter

from matcue.routine.model import Exercise, Routine, Stage, Step
from matcue.timeline.model import (
    _CUE_SLOTS,
    _PHASE_SLOTS,
    Chapter,
    Cue,
    CueKind,
    ExercisePlan,
    Pace,
    Phase,
    PhaseKind,
    SideName,
    Timeline,
    _unchecked_cue,
)
from matcue.timeline.phrases import Phrases, phrases_for, sentence
from matcue.timeline.sounds import SOUND_LENGTHS, SoundName

__all__ = ["SHORT_FROM_REP", "compile", "effective", "least_duration", "spoken", "stage_for"]

SHORT_FROM_REP = 3  # from this rep of a set/side on, steps use the short cue ("In.", "Out.")
COUNTDOWN = 3  # numbers at the end of get_ready, set_rest and rest
_EPS = 1e-9  # float slack for "fits" comparisons
_MIN_SPEECH = 1e-6  # a line reported as 0 s still needs a positive cue length

# A phase's cues relative to its start: (dt, rank 0 tone/1 speech, dur, kind, text, sound).
_LayoutRow = tuple[float, int, float, CueKind, str | None, SoundName | None]
_Layout = tuple[float, tuple[_LayoutRow, ...]]
# A phase ready to place anywhere: (dur, its layout's rows, kind, set, rep, side, side of its
# speech, whether it ends with a countdown). An exercise is the same slots wherever it is.
# The builder keeps each phase's start, slot and exercise number, turned into frozen objects
# once the intro offset is known.
_Slot = tuple[
    float,
    tuple[_LayoutRow, ...],
    PhaseKind,
    int | None,
    int | None,
    SideName | None,
    SideName | None,
    bool,
]
_by_time = itemgetter(0, 1)


@dataclass(frozen=True)
class _Spec:
    """One phase of a repetition before it is placed in time."""

    kind: PhaseKind
    seconds: float  # at pace 100
    tone: SoundName
    lines: tuple[str, ...]
    count: int  # countdown marks at its end (holds)
    spoken: bool = True  # countdown marks are numbers where they fit; False: ticks only


def compile(
    routine: Routine,
    pace: Pace,
    speech_len: Callable[[str], float],
    *,
    phrases: Phrases | None = None,
    keys: bool = False,
) -> Timeline:
    """Compile ``routine`` into the session timeline.

    ``speech_len(text)`` is how long ``text`` lasts when spoken, in seconds; it is called
    at most once per distinct text. ``phrases`` defaults to the catalogue for
    ``routine.language`` (English when there is none). ``keys``: the session is played with
    the control keys active, so the intro names them instead of Ctrl-C.

    The phases (their number, order, kinds and exercise/set/rep/side) do not depend on the
    pace, so phase ``k`` of a session at one pace is phase ``k`` at any other.
    """
    words = phrases or phrases_for(routine.language)
    measure = _memoised(speech_len)

    body = _Builder(pace, measure, words)
    made: dict[Exercise, Exercise] = {}  # a routine may repeat an exercise: one of each
    exercises = tuple(_effective_once(ex, pace, made) for ex in routine.exercises)
    plans = []
    for i, exercise in enumerate(exercises, 1):
        following = exercises[i] if i < len(exercises) else None
        body.exercise(i, exercise, following)
        stage = stage_for(routine.exercises[i - 1], pace.week)
        percent = pace.percent * exercise.pace / 100.0
        plans.append(
            ExercisePlan.of(i, exercise, pace.week, stage.week if stage else None, percent)
        )
    body.outro()

    # The intro says how long the whole session is, which includes the intro itself.
    minutes = _minutes(body.t)
    intro = _intro(routine, pace, measure, words, minutes, keys)
    if _minutes(body.t + intro.t) != minutes:
        intro = _intro(routine, pace, measure, words, _minutes(body.t + intro.t), keys)

    offset = intro.t
    # Every intro cue starts before the body; shifting keeps the body's order.
    if intro.valid and body.valid and math.isfinite(offset + body.t):
        phases, cues = _unchecked(intro, 0.0)
        body_phases, body_cues = _unchecked(body, offset)
        phases += body_phases
        cues += body_cues
    else:  # the checked constructors raise what is wrong
        phases = _phase_list(intro, 0.0, Phase) + _phase_list(body, offset, Phase)
        cues = _cue_list(intro, 0.0, Cue) + _cue_list(body, offset, Cue)
    chapters = [Chapter(t, title) for t, title in intro.chapters]
    chapters += [Chapter(t + offset, title) for t, title in body.chapters]
    return Timeline(
        routine=routine.id,
        title=routine.title,
        pace=pace,
        duration=offset + body.t,
        chapters=tuple(chapters),
        phases=tuple(phases),
        cues=tuple(cues),
        exercises=tuple(plans),
        language=words.language,
    )


def _unchecked(b: _Builder, offset: float) -> tuple[list[Phase], list[Cue]]:
    """The phases and cues of ``b``, shifted by ``offset``: cues sorted by (start, tones
    first), as ``_cue_list`` sorts them.

    Valid by construction (``_Builder.valid``, no time overflowed), so built without their
    checks, by setting their slots (a long session has ~10^5 cues). Phases are placed one
    after another and each layout is sorted, so the cues come out in order; that is checked
    on the way, and if it fails (times so large that distinct offsets round to one) they are
    built again by ``_cue_list``."""
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
        cues = _cue_list(b, offset, _unchecked_cue)
    return phases, cues


def _phase_list(
    b: _Builder,
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


def _cue_list(
    b: _Builder,
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
    rows.sort(key=_by_time)
    return [
        make(t + offset, length, kind, text, sound, exercise, side)
        for t, _, length, kind, text, sound, exercise, side in rows
    ]


def _effective_once(ex: Exercise, pace: Pace, made: dict[Exercise, Exercise]) -> Exercise:
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


def spoken(
    lines: tuple[str, ...],
    speech_len: Callable[[str], float],
    *,
    gap: float = 0.25,
    tone: SoundName | None = None,
    title: str = "matcue",
) -> Timeline:
    """A short timeline of ``lines`` said one after another, ``gap`` seconds apart and ending
    ``gap`` after the last: what the player says in answer to a key ("Resuming. Three. Two.
    One."). The first line starts at once, or ``gap`` after ``tone`` if there is one. One
    ``intro``-kind phase covers it all."""
    measure = _memoised(speech_len)
    cues: list[Cue] = []
    t = -gap  # without a tone, the first line starts at once: an answer to a key is quick
    if tone is not None:
        cues.append(Cue(0.0, SOUND_LENGTHS[tone], "tone", sound=tone))
        t = SOUND_LENGTHS[tone]
    for text in lines:
        length = measure(text)
        cues.append(Cue(t + gap, length, "speech", text=text))
        t += gap + length
    duration = max(t + gap, gap)
    return Timeline(
        routine="matcue",
        title=title,
        pace=Pace(gap=gap),
        duration=duration,
        chapters=(),
        phases=(Phase(0.0, duration, "intro"),),
        cues=tuple(cues),
    )


def least_duration(routine: Routine, pace: Pace, phrases: Phrases | None = None) -> float:
    """The least the session of ``routine`` can last at ``pace``, in seconds.

    The same phases as :func:`compile`, without their words (speech counted as nothing, so no
    speech is needed to know it): a timed phase lasts at least its scaled seconds, and a phase
    that says anything at least ``2 × pace.gap``. Kept here, beside the compiler, as it
    must follow the compiler's phases.
    """
    words = phrases or phrases_for(routine.language)
    total = 0.0
    for i, exercise in enumerate(routine.exercises):
        total += _least_exercise(
            effective(exercise, pace), pace, words, last=i == len(routine.exercises) - 1
        )
    return total


def _least_exercise(ex: Exercise, pace: Pace, words: Phrases, *, last: bool) -> float:
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


def _memoised(speech_len: Callable[[str], float]) -> Callable[[str], float]:
    cache: dict[str, float] = {}

    def measure(text: str) -> float:
        length = cache.get(text)
        if length is None:
            length = float(speech_len(text))
            if not (math.isfinite(length) and length >= 0):
                raise ValueError(f"speech_len({text!r}) returned {length!r}")
            length = cache[text] = max(length, _MIN_SPEECH)
        return length

    return measure


def _minutes(seconds: float) -> int:
    """Whole minutes, rounded half up, at least one."""
    return max(1, math.floor(seconds / 60 + 0.5))


def _count(seconds: float, cap: int | None) -> int:
    """How many countdown marks a phase of ``seconds`` (at pace 100) gets: one per whole
    second before its end, none at its very start."""
    marks = max(0, math.ceil(seconds - _EPS) - 1)
    return marks if cap is None else min(cap, marks)


def _join(*parts: str | None) -> tuple[str, ...]:
    """Parts as one spoken line (empty tuple if there is nothing to say)."""
    text = " ".join(sentence(p) for p in parts if p and p.strip())
    return (text,) if text else ()


def _intro(
    routine: Routine,
    pace: Pace,
    measure: Callable[[str], float],
    words: Phrases,
    minutes: int,
    keys: bool,
) -> _Builder:
    intro = _Builder(pace, measure, words)
    intro.chapter(words.intro_chapter)
    lines = (
        *_join(routine.title),
        words.about_minutes(minutes),
        *(sentence(c) for c in routine.cautions if c.strip()),
        sentence(words.controls.keys_line if keys else words.keys),
    )
    intro.phase("intro", None, tone="start", lines=lines)
    return intro


class _Builder:
    """Places phases one after another from t = 0; collects rows, chapters."""

    def __init__(self, pace: Pace, measure: Callable[[str], float], words: Phrases) -> None:
        self.pace = pace
        self.percent = pace.percent  # the session's pace times the current exercise's
        self.measure = measure
        self.words = words
        self.t = 0.0
        self.starts: list[float] = []  # each phase's start,
        self.slots: list[_Slot] = []  # its slot,
        self.numbers: list[int | None] = []  # its exercise
        self.tail: list[_LayoutRow] = []  # the outro's cues, at absolute times
        # every cue row so far has a start >= 0, a finite length > 0 and text iff speech (a
        # ``Cue`` would accept it): see ``_row_ok``
        self.valid = True
        self.chapters: list[tuple[float, str]] = []
        self.counted = False  # the last phase ended with a countdown ("... two, one")
        # the slots of each exercise laid out so far, by (id of the effective exercise, counted
        # before it): an exercise object stays alive (and its id its own) while compiling
        self._exercises: dict[tuple[int, bool], list[_Slot]] = {}
        self._recording: list[_Slot] | None = None
        self._durations: dict[tuple[int, bool], list[float]] = {}  # of those slots
        self._numbers: dict[int, str] = {}
        self._reps: dict[int, str] = {}
        self._layouts: dict[
            tuple[float | None, SoundName | None, tuple[str, ...], int, bool, float], _Layout
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

    def place(self, slot: _Slot, exercise: int | None) -> None:
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
    ) -> _Layout:
        """A phase's length and its cues relative to its start (phases repeat every rep, so
        each distinct phase is laid out once)."""
        gap = self.pace.gap
        rows: list[_LayoutRow] = []
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
            if spoken and mark >= last + gap - _EPS and mark + length + gap <= following + _EPS:
                rows.append((mark, 1, length, "speech", word, None))
                last = mark + length
            else:
                rows.append((mark, 0, SOUND_LENGTHS["tick"], "tone", None, "tick"))
        rows.sort(key=_by_time)
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
                count=_count(timing.rest, COUNTDOWN),
            )

    def _exercise(self, i: int, ex: Exercise) -> None:
        """The phases of exercise ``i`` from its position to its last rep."""
        words = self.words
        sided = ex.sides in ("each", "alternate")
        timing = ex.timing
        start_side = sentence(words.start_side.format(side=words.right)) if sided else None
        lines = (
            sentence(words.next_exercise.format(name=ex.name)),
            *_join(_expand(ex.position, "right", words)),
            *([start_side] if start_side else []),
            *(sentence(_expand(c, "right", words)) for c in ex.cautions if c.strip()),
        )
        self.phase("position", None, lines=lines, exercise=i)
        self.phase(
            "get_ready",
            timing.get_ready,
            count=_count(timing.get_ready, COUNTDOWN),
            exercise=i,
        )

        specs: dict[tuple[SideName | None, bool], tuple[_Spec, ...]] = {}

        def steps(side: SideName | None, short: bool) -> tuple[_Spec, ...]:
            key = (side, short)
            if key not in specs:
                specs[key] = _rep_specs(ex, side, short, words, self.pace, self.scale)
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
                    count=_count(timing.set_rest, COUNTDOWN),
                    exercise=i,
                )
            if ex.sides == "each":
                run(s, "right")
                self.phase(  # time to change position, counted back in like get_ready
                    "switch",
                    timing.get_ready,
                    count=_count(timing.get_ready, COUNTDOWN),
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


def _row_ok(row: _LayoutRow) -> bool:
    """A cue of this row, placed at any finite time >= 0, passes ``Cue``'s checks."""
    dt, _, dur, kind, text, sound = row
    if not (0 <= dt < math.inf and 0 < dur < math.inf):
        return False
    return bool(text) and sound is None if kind == "speech" else bool(sound) and text is None


def _expand(text: str, side: SideName | None, words: Phrases) -> str:
    """``{side}``/``{other}`` -> this side's word and the other one's."""
    this, other = (words.left, words.right) if side == "left" else (words.right, words.left)
    return text.replace("{side}", this).replace("{other}", other)


def _seconds(step: Step) -> float:
    if step.seconds is None:
        raise ValueError(f"a {step.kind} step needs a length in seconds")
    return step.seconds


def _rep_specs(
    ex: Exercise,
    side: SideName | None,
    short: bool,
    words: Phrases,
    pace: Pace,
    scale: Callable[[float], float],
) -> tuple[_Spec, ...]:
    """The phases of one rep. The short form (from rep ``SHORT_FROM_REP`` on) keeps the
    catalogue cue and a move's own text, and drops the step text and ``say:``.

    ``pace.breath_words`` decides the breathe in/out words: ``always`` (long, then short),
    ``first`` (long form only; later reps are carried by the tones) or ``never`` (only the
    step's own text). ``pace.count`` decides how holds are counted: numbers (``voice``),
    ticks (``tones``) or not at all (``off``: the hold says its length instead)."""
    timing = ex.timing
    breath_hold = ex.breath.hold if ex.breath is not None else 0.0
    out: list[_Spec] = []

    def breath_line(cue: str, short_cue: str, *rest: str | None) -> tuple[str, ...]:
        mode = pace.breath_words
        if short:
            return _join(short_cue) if mode == "always" else ()
        return _join(cue, *rest) if mode != "never" else _join(*rest)

    def hold_spec(seconds: float, say: str | None) -> _Spec:
        if pace.count == "off":
            length = max(1, round(scale(seconds)))
            return _Spec("hold", seconds, "tick", _join(words.hold_seconds(length), say), 0)
        return _Spec(
            "hold",
            seconds,
            "tick",
            _join(words.hold, say),
            _count(seconds, None),
            spoken=pace.count == "voice",
        )

    def after_inhale(next_step: Step | None) -> None:
        """Ratio breathing: the breath is held after each inhale (unless a hold follows)."""
        if breath_hold > 0 and (next_step is None or next_step.kind != "hold"):
            lines = () if short else _join(words.hold)
            out.append(_Spec("hold", breath_hold, "tick", lines, 0))

    for n, step in enumerate(ex.steps):
        following = ex.steps[n + 1] if n + 1 < len(ex.steps) else None
        text = _expand(step.text, side, words) if step.text else None
        say = _expand(step.say, side, words) if step.say and not short else None
        kind = step.kind
        if kind == "inhale":
            seconds = timing.inhale if step.seconds is None else step.seconds
            lines = breath_line(words.breathe_in, words.in_short, text, say)
            out.append(_Spec("inhale", seconds, "inhale", lines, 0))
            after_inhale(following)
        elif kind == "exhale":
            seconds = timing.exhale if step.seconds is None else step.seconds
            lines = breath_line(words.breathe_out, words.out_short, text, say)
            out.append(_Spec("exhale", seconds, "exhale", lines, 0))
        elif kind == "hold":
            out.append(hold_spec(_seconds(step), say))
        elif kind == "move":
            seconds = timing.move if step.seconds is None else step.seconds
            out.append(_Spec("move", seconds, "move", _join(text, say), 0))
        elif kind == "relax":
            out.append(_Spec("relax", _seconds(step), "rest", _join(words.relax, say), 0))
        else:  # breathe: free breaths, the first two of a long-form rep spelled out
            for cycle in range(step.cycles or 0):
                brief = short or cycle + 1 >= SHORT_FROM_REP
                first_say = say if cycle == 0 else None
                if pace.breath_words == "always":
                    breathe_in = (
                        _join(words.in_short) if brief else _join(words.breathe_in, first_say)
                    )
                    breathe_out = _join(words.out_short) if brief else _join(words.breathe_out)
                elif pace.breath_words == "first" and not brief:
                    breathe_in = _join(words.breathe_in, first_say)
                    breathe_out = _join(words.breathe_out)
                else:
                    breathe_in = () if brief else _join(first_say)
                    breathe_out = ()
                out.append(_Spec("inhale", timing.inhale, "inhale", breathe_in, 0))
                if breath_hold > 0:
                    out.append(
                        _Spec("hold", breath_hold, "tick", () if brief else _join(words.hold), 0)
                    )
                out.append(_Spec("exhale", timing.exhale, "exhale", breathe_out, 0))
    return tuple(out)
