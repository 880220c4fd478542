"""Properties of every compiled timeline, over random valid routines, speech lengths and paces."""

from __future__ import annotations

import bisect
import itertools
import zlib
from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcue.routine.model import BASES, Exercise, Routine, Step, Timing
from matcue.timeline import Pace, Timeline, compile, number_words
from matcue.timeline.bases import change_seconds, turn_over_seconds
from matcue.timeline.compiler import least_duration

TIMED = {"inhale", "exhale", "hold", "move", "relax", "get_ready", "rest", "set_rest"}
EPS = 1e-6

seconds = st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 8.0, 12.0])
pause = st.sampled_from([0.0, 1.0, 2.5, 6.0, 15.0, 20.0])  # get_ready, rest, set_rest
text = st.sampled_from(
    ["Lift your {side} leg.", "Lower it slowly", "Reach your {side} arm and {other} leg long."]
)
say = st.none() | st.sampled_from(["Keep your neck soft.", "Head, back and limbs in one line."])

steps = st.one_of(
    st.builds(
        Step, kind=st.just("inhale"), text=st.none() | text, seconds=st.none() | seconds, say=say
    ),
    st.builds(
        Step, kind=st.just("exhale"), text=st.none() | text, seconds=st.none() | seconds, say=say
    ),
    st.builds(Step, kind=st.just("hold"), seconds=seconds, say=say),
    st.builds(Step, kind=st.just("move"), text=text, seconds=st.none() | seconds, say=say),
    st.builds(Step, kind=st.just("relax"), seconds=seconds, say=say),
    st.builds(Step, kind=st.just("breathe"), cycles=st.integers(1, 4), say=say),
)
timings = st.builds(
    Timing,
    inhale=seconds,
    exhale=seconds,
    move=seconds,
    rest=pause,
    set_rest=pause,
    get_ready=pause,
)
exercises = st.builds(
    Exercise,
    name=st.sampled_from(["Pelvic tilt", "Bird dog", "Cat cow", "Knee hug"]),
    position=st.sampled_from(["Lie on your back.", "Kneel on all fours, hands under shoulders."]),
    steps=st.lists(steps, min_size=1, max_size=4).map(tuple),
    reps=st.integers(1, 4),
    sets=st.integers(1, 3),
    sides=st.sampled_from(["none", "each", "alternate", "both"]),
    timing=timings,
    cautions=st.lists(st.just("Stop if it hurts."), max_size=1).map(tuple),
)
routines = st.builds(
    Routine,
    id=st.just("random"),
    title=st.just("Random routine"),
    exercises=st.lists(exercises, min_size=1, max_size=3).map(tuple),
    cautions=st.lists(st.just("Go gently."), max_size=2).map(tuple),
)
percents = st.floats(25, 400)


@st.composite
def speech_tables(draw: st.DrawFn) -> Callable[[str], float]:
    """A deterministic, text-dependent speech length: base + per char + a jitter per text."""
    base = draw(st.floats(0.0, 1.0))
    per_char = draw(st.floats(0.0, 0.15))
    jitter = draw(st.lists(st.floats(0.0, 2.0), min_size=1, max_size=5))

    def speech_len(line: str) -> float:
        return base + per_char * len(line) + jitter[zlib.crc32(line.encode()) % len(jitter)]

    return speech_len


def tiny(line: str) -> float:
    return 1e-7


def nominal_timed(routine: Routine) -> list[float]:
    """The seconds (at pace 100) of every timed phase, in order, straight from the routine."""
    out: list[float] = []
    for i, ex in enumerate(routine.exercises, 1):
        t = ex.timing
        rep: list[float] = []
        for step in ex.steps:
            if step.kind == "breathe":
                rep += [t.inhale, t.exhale] * (step.cycles or 0)
            elif step.seconds is not None:
                rep.append(step.seconds)
            else:
                rep.append({"inhale": t.inhale, "exhale": t.exhale, "move": t.move}[step.kind])
        per_side = rep * ex.reps
        if t.get_ready:
            out.append(t.get_ready)
        for s in range(1, ex.sets + 1):
            if s > 1 and t.set_rest:
                out.append(t.set_rest)
            out += per_side * (1 if ex.sides in ("none", "both") else 2)
        if i < len(routine.exercises) and t.rest:
            out.append(t.rest)
    return out


