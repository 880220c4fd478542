"""Pace settings (issue #6): pace, holds, rests, breath ratios, reps/sets, levels, per-exercise
overrides, progression by week, counting and breath words. Exact arithmetic, over random
routines, and the rule that speech never overlaps whatever the speech rate."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcue.routine import parse_routine
from matcue.routine.model import Breath, Exercise, Routine, Stage, Step, Timing
from matcue.timeline import Pace, compile
from matcue.timeline.effective import effective
from matcue.timeline.model import LEVELS, Timeline
from matcue.timeline.reps import SHORT_FROM_REP
from test_compiler_properties import TIMED, routines, speech_tables

EPS = 1e-9
TINY = 1e-7

breaths = st.none() | st.builds(
    Breath,
    inhale=st.sampled_from([1.0, 2.5, 4.0]),
    exhale=st.sampled_from([2.0, 4.0, 6.5]),
    hold=st.sampled_from([0.0, 0.0, 1.5, 7.0]),
)
paces = st.builds(
    Pace,
    percent=st.floats(25, 400),
    gap=st.just(0.0),
    holds=st.floats(10, 400),
    rests=st.floats(10, 400),
    rest=st.none() | st.sampled_from([0.0, 5.0, 30.0]),
    breath=breaths,
    reps=st.none() | st.integers(1, 5),
    sets=st.none() | st.integers(1, 3),
    rep_percent=st.sampled_from([50.0, 70.0, 100.0, 130.0]),
)


@st.composite
def overridden_routines(draw: st.DrawFn) -> Routine:
    """Random routines whose exercises carry their own pace, holds and breath."""
    routine = draw(routines)
    exercises = tuple(
        replace(
            ex,
            pace=draw(st.sampled_from([100.0, 50.0, 80.0, 150.0])),
            holds=draw(st.sampled_from([100.0, 50.0, 200.0])),
            breath=draw(breaths),
        )
        for ex in routine.exercises
    )
    return replace(routine, exercises=exercises)


def expected_timed(routine: Routine, pace: Pace) -> list[float]:
    """Every timed phase's seconds, worked out from the routine and the settings alone."""
    out: list[float] = []
    for i, ex in enumerate(routine.exercises, 1):
        percent = pace.percent * ex.pace / 100
        t = ex.timing
        breath = pace.breath or ex.breath
        inhale = breath.inhale if breath else t.inhale
        exhale = breath.exhale if breath else t.exhale
        held = breath.hold if breath else 0.0
        factor = pace.holds / 100 * ex.holds / 100
        if pace.rest is not None:
            rest = set_rest = pace.rest
        else:
            rest, set_rest = t.rest * pace.rests / 100, t.set_rest * pace.rests / 100
        reps = pace.reps or min(100, max(1, round(ex.reps * pace.rep_percent / 100)))
        sets = pace.sets or ex.sets
        rep: list[float] = []
        for n, step in enumerate(ex.steps):
            following = ex.steps[n + 1] if n + 1 < len(ex.steps) else None
            if step.kind == "breathe":
                cycle = [inhale, *([held] if held else []), exhale]
                rep += cycle * (step.cycles or 0)
            elif step.kind == "inhale":
                rep.append(inhale if breath else (step.seconds or t.inhale))
                if held and (following is None or following.kind != "hold"):
                    rep.append(held)
            elif step.kind == "exhale":
                rep.append(exhale if breath else (step.seconds or t.exhale))
            elif step.kind == "hold":
                assert step.seconds is not None
                rep.append(step.seconds * factor)
            elif step.kind == "move":
                rep.append(step.seconds or t.move)
            else:
                assert step.seconds is not None
                rep.append(step.seconds)
        seconds: list[float] = []
        if t.get_ready:
            seconds.append(t.get_ready)
        for s in range(1, sets + 1):
            if s > 1 and set_rest:
                seconds.append(set_rest)
            seconds += rep * reps * (1 if ex.sides in ("none", "both") else 2)
        if i < len(routine.exercises) and rest:
            seconds.append(rest)
        out += [s * 100 / percent for s in seconds]
    return out


def timed(tl: Timeline) -> list[float]:
    return [p.dur for p in tl.phases if p.kind in TIMED]


