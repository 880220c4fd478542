"""Properties of every compiled timeline, over random valid routines, speech lengths and paces."""

from __future__ import annotations

import bisect
import itertools
import zlib
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from matcue.routine.model import Exercise, Routine, Step, Timing
from matcue.timeline import Pace, compile

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