@settings(max_examples=150, deadline=None)
@given(routine=routines, speech_len=speech_tables(), percent=percents, gap=st.floats(0, 0.5))
def test_structure_and_speech_never_overlaps(
    routine: Routine, speech_len: Callable[[str], float], percent: float, gap: float
) -> None:
    calls: list[str] = []

    def counted(line: str) -> float:
        calls.append(line)
        return speech_len(line)

    tl = compile(routine, Pace(percent, gap=gap), counted)
    assert len(calls) == len(set(calls))

    phases = tl.phases
    assert phases[0].t == 0.0 and phases[0].kind == "intro" and phases[-1].kind == "outro"
    for a, b in itertools.pairwise(phases):
        assert abs(b.t - a.end) <= 1e-9
    assert abs(phases[-1].end - tl.duration) <= 1e-9
    assert all(p.dur > 0 for p in phases)

    order = [(c.t, c.kind == "speech") for c in tl.cues]
    assert order == sorted(order)
    assert all(c.end <= tl.duration + 1e-9 for c in tl.cues)

    starts = [p.t for p in phases]
    speech = [c for c in tl.cues if c.kind == "speech"]
    for line, following in itertools.pairwise(speech):
        assert following.t >= line.end + gap - EPS, (line, following)
    for c in speech:
        phase = phases[bisect.bisect_right(starts, c.t + 1e-9) - 1]
        assert phase.t - 1e-9 <= c.t
        assert c.end <= phase.end - gap + EPS, (c, phase)

    positions = [p for p in phases if p.kind == "position"]
    assert [(c.t, c.title) for c in tl.chapters] == [
        (0.0, "Introduction"),
        *((p.t, ex.name) for p, ex in zip(positions, routine.exercises, strict=True)),
        (phases[-1].t, "Closing"),
    ]


@settings(max_examples=150, deadline=None)
@given(routine=routines, percent=percents)
def test_timed_phases_scale_exactly_with_pace(routine: Routine, percent: float) -> None:
    tl = compile(routine, Pace(percent, gap=0.0), tiny)
    timed = [p.dur for p in tl.phases if p.kind in TIMED]
    expected = [s * 100 / percent for s in nominal_timed(routine)]
    assert len(timed) == len(expected)
    for got, want in zip(timed, expected, strict=True):
        assert abs(got - want) <= 1e-9


@settings(max_examples=100, deadline=None)
@given(
    routine=routines,
    speech_len=speech_tables(),
    percent=st.floats(25, 200),
    gap=st.floats(0, 0.5),
)
def test_doubling_the_pace_never_lengthens_a_timed_phase(
    routine: Routine, speech_len: Callable[[str], float], percent: float, gap: float
) -> None:
    slow = compile(routine, Pace(percent, gap=gap), speech_len)
    fast = compile(routine, Pace(percent * 2, gap=gap), speech_len)
    assert [p.kind for p in slow.phases] == [p.kind for p in fast.phases]
    for s, f in zip(slow.phases, fast.phases, strict=True):
        if s.kind in TIMED or s.kind == "switch":  # switch waits get_ready, or its words
            assert f.dur <= s.dur + 1e-9
        elif s.kind != "intro":  # speech-driven; the intro's minute count may differ
            assert abs(f.dur - s.dur) <= 1e-9


# --------------------------------------------------------------------------- the session arc

bases = st.none() | st.sampled_from(BASES)
arc_steps = st.one_of(
    steps,
    st.builds(
        Step,
        kind=st.just("hold"),
        seconds=st.sampled_from([3.0, 10.0, 15.0, 25.0, 45.0]),
        say=say,
        remind=st.lists(st.just("Hips level."), max_size=2).map(tuple),
    ),
)
arc_exercises = st.builds(
    Exercise,
    name=st.sampled_from(["Pelvic tilt", "Bird dog", "Cat cow", "Knee hug"]),
    position=st.sampled_from(["Lie on your back.", "Lie on your {side} side. Rest your head."]),
    steps=st.lists(arc_steps, min_size=1, max_size=4).map(tuple),
    reps=st.integers(1, 5),
    sets=st.integers(1, 2),
    sides=st.sampled_from(["each", "alternate"]),
    timing=timings,
    base=bases,
    get_there=st.none() | st.just("Roll onto your {side} side."),
)


