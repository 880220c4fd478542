"""The timeline compiler: ``Routine`` + ``Pace`` + ``speech_len`` -> ``Timeline``.

A pure function: no I/O, no audio. Every word comes from a ``Phrases`` catalogue; how long a
line lasts comes from ``speech_len``. The rules (DESIGN §3):

- Timed phases (steps, get_ready, rest, set_rest) last ``max(pace.scale(seconds), need)``;
  speech-driven phases (intro, position, outro) last ``need``. ``need`` is
  ``gap + sum(line + gap)`` over the phase's lines: a phase's tone sounds at its start, its
  first line starts ``gap`` later, lines follow each other ``gap`` apart and the last one
  ends at least ``gap`` before the phase ends. So no two lines ever overlap, even across
  phases.
- Counts (holds; the end of get_ready, switch and set_rest: the one countdown into each
  exercise, side and set) put one mark on each second boundary counted back from the phase
  end; a count never skips a number: where numbers do not fit, its first marks are ticks
  (:mod:`~matcue.timeline.layout`). A count never drifts behind the clock.
- The session plays ``Routine.played``: the warm-up's exercises, the routine's own, the
  cool-down's. Rests preview the next exercise and how to get there, with the extra time a
  change of position needs (:mod:`~matcue.timeline.bases`); the outro says how to get up.
- A pause set to 0 s (get_ready, set_rest, rest) is left out, words and all.
- Times are absolute seconds from the session start; phases tile ``[0, duration)``.

Before any of that, each exercise is made *effective*
(:func:`~matcue.timeline.effective.effective`): the progression stage of ``pace.week``
applies, then the ``Pace`` overrides (reps, sets, rest, breath) and percentages (holds, rests,
reps), so the rest of the compiler only ever sees plain numbers. An exercise's own ``pace:``
multiplies the session's pace for its phases and its rest.

The stages of a compile, one module each: :mod:`~matcue.timeline.effective` (the exercise as
the session runs it), :mod:`~matcue.timeline.reps` (the phases of one rep: steps, words, holds
and counts), :mod:`~matcue.timeline.builder` (phases placed in time, each phase's cues laid
out), :mod:`~matcue.timeline.assemble` (the frozen ``Phase`` and ``Cue`` objects). This module
puts them together, with the intro, and holds :func:`spoken` and :func:`least_duration`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from matcue.routine.model import Exercise, Routine
from matcue.timeline.assemble import cue_list, phase_list, unchecked
from matcue.timeline.bases import rest_seconds, switch_seconds
from matcue.timeline.builder import Builder
from matcue.timeline.effective import effective, effective_once, stage_for
from matcue.timeline.model import Chapter, Cue, ExercisePlan, Pace, Phase, SideName, Timeline
from matcue.timeline.phrases import Phrases, phrases_for, sentence
from matcue.timeline.reps import SHORT_FROM_REP, one_line, rep_specs
from matcue.timeline.sounds import SOUND_LENGTHS, SoundName

__all__ = ["compile", "least_duration", "spoken"]

_MIN_SPEECH = 1e-6  # a line reported as 0 s still needs a positive cue length


def compile(
    routine: Routine,
    pace: Pace,
    speech_len: Callable[[str], float],
    *,
    phrases: Phrases | None = None,
    keys: bool = False,
    media_keys: bool = False,
) -> Timeline:
    """Compile ``routine`` into the session timeline.

    ``speech_len(text)`` is how long ``text`` lasts when spoken, in seconds; it is called
    at most once per distinct text. ``phrases`` defaults to the catalogue for
    ``routine.language`` (English when there is none). ``keys``: the session is played with
    the control keys active, so the intro names them. ``media_keys``: the media keys and
    headphone buttons control it (MPRIS), and the intro says so. Without either (an exported
    file, a session played without a terminal) nothing is said about controls.

    The phases (their number, order, kinds and exercise/set/rep/side) do not depend on the
    pace, so phase ``k`` of a session at one pace is phase ``k`` at any other.
    """
    words = phrases or phrases_for(routine.language)
    measure = _memoised(speech_len)

    body = Builder(pace, measure, words)
    made: dict[Exercise, Exercise] = {}  # a routine may repeat an exercise: one of each
    played = routine.played  # the warm-up's exercises, the routine's own, the cool-down's
    exercises = tuple(effective_once(ex, pace, made) for ex in played)
    plans = []
    for i, exercise in enumerate(exercises, 1):
        previous = exercises[i - 2] if i > 1 else None
        following = exercises[i] if i < len(exercises) else None
        body.exercise(i, exercise, previous, following)
        stage = stage_for(played[i - 1], pace.week)
        percent = pace.percent * exercise.pace / 100.0
        rest = rest_seconds(exercise, following)
        plans.append(
            ExercisePlan.of(i, exercise, pace.week, stage.week if stage else None, percent, rest)
        )
    body.outro(exercises[-1].base if exercises else None)

    # The intro says how long the whole session is, which includes the intro itself.
    minutes = _minutes(body.t)
    intro = _intro(routine, pace, measure, words, minutes, keys, media_keys)
    if _minutes(body.t + intro.t) != minutes:
        minutes = _minutes(body.t + intro.t)
        intro = _intro(routine, pace, measure, words, minutes, keys, media_keys)

    offset = intro.t
    # Every intro cue starts before the body; shifting keeps the body's order.
    if intro.valid and body.valid and math.isfinite(offset + body.t):
        phases, cues = unchecked(intro, 0.0)
        body_phases, body_cues = unchecked(body, offset)
        phases += body_phases
        cues += body_cues
    else:  # the checked constructors raise what is wrong
        phases = phase_list(intro, 0.0, Phase) + phase_list(body, offset, Phase)
        cues = cue_list(intro, 0.0, Cue) + cue_list(body, offset, Cue)
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
    played = routine.played
    for i, exercise in enumerate(played):
        following = played[i + 1] if i + 1 < len(played) else None
        total += _least_exercise(effective(exercise, pace), pace, words, following)
    return total


def _least_exercise(ex: Exercise, pace: Pace, words: Phrases, following: Exercise | None) -> float:
    """``ex`` as the session runs it (``effective``): its own pace on top of the session's."""
    spoken = 2 * pace.gap  # the least a phase with words lasts
    percent = pace.percent * ex.pace / 100.0

    def scale(seconds: float) -> float:
        return seconds * 100.0 / percent

    def timed(seconds: float) -> float:
        return max(scale(seconds), spoken) if seconds > 0 else 0.0

    def rep(side: SideName | None, short: bool) -> float:
        specs = rep_specs(ex, side, short, words, pace, scale)
        return sum(max(scale(s.seconds), spoken if s.lines else 0.0) for s in specs)

    sides: tuple[SideName | None, ...] = (
        ("right", "left") if ex.sides in ("each", "alternate") else (None,)
    )
    long_reps = min(ex.reps, SHORT_FROM_REP - 1)
    one_set = sum(
        long_reps * rep(side, False) + (ex.reps - long_reps) * rep(side, True) for side in sides
    )
    if ex.sides == "each":  # the switch
        one_set += max(scale(switch_seconds(ex)), spoken)
    total = spoken + scale(ex.timing.get_ready)  # position, get ready
    total += ex.sets * one_set + (ex.sets - 1) * timed(ex.timing.set_rest)
    if following is not None:
        total += timed(rest_seconds(ex, following))
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


def _intro(
    routine: Routine,
    pace: Pace,
    measure: Callable[[str], float],
    words: Phrases,
    minutes: int,
    keys: bool,
    media_keys: bool = False,
) -> Builder:
    intro = Builder(pace, measure, words)
    intro.chapter(words.intro_chapter)
    equipment = words.equipment_line(routine.equipment)
    lines = (
        *one_line(routine.title),
        words.about_minutes(minutes),
        *((equipment,) if equipment else ()),
        *(sentence(c) for c in routine.cautions if c.strip()),
        *((sentence(words.controls.keys_line),) if keys else ()),
        *((sentence(words.controls.media_keys_line),) if media_keys else ()),
    )
    intro.phase("intro", None, tone="start", lines=lines)
    return intro