def assert_close(got: list[float], want: list[float]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert abs(g - w) <= 1e-9 * max(1.0, w), (g, w)


@settings(max_examples=150, deadline=None)
@given(routine=overridden_routines(), pace=paces)
def test_pace_holds_rests_breath_and_counts_scale_exactly(routine: Routine, pace: Pace) -> None:
    tl = compile(routine, pace, lambda line: TINY)
    assert_close(timed(tl), expected_timed(routine, pace))


@settings(max_examples=60, deadline=None)
@given(routine=overridden_routines(), level=st.sampled_from(sorted(LEVELS)))
def test_levels_set_pace_holds_rests_and_reps_together(routine: Routine, level: str) -> None:
    pace = Pace.for_level(level, gap=0.0)
    for key, value in LEVELS[level].items():
        assert getattr(pace, key) == value
    tl = compile(routine, pace, lambda line: TINY)
    assert_close(timed(tl), expected_timed(routine, pace))


def test_an_option_given_beside_a_level_wins() -> None:
    pace = Pace.for_level("gentle", percent=120.0)
    assert (pace.percent, pace.holds, pace.level) == (120.0, LEVELS["gentle"]["holds"], "gentle")
    with pytest.raises(ValueError, match="level must be one of"):
        Pace.for_level("extreme")


@settings(max_examples=80, deadline=None)
@given(
    routine=overridden_routines(),
    speech_len=speech_tables(),
    pace=paces,
    rates=st.tuples(st.integers(80, 450), st.integers(80, 450)),
    gap=st.floats(0, 0.5),
)
def test_a_slower_voice_stretches_the_timeline_and_never_overlaps(
    routine: Routine,
    speech_len: Callable[[str], float],
    pace: Pace,
    rates: tuple[int, int],
    gap: float,
) -> None:
    """Speech lengths scale with 150 / rate (words per minute); whatever the rate and pace,
    no two lines overlap, no line runs past its phase, and a slower rate is never shorter."""
    pace = replace(pace, gap=gap)
    fast_rate, slow_rate = max(rates), min(rates)
    results = []
    for rate in (fast_rate, slow_rate):
        tl = compile(routine, pace, lambda line, r=rate: speech_len(line) * 150 / r)  # type: ignore[misc]
        speech = [c for c in tl.cues if c.kind == "speech"]
        for a, b in itertools.pairwise(speech):
            assert b.t >= a.end + gap - 1e-6, (a, b)
        for phase in tl.phases:
            inside = [c for c in speech if phase.t - EPS <= c.t < phase.end - EPS]
            assert all(c.end <= phase.end - gap + 1e-6 for c in inside)
        results.append(tl)
    fast, slow = results
    assert [p.kind for p in fast.phases] == [p.kind for p in slow.phases]
    for f, s in zip(fast.phases, slow.phases, strict=True):
        if f.kind != "intro":  # the intro's minute count may differ
            assert s.dur >= f.dur - 1e-9


# -- per-exercise values, progression -----------------------------------------------------------

TILT = (Step("inhale", "Lift your hips."), Step("hold", seconds=10.0), Step("exhale", "Lower."))
GROWING = Exercise(
    name="Bridge",
    position="Lie on your back.",
    steps=TILT,
    reps=3,
    timing=Timing(get_ready=0, rest=0),
    stages=(Stage(week=3, hold=20.0), Stage(week=5, reps=5, hold=30.0), Stage(week=9, sets=2)),
)


@pytest.mark.parametrize(
    ("week", "reps", "sets", "hold", "stage"),
    [
        (1, 3, 1, 10.0, None),
        (2, 3, 1, 10.0, None),
        (3, 3, 1, 20.0, 3),
        (4, 3, 1, 20.0, 3),
        (5, 5, 1, 30.0, 5),
        (8, 5, 1, 30.0, 5),
        (9, 5, 2, 30.0, 9),
        (52, 5, 2, 30.0, 9),
    ],
)
def test_progression_by_week(
    week: int, reps: int, sets: int, hold: float, stage: int | None
) -> None:
    routine = Routine(id="p", title="Progress", exercises=(GROWING,))
    tl = compile(routine, Pace(week=week, gap=0.0), lambda line: TINY)
    holds = [p.dur for p in tl.phases if p.kind == "hold"]
    assert holds == [hold] * reps * sets
    plan = tl.exercises[0]
    assert (plan.reps, plan.sets, plan.holds, plan.week, plan.stage) == (
        reps,
        sets,
        (hold,),
        week,
        stage,
    )
    data = tl.to_json()
    assert data["week"] == week and data["exercises"][0]["stage"] == stage


def test_overrides_apply_after_the_week() -> None:
    ex = effective(GROWING, Pace(week=5, reps=2, holds=50.0))
    assert ex.reps == 2
    assert [s.seconds for s in ex.steps if s.kind == "hold"] == [15.0]


def test_an_exercise_pace_multiplies_the_session_pace() -> None:
    slow = replace(GROWING, pace=50.0, stages=())
    routine = Routine(id="p", title="Pace", exercises=(slow, replace(slow, pace=100.0)))
    tl = compile(routine, Pace(200, gap=0.0), lambda line: TINY)
    first = [p.dur for p in tl.phases if p.kind == "hold" and p.exercise == 1]
    second = [p.dur for p in tl.phases if p.kind == "hold" and p.exercise == 2]
    assert first == [10.0] * 3 and second == [5.0] * 3
    assert [e.pace for e in tl.exercises] == [100.0, 200.0]


ROUTINE_WITH_OVERRIDES = """\
matcue: 1
title: Overrides
exercises:
  - name: Bridge
    position: Lie on your back.
    pace: 80
    holds: 150%
    breath: 4:2:6
    progress:
      about: Start with ten seconds; work up to thirty.
      weeks:
        3: {hold: 20}
        5: {hold: 30, reps: 4}
    steps:
      - inhale: Lift your hips.
      - hold: 10
      - exhale: Lower them.
"""


def test_routine_files_set_pace_holds_breath_and_progression() -> None:
    routine = parse_routine(ROUTINE_WITH_OVERRIDES, "o.yaml")
    ex = routine.exercises[0]
    assert (ex.pace, ex.holds, ex.breath) == (80.0, 150.0, Breath(4.0, 6.0, 2.0))
    assert ex.progress == "Start with ten seconds; work up to thirty."
    assert ex.stages == (Stage(week=3, hold=20.0), Stage(week=5, reps=4, hold=30.0))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("pace: 80", "pace: 5", "6:11: pace must be a percentage from 10 to 400, got 5"),
        (
            "holds: 150%",
            "holds: lots",
            "7:12: holds must be a percentage from 10 to 400, got 'lots'",
        ),
        ("breath: 4:2:6", "breath: 4-6", "8:13: breath must be seconds in and out like '4:6'"),
        ("        3: {hold: 20}", "        1: {hold: 20}", "12:9: a week must be a whole number"),
        (
            "        3: {hold: 20}",
            "        .inf: {hold: 20}",
            "12:9: a week must be a whole number from 2 to 104 (week 1 is the exercise as "
            "written), got .inf",
        ),
        ("        3: {hold: 20}", "        3: {hld: 20}", "12:13: unknown key 'hld' in a week"),
        ("        3: {hold: 20}", "        3: {reps: 0}", "12:19: reps must be a whole number"),
        ("      about:", "      abut:", "10:7: unknown key 'abut' in progress"),
        ("      - hold: 10", "      - move: Hold it.", "10:7: progress sets a hold, but"),
    ],
)
def test_bad_overrides_are_errors_with_their_place(old: str, new: str, message: str) -> None:
    from matcue.routine import RoutineError

    assert old in ROUTINE_WITH_OVERRIDES
    with pytest.raises(RoutineError) as err:
        parse_routine(ROUTINE_WITH_OVERRIDES.replace(old, new), "o.yaml")
    assert any(str(p).startswith(f"o.yaml:{message}") for p in err.value.problems), [
        str(p) for p in err.value.problems
    ]