@st.composite
def arc_routines(draw: st.DrawFn) -> Routine:
    """Routines with bases, ways in, reminders, a warm-up and a cool-down."""

    def part(name: str, size: int) -> tuple[Exercise, ...]:
        found = draw(st.lists(arc_exercises, max_size=size))
        return tuple(replace(e, part=name) for e in found)  # type: ignore[arg-type]

    return Routine(
        id="arc",
        title="Arc",
        exercises=tuple(draw(st.lists(arc_exercises, min_size=1, max_size=3))),
        equipment=draw(st.lists(st.sampled_from(["mat", "chair"]), max_size=2).map(tuple)),
        warmup=part("warmup", 1),
        cooldown=part("cooldown", 2),
    )


NUMBERS = {f"{number_words(n).capitalize()}.": n for n in range(1, 100)}


def count_problems(tl: Timeline) -> list[str]:
    """Counts that skip a number, do not end at one, or tick after their numbers began."""
    problems = []
    for phase in tl.phases:
        inside = [c for c in tl.cues if phase.t - 1e-9 <= c.t < phase.end - 1e-9]
        numbers = [NUMBERS[c.text] for c in inside if c.text in NUMBERS]
        if not numbers:
            continue
        if numbers != list(range(numbers[0], 0, -1)):
            problems.append(f"{phase.kind} at {phase.t:.2f} counts {numbers}")
        first = next(c.t for c in inside if c.text in NUMBERS)
        if any(c.sound == "tick" and c.t > first for c in inside):
            problems.append(f"{phase.kind} at {phase.t:.2f} ticks inside its count")
    return problems


@settings(max_examples=80, deadline=None)
@given(routine=arc_routines(), speech_len=speech_tables(), percent=st.sampled_from([50, 100, 200]))
def test_counts_never_skip_and_the_arc_keeps_its_order(
    routine: Routine, speech_len: Callable[[str], float], percent: float
) -> None:
    tl = compile(routine, Pace(percent), speech_len)
    assert count_problems(tl) == []
    played = routine.played
    titles = {"warmup": "Warm-up: {}", "cooldown": "Cool-down: {}", "main": "{}"}
    assert [c.title for c in tl.chapters] == [
        "Introduction",
        *(titles[ex.part].format(ex.name) for ex in played),
        "Closing",
    ]
    # one countdown into each exercise: none in the rests
    rests = [p for p in tl.phases if p.kind == "rest"]
    assert not any(c.text in NUMBERS for p in rests for c in tl.cues if p.t <= c.t < p.end)
    assert least_duration(routine, Pace(percent)) <= tl.duration + 1e-6
    # the phases do not depend on the pace
    other = compile(routine, Pace(percent * 1.5), speech_len)
    key = [(p.kind, p.exercise, p.set, p.rep, p.side) for p in tl.phases]
    assert key == [(p.kind, p.exercise, p.set, p.rep, p.side) for p in other.phases]


@settings(max_examples=80, deadline=None)
@given(routine=arc_routines(), percent=percents)
def test_rests_and_switches_get_the_time_their_change_of_position_needs(
    routine: Routine, percent: float
) -> None:
    tl = compile(routine, Pace(percent, gap=0.0), tiny)
    played = routine.played
    rests = [p for p in tl.phases if p.kind == "rest"]
    expected = [
        ex.timing.rest + change_seconds(ex.base, following.base)
        for ex, following in itertools.pairwise(played)
        if ex.timing.rest + change_seconds(ex.base, following.base) > 0
    ]
    assert [p.dur for p in rests] == [pytest.approx(s * 100 / percent) for s in expected]
    switches = [p for p in tl.phases if p.kind == "switch"]
    want = [
        ex.timing.get_ready + turn_over_seconds(ex.base)
        for ex in played
        if ex.sides == "each"
        for _ in range(ex.sets)
    ]
    for got, seconds in zip(switches, want, strict=True):
        assert got.dur >= seconds * 100 / percent - 1e-9