# -- counting and breath words ----------------------------------------------------------------

COUNTED = Routine(
    id="c",
    title="Counting",
    exercises=(
        replace(
            GROWING, reps=4, stages=(), steps=(*TILT[:1], Step("hold", seconds=3.0), *TILT[2:])
        ),
    ),
)


def heard(tl: Timeline, kind: str) -> list[list[str]]:
    out = []
    for phase in tl.phases:
        if phase.kind == kind:
            cues = [c for c in tl.cues if phase.t - EPS <= c.t < phase.end - EPS]
            out.append([c.text or f"[{c.sound}]" for c in cues])
    return out


def test_count_voice_tones_and_off() -> None:
    voice = compile(COUNTED, Pace(gap=0.1), lambda line: 0.2)
    tones = compile(COUNTED, Pace(gap=0.1, count="tones"), lambda line: 0.2)
    off = compile(COUNTED, Pace(gap=0.1, count="off"), lambda line: 0.2)
    assert heard(voice, "hold")[0] == ["[tick]", "Three.", "Two.", "One."]  # counted in full
    assert heard(tones, "hold")[0] == ["[tick]", "[tick]", "[tick]"]
    assert heard(off, "hold")[0] == ["[tick]", "Hold for three seconds."]
    # rep numbers: spoken with voice, left to the tones otherwise; "Last one." stays
    assert [h[1] for h in heard(voice, "inhale")] == [
        "Rep one.",
        "Rep two.",
        "Two more.",
        "Last one.",
    ]
    for tl in (tones, off):
        assert [h[1] for h in heard(tl, "inhale")] == [
            "Breathe in. Lift your hips.",
            "Breathe in. Lift your hips.",
            "In.",
            "Last one.",
        ]
    assert timed(voice) == timed(tones) == timed(off)


def test_breath_words_always_first_never() -> None:
    def inhales(mode: str) -> list[list[str]]:
        pace = Pace(gap=0.1, count="tones", breath_words=mode)  # type: ignore[arg-type]
        return [h[1:] for h in heard(compile(COUNTED, pace, lambda line: 0.2), "inhale")]

    long = ["Breathe in. Lift your hips."]
    assert inhales("always") == [long, long, ["In."], ["Last one.", "In."]]
    assert inhales("first") == [long, long, [], ["Last one."]]
    assert inhales("never") == [["Lift your hips."], ["Lift your hips."], [], ["Last one."]]
    assert SHORT_FROM_REP == 3


def test_ratio_breathing_holds_the_breath_after_each_inhale() -> None:
    routine = Routine(
        id="b",
        title="Breath",
        exercises=(
            Exercise(
                name="Breathing",
                position="Lie down.",
                steps=(Step("breathe", cycles=2),),
                timing=Timing(get_ready=0),
            ),
        ),
    )
    tl = compile(routine, Pace(breath=Breath(4, 8, 7), gap=0.0), lambda line: TINY)
    assert [(p.kind, p.dur) for p in tl.phases if p.kind in TIMED] == [
        ("inhale", 4.0),
        ("hold", 7.0),
        ("exhale", 8.0),
    ] * 2


def test_side_cues_know_their_side() -> None:
    sided = replace(GROWING, sides="each", stages=())
    tl = compile(Routine(id="s", title="Sides", exercises=(sided,)), Pace(), lambda line: 0.3)
    for cue in tl.cues:
        phase = next(p for p in reversed(tl.phases) if p.t <= cue.t + EPS)
        if cue.kind == "tone":
            assert cue.side is None
        elif phase.kind == "switch":
            assert cue.side == "left"
        else:
            assert cue.side == phase.side
    assert {c.side for c in tl.cues} == {None, "right", "left"}


def test_pace_rejects_nonsense() -> None:
    for bad in (
        {"holds": 5.0},
        {"rests": math.inf},
        {"rest": -1.0},
        {"reps": 0},
        {"sets": 21},
        {"week": 0},
        {"count": "loud"},
        {"breath_words": "sometimes"},
    ):
        with pytest.raises(ValueError):
            Pace(**bad)  # type: ignore[arg-type]


def test_library_progressions_start_as_written_and_only_grow() -> None:
    from matcue.routine.library import load_builtin_routines

    grown = 0
    for routine in load_builtin_routines():
        for ex in routine.exercises:
            if not ex.stages:
                continue
            grown += 1
            first = effective(ex, Pace(week=1))
            assert (first.reps, first.sets, first.steps) == (ex.reps, ex.sets, ex.steps)
            before = first
            for week in range(2, 13):
                now = effective(ex, Pace(week=week))
                holds = [s.seconds or 0 for s in now.steps if s.kind == "hold"]
                earlier = [s.seconds or 0 for s in before.steps if s.kind == "hold"]
                assert now.reps >= before.reps and now.sets >= before.sets, (routine.id, week)
                assert all(h >= e for h, e in zip(holds, earlier, strict=True))
                before = now
    assert grown >= 8


def test_the_week_from_the_history_counts_from_the_first_session() -> None:
    import datetime

    from matcue.api.history import week_from_history

    day = datetime.date(2026, 3, 2)
    assert week_from_history(None, day) is None
    assert week_from_history(day, day) == 1
    assert week_from_history(day, day + datetime.timedelta(days=6)) == 1
    assert week_from_history(day, day + datetime.timedelta(days=7)) == 2
    assert week_from_history(day, day + datetime.timedelta(days=29)) == 5
    assert week_from_history(day, day + datetime.timedelta(days=5000)) == 104
