"""The timeline compiler, with exact expectations: what is said, when, and for how long."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from matcue.routine import load_routine
from matcue.routine.model import Breath, Exercise, Routine, Step, Timing
from matcue.timeline import Cue, Pace, Phase, Timeline, compile, number_words
from matcue.timeline.phrases import ENGLISH, phrases_for, sentence
from matcue.timeline.sounds import SOUND_LENGTHS

GAP = 0.25
PACE = Pace(100, gap=GAP)
TILT = (Step("inhale", "Lift your tailbone."), Step("exhale", "Lower it slowly."))
NO_WAIT = Timing(get_ready=0)  # no get_ready phase, so no countdown before rep 1


def lengths(
    table: Mapping[str, float] | None = None, default: float = 0.5
) -> Callable[[str], float]:
    """Every line lasts ``default`` seconds unless ``table`` says otherwise."""
    table = dict(table or {})

    def speech_len(text: str) -> float:
        return table.get(text, default)

    return speech_len


def exercise(name: str = "Pelvic tilt", steps: tuple[Step, ...] = TILT, **kw: object) -> Exercise:
    return Exercise(name=name, position="Lie on your back.", steps=steps, **kw)  # type: ignore[arg-type]


def routine(*exercises: Exercise, cautions: tuple[str, ...] = ()) -> Routine:
    return Routine(id="test", title="Test routine", exercises=exercises, cautions=cautions)


def build(
    *exercises: Exercise, speech: Callable[[str], float] | None = None, pace: Pace = PACE
) -> Timeline:
    return compile(routine(*exercises), pace, speech or lengths())


def in_phase(tl: Timeline, phase: Phase) -> list[Cue]:
    """The cues that start inside ``phase``."""
    return [c for c in tl.cues if phase.t - 1e-9 <= c.t < phase.end - 1e-9]


def said(cues: Iterable[Cue]) -> list[str]:
    return [c.text for c in cues if c.text is not None]


def kinds(tl: Timeline) -> list[str]:
    return [p.kind for p in tl.phases]


def of_kind(tl: Timeline, kind: str) -> list[Phase]:
    return [p for p in tl.phases if p.kind == kind]


def rep_openers(tl: Timeline) -> list[list[str]]:
    """What is said in the first phase of every rep, in order."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for p in tl.phases:
        if p.rep is None:
            continue
        key = (p.exercise, p.set, p.rep, p.side)
        if key not in seen:
            seen.add(key)
            out.append(said(in_phase(tl, p)))
    return out


def marks(tl: Timeline, phase: Phase) -> list[tuple[float, str]]:
    """Countdown marks and lines relative to the phase start: (seconds, text or [sound])."""
    return [
        (round(c.t - phase.t, 9), c.text if c.text is not None else f"[{c.sound}]")
        for c in in_phase(tl, phase)
    ]


# -- phrases -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (1, "one"),
        (13, "thirteen"),
        (20, "twenty"),
        (21, "twenty-one"),
        (99, "ninety-nine"),
        (100, "one hundred"),
        (115, "one hundred fifteen"),
        (342, "three hundred forty-two"),
        (1000, "1000"),
    ],
)
def test_number_words(n: int, words: str) -> None:
    assert number_words(n) == words


def test_sentence_capitalises_and_closes() -> None:
    assert sentence(" lift your tailbone ") == "Lift your tailbone."
    assert sentence("Stop!") == "Stop!"
    assert ENGLISH.number(24) == "Twenty-four."
    assert ENGLISH.about_minutes(1) == "About one minute."
    assert ENGLISH.about_minutes(12) == "About twelve minutes."


# -- intro, outro, chapters ----------------------------------------------------------------


def test_intro_says_title_minutes_equipment_cautions_and_keys_in_order() -> None:
    r = Routine(
        id="t",
        title="Loosen the lower back",
        equipment=("mat", "exercise band", "two towels"),
        cautions=("Stop at once if you feel sharp pain.", "Move slowly"),
        exercises=(exercise(reps=2),),
    )
    tl = compile(r, PACE, lengths(), keys=True)
    intro = tl.phases[0]
    assert (intro.t, intro.kind, intro.exercise) == (0.0, "intro", None)
    assert marks(tl, intro) == [
        (0.0, "[start]"),
        (0.25, "Loosen the lower back."),
        (1.0, "About one minute."),
        (1.75, "You need a mat, an exercise band and two towels."),
        (2.5, "Stop at once if you feel sharp pain."),
        (3.25, "Move slowly."),
        (4.0, "Space pauses, N skips, and X stops. Question mark lists the keys."),
    ]
    # speech-driven: gap + 6 lines of 0.5 s, each followed by a gap
    assert intro.dur == pytest.approx(0.25 + 6 * 0.75)


@pytest.mark.parametrize(
    ("keys", "media_keys", "heard"),
    [
        (False, False, []),  # an exported file, a session without a terminal: no controls
        (True, False, ["Space pauses, N skips, and X stops. Question mark lists the keys."]),
        (False, True, ["Your headphone button pauses."]),
        (
            True,
            True,
            [
                "Space pauses, N skips, and X stops. Question mark lists the keys.",
                "Your headphone button pauses.",
            ],
        ),
    ],
)
def test_the_intro_names_only_the_controls_of_the_medium(
    keys: bool, media_keys: bool, heard: list[str]
) -> None:
    r = Routine(id="t", title="T", equipment=("chair",), exercises=(exercise(),))
    tl = compile(r, PACE, lengths(), keys=keys, media_keys=media_keys)
    assert said(in_phase(tl, tl.phases[0])) == [
        "T.",
        "About one minute.",
        "You need a chair.",
        *heard,
    ]
    assert not any("Control C" in line for line in said(tl.cues))


@pytest.mark.parametrize("reps", [1, 10, 40, 80, 160])
def test_intro_minutes_match_the_whole_session(reps: int) -> None:
    tl = build(exercise(reps=reps))
    spoken = next(t for t in said(tl.cues) if t.startswith("About "))
    minutes = max(1, int(tl.duration / 60 + 0.5))
    expected = "About one minute." if minutes == 1 else f"About {number_words(minutes)} minutes."
    assert spoken == expected


def test_outro_says_how_to_get_up_and_closes_with_the_end_bell_at_the_very_end() -> None:
    tl = build(exercise(base="back"))
    outro = tl.phases[-1]
    assert outro.kind == "outro"
    assert marks(tl, outro) == [
        (0.25, "Roll onto your side, then push yourself up with your hands."),
        (1.0, "That's the end of the session."),
        (1.75, "Well done."),
        (2.5, "[end]"),
    ]
    assert outro.dur == pytest.approx(2.5 + SOUND_LENGTHS["end"])
    assert tl.duration == pytest.approx(outro.end)
    assert max(c.end for c in tl.cues) == pytest.approx(tl.duration)


def test_chapters_start_at_intro_each_position_and_outro() -> None:
    tl = build(exercise("Pelvic tilt"), exercise("Bird dog"))
    positions = of_kind(tl, "position")
    assert [(c.title, c.t) for c in tl.chapters] == [
        ("Introduction", 0.0),
        ("Pelvic tilt", positions[0].t),
        ("Bird dog", positions[1].t),
        ("Closing", tl.phases[-1].t),
    ]


def test_phase_order_of_a_two_exercise_session() -> None:
    tl = build(exercise(reps=1), exercise(reps=1, sets=2))
    assert kinds(tl) == [
        "intro",
        "position",
        "get_ready",
        "inhale",
        "exhale",
        "rest",
        "position",
        "get_ready",
        "inhale",
        "exhale",
        "set_rest",
        "inhale",
        "exhale",
        "outro",
    ]
    assert [p.exercise for p in tl.phases] == [None, 1, 1, 1, 1, None, 2, 2, 2, 2, 2, 2, 2, None]
    assert [p.set for p in tl.phases] == [None] * 3 + [1, 1] + [None] * 3 + [1, 1, None, 2, 2, None]


# -- each exercise -------------------------------------------------------------------------


def test_position_phase_names_the_exercise_then_position_then_cautions() -> None:
    ex = Exercise(
        name="Side bend",
        position="Stand tall, {side} hand on your hip",
        steps=TILT,
        sides="each",
        cautions=("Keep your {other} foot flat.",),
    )
    tl = build(ex)
    assert said(in_phase(tl, of_kind(tl, "position")[0])) == [
        "Next: Side bend.",
        "Stand tall, right hand on your hip.",
        "Start with your right side.",
        "Keep your left foot flat.",
    ]


def test_get_ready_ends_with_three_two_one_on_its_last_seconds() -> None:
    tl = build(exercise(timing=Timing(get_ready=6)))
    ready = of_kind(tl, "get_ready")[0]
    assert ready.dur == 6.0
    assert marks(tl, ready) == [(3.0, "Three."), (4.0, "Two."), (5.0, "One.")]
    # and the first rep starts right after, with "Begin." rather than a second "One."
    assert rep_openers(tl)[0][0] == "Begin."


def test_get_ready_numbers_that_do_not_fit_their_second_become_ticks() -> None:
    # "Three." needs 0.8 + 0.25 > 1 s; the others fit
    tl = build(exercise(timing=Timing(get_ready=6)), speech=lengths({"Three.": 0.8}))
    ready = of_kind(tl, "get_ready")[0]
    assert marks(tl, ready) == [(3.0, "[tick]"), (4.0, "Two."), (5.0, "One.")]


def test_short_get_ready_counts_only_the_seconds_it_has() -> None:
    tl = build(exercise(timing=Timing(get_ready=2)))
    assert marks(tl, of_kind(tl, "get_ready")[0]) == [(1.0, "One.")]


# -- reps ----------------------------------------------------------------------------------


def test_rep_numbers_end_with_two_more_and_last_one() -> None:
    tl = build(exercise(reps=4, timing=NO_WAIT))
    assert [opener[0] for opener in rep_openers(tl)] == [
        "Rep one.",
        "Rep two.",
        "Two more.",
        "Last one.",
    ]
    tl = build(exercise(reps=8, timing=NO_WAIT))
    assert [opener[0] for opener in rep_openers(tl)][4:] == [
        "Rep five.",
        "Three more.",
        "Two more.",
        "Last one.",
    ]


def test_first_rep_after_a_countdown_says_begin() -> None:
    tl = build(exercise(reps=3))
    assert [opener[0] for opener in rep_openers(tl)] == ["Begin.", "Rep two.", "Last one."]


def test_a_single_rep_gets_no_number() -> None:
    tl = build(exercise(reps=1, timing=NO_WAIT))
    assert rep_openers(tl) == [["Breathe in. Lift your tailbone."]]


def test_long_words_for_two_reps_then_short_cues() -> None:
    tl = build(exercise(reps=4, timing=NO_WAIT))
    inhales = [said(in_phase(tl, p)) for p in of_kind(tl, "inhale")]
    exhales = [said(in_phase(tl, p)) for p in of_kind(tl, "exhale")]
    assert inhales == [
        ["Rep one.", "Breathe in. Lift your tailbone."],
        ["Rep two.", "Breathe in. Lift your tailbone."],
        ["Two more.", "In."],
        ["Last one.", "In."],
    ]
    assert exhales == [["Breathe out. Lower it slowly."]] * 2 + [["Out."]] * 2


def test_step_phase_starts_with_its_tone_and_words_follow_a_gap_apart() -> None:
    tl = build(exercise(reps=2, timing=NO_WAIT))
    first = of_kind(tl, "inhale")[0]
    assert marks(tl, first) == [
        (0.0, "[inhale]"),
        (0.25, "Rep one."),
        (1.0, "Breathe in. Lift your tailbone."),
    ]
    assert first.dur == 3.0  # 0.25 + 3 × 0.75 = 2.5 fits in the 3 s inhale


def test_phase_grows_to_fit_its_words() -> None:
    long_line = "Breathe in. Lift your tailbone."
    tl = build(exercise(reps=1, timing=NO_WAIT), speech=lengths({long_line: 4.0}))
    inhale = of_kind(tl, "inhale")[0]
    assert inhale.dur == pytest.approx(0.25 + 4.0 + 0.25)
    assert of_kind(tl, "exhale")[0].dur == 4.0


def test_step_tones() -> None:
    steps = (
        Step("inhale"),
        Step("exhale"),
        Step("hold", seconds=2),
        Step("move", "Roll to the side."),
        Step("relax", seconds=3),
    )
    tl = build(exercise(steps=steps, reps=1, timing=NO_WAIT))
    openings = [(p.kind, in_phase(tl, p)[0]) for p in tl.phases if p.rep]
    assert [
        (kind, c.t == p.t, c.sound) for (kind, c), p in zip(openings, tl.phases[2:], strict=False)
    ] == [
        ("inhale", True, "inhale"),
        ("exhale", True, "exhale"),
        ("hold", True, "tick"),
        ("move", True, "move"),
        ("relax", True, "rest"),
    ]


def test_explicit_step_seconds_override_the_timing() -> None:
    steps = (Step("inhale", seconds=5), Step("exhale"), Step("move", "Roll.", seconds=7))
    tl = build(exercise(steps=steps, reps=1, timing=Timing(exhale=6, get_ready=0)))
    assert [(p.kind, p.dur) for p in tl.phases if p.rep] == [
        ("inhale", 5.0),
        ("exhale", 6.0),
        ("move", 7.0),
    ]


def test_move_keeps_its_text_in_short_reps_but_drops_say() -> None:
    steps = (Step("move", "Roll your knees to the {side}.", say="Keep both shoulders down"),)
    tl = build(exercise(steps=steps, reps=3, timing=NO_WAIT))
    assert rep_openers(tl) == [
        ["Rep one.", "Roll your knees to the right. Keep both shoulders down."],
        ["Rep two.", "Roll your knees to the right. Keep both shoulders down."],
        ["Last one.", "Roll your knees to the right."],
    ]


def test_relax_step() -> None:
    steps = (Step("relax", seconds=10, say="Let your back sink into the mat."),)
    tl = build(exercise(steps=steps, reps=1, timing=NO_WAIT))
    relax = of_kind(tl, "relax")[0]
    assert relax.dur == 10.0
    assert marks(tl, relax) == [(0.0, "[rest]"), (0.25, "Relax. Let your back sink into the mat.")]


def test_breathe_becomes_inhale_exhale_pairs_with_short_cues_from_the_third() -> None:
    steps = (Step("breathe", cycles=4, say="Let your belly rise."),)
    tl = build(exercise(steps=steps, reps=1, timing=Timing(inhale=2, exhale=3, get_ready=0)))
    phases = [p for p in tl.phases if p.rep]
    assert [(p.kind, p.dur) for p in phases] == [("inhale", 2.0), ("exhale", 3.0)] * 4
    assert [said(in_phase(tl, p)) for p in phases] == [
        ["Breathe in. Let your belly rise."],
        ["Breathe out."],
        ["Breathe in."],
        ["Breathe out."],
        ["In."],
        ["Out."],
        ["In."],
        ["Out."],
    ]


# -- holds ---------------------------------------------------------------------------------


def test_a_hold_of_up_to_ten_seconds_is_counted_in_full() -> None:
    steps = (Step("hold", seconds=5),)
    tl = build(exercise(steps=steps, reps=1, timing=NO_WAIT))
    hold = of_kind(tl, "hold")[0]
    assert hold.dur == 5.0
    assert marks(tl, hold) == [
        (0.0, "[tick]"),
        (0.0, "Five."),
        (1.0, "Four."),
        (2.0, "Three."),
        (3.0, "Two."),
        (4.0, "One."),
    ]
    tl = build(exercise(steps=(Step("hold", seconds=10),), reps=1, timing=NO_WAIT))
    assert said(in_phase(tl, of_kind(tl, "hold")[0])) == [
        f"{number_words(n).capitalize()}." for n in range(10, 0, -1)
    ]


def test_the_hold_say_is_spoken_on_the_move_into_it_in_the_long_form_only() -> None:
    steps = (
        Step("exhale", "Lift your hips."),
        Step("hold", seconds=3, say="Squeeze your buttocks."),
        Step("inhale", "Lower."),
    )
    tl = build(exercise(steps=steps, reps=3, timing=NO_WAIT))
    exhales = [said(in_phase(tl, p)) for p in of_kind(tl, "exhale")]
    assert exhales == [
        ["Rep one.", "Breathe out. Lift your hips. Squeeze your buttocks."],
        ["Rep two.", "Breathe out. Lift your hips. Squeeze your buttocks."],
        ["Last one.", "Out."],
    ]
    assert {tuple(said(in_phase(tl, p))) for p in of_kind(tl, "hold")} == {
        ("Three.", "Two.", "One.")
    }


def test_a_hold_that_opens_the_rep_says_its_words_and_ticks_only_at_the_start() -> None:
    line = "Keep your back flat and long."
    steps = (Step("hold", seconds=5, say=line),)
    tl = build(exercise(steps=steps, reps=1, timing=NO_WAIT), speech=lengths({line: 2.6}))
    hold = of_kind(tl, "hold")[0]
    # the line ends at 2.85; a number needs 0.25 s of silence before it
    assert marks(tl, hold) == [
        (0.0, "[tick]"),
        (0.25, line),
        (1.0, "[tick]"),
        (2.0, "[tick]"),
        (3.0, "[tick]"),
        (4.0, "One."),
    ]


def test_a_count_never_skips_a_number_the_ticks_come_first() -> None:
    # "Two." does not fit its second: the count starts with ticks up to it, then "One."
    steps = (Step("hold", seconds=4),)
    tl = build(exercise(steps=steps, reps=1, timing=NO_WAIT), speech=lengths({"Two.": 0.8}))
    assert marks(tl, of_kind(tl, "hold")[0]) == [
        (0.0, "[tick]"),
        (1.0, "[tick]"),
        (2.0, "[tick]"),
        (3.0, "One."),
    ]


def test_hold_at_double_pace_ticks_every_half_second() -> None:
    steps = (Step("hold", seconds=5),)
    tl = build(exercise(steps=steps, reps=1, timing=NO_WAIT), pace=Pace(200, gap=GAP))
    hold = of_kind(tl, "hold")[0]
    assert hold.dur == 2.5
    # 0.5 s of speech + 0.25 s gap never fits in half a second
    assert marks(tl, hold) == [
        (0.0, "[tick]"),
        (0.5, "[tick]"),
        (1.0, "[tick]"),
        (1.5, "[tick]"),
        (2.0, "[tick]"),
    ]


def test_hold_count_keeps_to_the_clock_when_its_phase_grows() -> None:
    line = "Keep your back flat and long."
    steps = (Step("hold", seconds=3, say=line),)
    tl = build(exercise(steps=steps, reps=1, timing=NO_WAIT), speech=lengths({line: 4.0}))
    hold = of_kind(tl, "hold")[0]
    assert hold.dur == pytest.approx(4.5)
    # the marks count the last seconds of the phase; all fall under the line
    assert marks(tl, hold) == [
        (0.0, "[tick]"),
        (0.25, line),
        (1.5, "[tick]"),
        (2.5, "[tick]"),
        (3.5, "[tick]"),
    ]


@pytest.mark.parametrize(
    ("seconds", "remind", "expected"),
    [
        # ten seconds left at 2, the last five from 7; no room for a reminder before
        (12, (), [(2.0, "Ten seconds left.")]),
        # a reminder halfway to "ten seconds left"
        (22, (), [(6.0, "Keep breathing."), (12.0, "Ten seconds left.")]),
        # from thirty seconds "halfway" too
        (20, (), [(5.0, "Keep breathing."), (10.0, "Ten seconds left.")]),
        (
            30,
            ("Hips level.",),
            [(7.5, "Hips level."), (15.0, "Halfway."), (20.0, "Ten seconds left.")],
        ),
        # reminders before and after halfway, taken in turn
        (
            60,
            ("Hips level.", "Breathe."),
            [
                (15.0, "Hips level."),
                (30.0, "Halfway."),
                (40.0, "Breathe."),
                (50.0, "Ten seconds left."),
            ],
        ),
    ],
)
def test_a_long_hold_says_halfway_ten_seconds_left_and_counts_its_last_five(
    seconds: float, remind: tuple[str, ...], expected: list[tuple[float, str]]
) -> None:
    steps = (Step("exhale"), Step("hold", seconds=seconds, remind=remind))
    tl = build(exercise(steps=steps, reps=1, timing=NO_WAIT))
    hold = of_kind(tl, "hold")[0]
    assert hold.dur == seconds
    count = [(seconds - n, f"{number_words(n).capitalize()}.") for n in range(5, 0, -1)]
    assert marks(tl, hold) == [(0.0, "[tick]"), *expected, *count]


def test_a_long_hold_with_tones_or_no_count_keeps_its_reminders() -> None:
    steps = (Step("exhale"), Step("hold", seconds=30, remind=("Hips level.",)))
    ex = exercise(steps=steps, reps=1, timing=NO_WAIT)
    tones = build(ex, pace=Pace(100, gap=GAP, count="tones"))
    assert marks(tones, of_kind(tones, "hold")[0]) == [
        (0.0, "[tick]"),
        (7.5, "Hips level."),
        *((float(t), "[tick]") for t in range(25, 30)),
    ]
    off = build(ex, pace=Pace(100, gap=GAP, count="off"))
    assert marks(off, of_kind(off, "hold")[0]) == [
        (0.0, "[tick]"),
        (0.25, "Hold for thirty seconds."),
        (7.5, "Hips level."),
    ]


def test_relax_and_free_breaths_are_never_counted() -> None:
    steps = (Step("relax", seconds=30), Step("breathe", cycles=2))
    tl = build(exercise(steps=steps, reps=1, timing=NO_WAIT))
    heard = [said(in_phase(tl, p)) for p in tl.phases if p.rep]
    assert heard == [
        ["Relax."],
        ["Breathe in."],
        ["Breathe out."],
        ["Breathe in."],
        ["Breathe out."],
    ]
    assert not [c for c in tl.cues if c.sound == "tick"]


def test_short_reps_drop_the_hold_say() -> None:
    steps = (Step("hold", seconds=2, say="Breathe."),)
    tl = build(exercise(steps=steps, reps=3, timing=NO_WAIT))
    assert rep_openers(tl) == [
        ["Rep one.", "Breathe."],  # "two" and "one" fall under the words: ticks
        ["Rep two.", "Breathe."],
        ["Last one.", "One."],
    ]


def test_movement_only_reps_shorten_after_the_second() -> None:
    steps = (
        Step("move", "Slide your hands forward. Go slowly."),
        Step("move", "Come back."),
    )
    tl = build(exercise(steps=steps, reps=3, timing=NO_WAIT))
    heard = [said(in_phase(tl, p)) for p in of_kind(tl, "move")]
    assert heard == [
        ["Rep one.", "Slide your hands forward. Go slowly."],
        ["Come back."],
        ["Rep two.", "Slide your hands forward. Go slowly."],
        ["Come back."],
        ["Last one.", "Slide your hands forward."],  # the first sentence of the first move
        [],  # the chime carries the rest
    ]


# -- sides ---------------------------------------------------------------------------------


def test_each_side_does_all_reps_right_then_switches_then_left() -> None:
    steps = (Step("move", "Lift your {side} leg, keep the {other} one down."),)
    tl = build(exercise(steps=steps, reps=2, sides="each", timing=NO_WAIT))
    assert [(p.kind, p.rep, p.side) for p in tl.phases[2:-1]] == [
        ("move", 1, "right"),
        ("move", 2, "right"),
        ("switch", None, None),
        ("move", 1, "left"),
        ("move", 2, "left"),
    ]
    switch = of_kind(tl, "switch")[0]
    assert marks(tl, switch) == [
        (0.0, "[switch]"),
        (0.25, "Switch sides."),
        (1.0, "Now your left side."),
        (1.75, "Lie on your back."),  # the position, restated for the new side
    ]
    assert switch.dur == pytest.approx(2.5)
    assert rep_openers(tl) == [
        ["Rep one.", "Lift your right leg, keep the left one down."],
        ["Last one.", "Lift your right leg, keep the left one down."],
        ["Rep one.", "Lift your left leg, keep the right one down."],
        ["Last one.", "Lift your left leg, keep the right one down."],
    ]


@pytest.mark.parametrize(("base", "seconds"), [(None, 6.0), ("back", 6.0), ("side", 12.0)])
def test_a_switch_gives_time_to_turn_over_fitted_to_the_position(
    base: str | None, seconds: float
) -> None:
    ex = Exercise(
        name="Leg lift",
        position="Lie on your {side} side.",
        steps=TILT,
        sides="each",
        base=base,  # type: ignore[arg-type]
    )
    tl = build(ex)
    switch = of_kind(tl, "switch")[0]
    assert switch.dur == seconds  # get_ready, and rolling over from one side to the other
    assert marks(tl, switch)[-3:] == [
        (seconds - 3, "Three."),
        (seconds - 2, "Two."),
        (seconds - 1, "One."),
    ]
    assert "Lie on your left side." in said(in_phase(tl, switch))


def test_each_side_counts_short_cues_per_side() -> None:
    tl = build(exercise(reps=3, sides="each", timing=NO_WAIT))
    assert [opener[1] for opener in rep_openers(tl)] == [
        "Breathe in. Lift your tailbone.",
        "Breathe in. Lift your tailbone.",
        "In.",
    ] * 2


def test_alternate_goes_right_left_and_numbers_the_pairs() -> None:
    steps = (Step("inhale", "Reach your {side} arm and {other} leg long."),)
    tl = build(exercise(steps=steps, reps=3, sides="alternate", timing=NO_WAIT))
    assert [(p.rep, p.side) for p in tl.phases if p.rep] == [
        (1, "right"),
        (1, "left"),
        (2, "right"),
        (2, "left"),
        (3, "right"),
        (3, "left"),
    ]
    assert rep_openers(tl) == [
        ["Rep one.", "Right.", "Breathe in. Reach your right arm and left leg long."],
        ["Left.", "Breathe in. Reach your left arm and right leg long."],
        ["Rep two.", "Right.", "Breathe in. Reach your right arm and left leg long."],
        ["Left.", "Breathe in. Reach your left arm and right leg long."],
        ["Last one.", "Right.", "In."],
        ["Left.", "In."],
    ]
    assert "switch" not in kinds(tl)


@pytest.mark.parametrize("sides", ["none", "both"])
def test_no_sides_and_both_sides_have_no_side(sides: str) -> None:
    steps = (Step("move", "Turn {side}."),)
    tl = build(exercise(steps=steps, reps=2, sides=sides, timing=NO_WAIT))
    assert [p.side for p in tl.phases] == [None] * len(tl.phases)
    assert [(p.kind, p.rep) for p in tl.phases[2:-1]] == [("move", 1), ("move", 2)]
    assert "Start with your right side." not in said(tl.cues)


# -- sets and rests ------------------------------------------------------------------------


def test_set_rest_previews_the_next_set_and_counts_down() -> None:
    tl = build(exercise(reps=2, sets=3, timing=Timing(set_rest=20, get_ready=0)))
    rests = of_kind(tl, "set_rest")
    assert len(rests) == 2
    assert [r.dur for r in rests] == [20.0, 20.0]
    assert marks(tl, rests[0]) == [
        (0.0, "[rest]"),
        (0.25, "Well done."),
        (1.0, "Rest."),
        (1.75, "Next: set two of three."),
        (17.0, "Three."),
        (18.0, "Two."),
        (19.0, "One."),
    ]
    assert said(in_phase(tl, rests[1]))[:3] == ["Good work.", "Rest.", "Next: set three of three."]
    assert [p.set for p in tl.phases if p.rep] == [1] * 4 + [2] * 4 + [3] * 4
    # every set numbers its reps anew, starting with "Begin." after the countdown
    openers = [opener[0] for opener in rep_openers(tl)]
    assert openers == ["Rep one.", "Last one.", "Begin.", "Last one.", "Begin.", "Last one."]


def test_words_of_praise_are_taken_in_turn_across_set_rests_and_rests() -> None:
    tl = build(exercise(reps=1, sets=2), exercise(reps=1, sets=2), exercise(reps=1))
    praise = [said(in_phase(tl, p))[0] for p in tl.phases if p.kind in ("set_rest", "rest")]
    assert praise == ["Well done.", "Good work.", "Nicely done.", "Well done."]


def test_each_side_sets_remind_which_side_comes_first() -> None:
    tl = build(exercise(reps=1, sets=2, sides="each"))
    assert said(in_phase(tl, of_kind(tl, "set_rest")[0]))[:4] == [
        "Well done.",
        "Rest.",
        "Next: set two of two.",
        "Start with your right side.",
    ]
    assert [(p.kind, p.set, p.side) for p in tl.phases if p.set] == [
        ("inhale", 1, "right"),
        ("exhale", 1, "right"),
        ("switch", 1, None),
        ("inhale", 1, "left"),
        ("exhale", 1, "left"),
        ("inhale", 2, "right"),
        ("exhale", 2, "right"),
        ("switch", 2, None),
        ("inhale", 2, "left"),
        ("exhale", 2, "left"),
    ]


def test_rest_between_exercises_previews_the_next_one_and_how_to_get_there() -> None:
    bird = replace(
        exercise("Bird dog"),
        position="Kneel on all fours. Hands under your shoulders.",
        get_there="Roll over and come onto your hands and knees.",
    )
    tl = build(
        exercise("Pelvic tilt", timing=Timing(rest=15)),
        bird,
        exercise("Cat cow", timing=Timing(rest=30)),
    )
    rests = of_kind(tl, "rest")
    assert [r.dur for r in rests] == [15.0, 15.0]  # the finished exercise's rest; none after
    # no countdown: the get-ready after the position is the one countdown into the exercise
    assert marks(tl, rests[0]) == [
        (0.0, "[rest]"),
        (0.25, "Well done."),
        (1.0, "Rest."),
        (1.75, "Coming up: Bird dog."),
        (2.5, "Roll over and come onto your hands and knees."),
    ]
    # without get_there, the first sentence of the position says it; the praise varies
    assert said(in_phase(tl, rests[1])) == [
        "Good work.",
        "Rest.",
        "Coming up: Cat cow.",
        "Lie on your back.",
    ]
    assert kinds(tl)[-2:] == ["exhale", "outro"]
    countdowns = [p.kind for p in tl.phases if "Three." in said(in_phase(tl, p))]
    assert countdowns == ["get_ready"] * 3


@pytest.mark.parametrize(
    ("before", "after", "seconds"),
    [
        ("back", "back", 15.0),
        ("back", "stomach", 20.0),
        ("stomach", "back", 20.0),
        ("back", "all-fours", 21.0),
        ("all-fours", "standing", 23.0),
        ("seated", "standing", 20.0),
        (None, "standing", 15.0),
        ("water", "back", 15.0),
    ],
)
def test_a_change_of_position_gets_the_time_it_needs(
    before: str | None, after: str | None, seconds: float
) -> None:
    tl = build(
        exercise("One", timing=Timing(rest=15), base=before),
        exercise("Two", base=after),
    )
    assert of_kind(tl, "rest")[0].dur == seconds


def test_eyes_open_is_advised_once_on_standing_up() -> None:
    standing = dict(base="standing")
    tl = build(
        exercise("Bridge", base="back"),
        exercise("Squat", **standing),  # type: ignore[arg-type]
        exercise("Lunge", **standing),  # type: ignore[arg-type]
    )
    eyes = "Keep your eyes open while you stand."
    assert [p.kind for p in tl.phases if eyes in said(in_phase(tl, p))] == ["rest"]
    # with no rest before it (the first exercise, or rest 0) the position phase says it
    tl = build(exercise("Squat", **standing))  # type: ignore[arg-type]
    assert said(in_phase(tl, of_kind(tl, "position")[0]))[:2] == ["Next: Squat.", eyes]


def test_the_way_in_is_said_where_no_rest_previewed_it_but_never_before_the_first() -> None:
    first = replace(
        exercise("Bridge"), position="Lie on your back.", get_there="Lie down on your back."
    )
    later = replace(first, name="Bridge again", position="Stay on your back.")
    tl = build(first, later)
    positions = of_kind(tl, "position")
    # the first position is where the listener starts, in full: no way in before it
    assert said(in_phase(tl, positions[0])) == ["Next: Bridge.", "Lie on your back."]
    # later, the rest before said the way in
    assert said(in_phase(tl, positions[1])) == ["Next: Bridge again.", "Stay on your back."]
    assert "Lie down on your back." in said(in_phase(tl, of_kind(tl, "rest")[0]))
    # with no rest (0 s), the position phase says it
    no_rest = replace(first, timing=replace(first.timing, rest=0))
    tl = build(no_rest, later)
    assert said(in_phase(tl, of_kind(tl, "position")[1])) == [
        "Next: Bridge again.",
        "Lie down on your back.",
        "Stay on your back.",
    ]


def test_warm_up_and_cool_down_are_parts_of_the_session() -> None:
    warm = replace(exercise("Settle", base="back"), part="warmup")
    cool = replace(exercise("Knee hug", base="back"), part="cooldown")
    r = Routine(
        id="t",
        title="T",
        exercises=(exercise("Bridge", base="back"),),
        warmup=(warm,),
        cooldown=(cool,),
    )
    tl = compile(r, PACE, lengths())
    assert [c.title for c in tl.chapters] == [
        "Introduction",
        "Warm-up: Settle",
        "Bridge",
        "Cool-down: Knee hug",
        "Closing",
    ]
    openings = [said(in_phase(tl, p))[:2] for p in of_kind(tl, "position")]
    assert openings == [
        ["First, a short warm-up.", "Next: Settle."],
        ["Now the main exercises.", "Next: Bridge."],
        ["Now a gentle cool-down.", "Next: Knee hug."],
    ]
    assert [p.exercise for p in of_kind(tl, "position")] == [1, 2, 3]


@pytest.mark.parametrize(
    ("base", "line"),
    [
        ("back", "Roll onto your side, then push yourself up with your hands."),
        ("side", "Push yourself up slowly with your hands."),
        ("stomach", "Press up onto your hands and knees, then rise slowly."),
        ("all-fours", "Sit back on your heels, then rise slowly."),
        ("kneeling", "Step one foot forward, then rise slowly."),
        ("seated", "Stand up slowly when you are ready."),
        ("water", "Swim to the edge and climb out with care."),
        (None, "Take your time as you get up."),
        ("standing", None),
    ],
)
def test_the_outro_says_how_to_get_up_from_the_last_position(
    base: str | None, line: str | None
) -> None:
    tl = build(exercise("Bridge", base="standing"), exercise("Last", base=base))
    heard = said(in_phase(tl, tl.phases[-1]))
    assert heard == [*([line] if line else []), "That's the end of the session.", "Well done."]


def test_pauses_set_to_zero_are_left_out() -> None:
    none = Timing(get_ready=0, rest=0, set_rest=0)
    tl = build(exercise(reps=2, sets=2, timing=none), exercise(reps=1, timing=none))
    assert kinds(tl) == [
        "intro",
        "position",
        *["inhale", "exhale"] * 4,
        "position",
        "inhale",
        "exhale",
        "outro",
    ]
    assert [opener[0] for opener in rep_openers(tl)] == [
        "Rep one.",
        "Last one.",
        "Rep one.",
        "Last one.",
        "Breathe in. Lift your tailbone.",
    ]


# -- pace and timing -----------------------------------------------------------------------


@pytest.mark.parametrize("percent", [50, 100, 200])
def test_pace_scales_timed_phases_but_not_speech_driven_ones(percent: float) -> None:
    ex = exercise(reps=1, timing=Timing(inhale=8, exhale=8, get_ready=10))
    slow = build(ex, speech=lengths(default=0.1), pace=Pace(percent, gap=GAP))
    base = build(ex, speech=lengths(default=0.1))
    for p, q in zip(slow.phases, base.phases, strict=True):
        assert p.kind == q.kind
        if p.kind in ("get_ready", "inhale", "exhale"):
            assert p.dur == pytest.approx(q.dur * 100 / percent)
        elif p.kind != "intro":  # the intro's minute count may change
            assert p.dur == pytest.approx(q.dur)


def test_speech_len_is_called_once_per_distinct_text() -> None:
    calls: list[str] = []

    def speech_len(text: str) -> float:
        calls.append(text)
        return 0.5

    tl = compile(routine(exercise(reps=8, sets=2), exercise(reps=8)), PACE, speech_len)
    assert len(calls) == len(set(calls))
    assert set(said(tl.cues)) <= set(calls)
    assert len(said(tl.cues)) > len(calls)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_speech_len_must_be_a_length(bad: float) -> None:
    with pytest.raises(ValueError, match="speech_len"):
        compile(routine(exercise()), PACE, lambda text: bad)


def test_hold_without_seconds_is_rejected() -> None:
    with pytest.raises(ValueError, match="hold step needs"):
        build(exercise(steps=(Step("hold"),)))


def test_a_line_that_says_nothing_is_refused_like_any_cue_without_text() -> None:
    words = replace(ENGLISH, begin=" ")  # "Begin." after the get-ready countdown
    with pytest.raises(ValueError, match="speech cue needs text"):
        compile(routine(exercise(reps=2)), PACE, lengths(), phrases=words)


def test_a_repeated_exercise_is_compiled_as_it_was_the_first_time() -> None:
    """Equal exercises are laid out once; each still gets its own number, place and pace."""
    first = exercise(reps=3, sides="each", steps=(*TILT, Step("hold", seconds=4)))
    faster = replace(first, pace=150.0)
    tl = build(first, exercise("Bird dog", reps=2), replace(first), faster)

    def phases(n: int) -> list[tuple[object, ...]]:
        mine = [p for p in tl.phases if p.exercise == n]
        return [(p.kind, p.dur, p.set, p.rep, p.side, round(p.t - mine[0].t, 6)) for p in mine]

    def cues(n: int) -> list[tuple[object, ...]]:
        start = next(p.t for p in tl.phases if p.exercise == n)
        return [
            (c.kind, c.text, c.sound, c.dur, c.side, round(c.t - start, 6))
            for c in tl.cues
            if c.exercise == n
        ]

    assert phases(1) and cues(1)
    assert phases(3) == phases(1)
    assert cues(3) == cues(1)
    assert [p[0] for p in phases(4)] == [p[0] for p in phases(1)]
    for fast, slow in zip(phases(4), phases(1), strict=True):
        if fast[0] in ("get_ready", "hold"):
            assert fast[1] == pytest.approx(slow[1] / 1.5)
        elif fast[0] == "switch":  # its words and its count, at least
            assert slow[1] / 1.5 <= fast[1] <= slow[1]


def test_timeline_refuses_unsorted_cues_overlapping_phases_and_cues_past_its_end() -> None:
    def timeline(cues: tuple[Cue, ...], phases: tuple[Phase, ...], duration: float) -> Timeline:
        return Timeline("t", "T", PACE, duration, (), phases, cues)

    tick = Cue(1.0, 0.06, "tone", sound="tick")
    line = Cue(1.0, 0.5, "speech", text="Hold.")
    ok = (Phase(0.0, 1.0, "intro"), Phase(1.0 - 1e-10, 2.0, "hold"), Phase(3.0, 1.0, "outro"))
    timeline((tick, line, Cue(2.0, 2.0, "tone", sound="end")), ok, 4.0)  # ties, touching: fine
    with pytest.raises(ValueError, match="cues must be sorted"):
        timeline((line, Cue(0.5, 0.1, "tone", sound="tick")), ok, 4.0)
    with pytest.raises(ValueError, match="phases must be sorted"):
        timeline((), (Phase(0.0, 1.0, "intro"), Phase(1.0 - 1e-6, 1.0, "hold")), 2.0)
    with pytest.raises(ValueError, match="phases must be sorted"):
        timeline((), (Phase(1.0, 1.0, "hold"), Phase(0.0, 1.0, "intro")), 2.0)
    with pytest.raises(ValueError, match="a cue ends after the session"):
        timeline((tick, Cue(3.5, 0.5 + 2e-6, "tone", sound="end")), ok, 4.0)


def test_cues_sorted_tone_before_speech_at_the_same_time() -> None:
    tl = build(exercise(reps=3), exercise(reps=2, sides="alternate"), pace=Pace(100, gap=0))
    order = [(c.t, 0 if c.kind == "tone" else 1) for c in tl.cues]
    assert order == sorted(order)
    assert tl.cues[0].sound == "start"
    assert tl.cues[1].text == "Test routine."


def test_json_shape() -> None:
    out = build(exercise(reps=1)).to_json()
    # the DESIGN §5 keys first and unchanged; what pace settings were applied after them
    assert list(out)[:7] == ["routine", "title", "pace", "duration_s", "chapters", "phases", "cues"]
    assert list(out)[7:] == ["language", "week", "settings", "exercises"]
    assert out["phases"][0] == {
        "t": 0.0,
        "dur": 1.75,
        "kind": "intro",
        "exercise": None,
        "set": None,
        "rep": None,
        "side": None,
    }


def test_wording_comes_from_the_catalogue() -> None:
    words = replace(ENGLISH, in_short="Inhale.", rep_number="Rep {number}.", last_one="Final rep.")
    r = routine(exercise(reps=3, timing=NO_WAIT))
    tl = compile(r, PACE, lengths(), phrases=words)
    assert rep_openers(tl) == [
        ["Rep one.", "Breathe in. Lift your tailbone."],
        ["Rep two.", "Breathe in. Lift your tailbone."],
        ["Final rep.", "Inhale."],
    ]


def test_catalogue_by_language() -> None:
    assert phrases_for("en") is ENGLISH
    assert phrases_for("en-GB") is ENGLISH
    assert phrases_for("xx") is ENGLISH  # no catalogue yet: English


# -- golden files --------------------------------------------------------------------------
#
# tests/golden/NAME.yaml is a routine, tests/golden/NAME.json the timeline it compiles to (the
# reference script). A leading "# pace: N" comment sets the pace (default 100).
# Rewrite them with: MATCUE_UPDATE_GOLDEN=1 pytest tests/test_compiler.py -k golden

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_CASES = sorted(GOLDEN.glob("*.yaml"))


def golden_speech_len(text: str) -> float:
    """A fixed stand-in for the speech engine: 55 ms per character plus 150 ms."""
    return 0.055 * len(text) + 0.15


def golden_pace(source: Path) -> Pace:
    """``# pace: N`` sets the pace; ``# settings: key=value ...`` sets other ``Pace`` fields
    (``level=`` a named level, ``breath=`` IN:OUT or IN:HOLD:OUT)."""
    text = source.read_text(encoding="utf-8")
    found = re.search(r"^# pace: (\d+(?:\.\d+)?)$", text, re.M)
    given: dict[str, Any] = {"percent": float(found.group(1))} if found else {}
    settings = re.search(r"^# settings: (.+)$", text, re.M)
    level = None
    for item in settings.group(1).split() if settings else ():
        key, value = item.split("=", 1)
        if key == "level":
            level = value
        elif key == "breath":
            numbers = [float(n) for n in value.split(":")]
            hold = numbers[1] if len(numbers) == 3 else 0.0
            given[key] = Breath(inhale=numbers[0], exhale=numbers[-1], hold=hold)
        elif key in ("week", "reps", "sets"):
            given[key] = int(value)
        elif key in ("count", "breath_words"):
            given[key] = value
        else:
            given[key] = float(value)
    return Pace.for_level(level, **given) if level else Pace(**given)


def golden_dump(out: dict[str, Any]) -> str:
    """JSON with one chapter, phase or cue per line, so a diff shows what changed."""
    lines = []
    for key, value in out.items():
        if isinstance(value, list):
            items = ",\n".join(f"    {json.dumps(item, ensure_ascii=False)}" for item in value)
            lines.append(f"  {json.dumps(key)}: [\n{items}\n  ]")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def test_golden_cases_exist() -> None:
    assert len(GOLDEN_CASES) >= 11
    assert all(case.with_suffix(".json").exists() for case in GOLDEN_CASES)


@pytest.mark.parametrize("source", GOLDEN_CASES, ids=lambda p: p.stem)
def test_golden(source: Path) -> None:
    timeline = compile(load_routine(source), golden_pace(source), golden_speech_len)
    got = timeline.to_json()
    expected_file = source.with_suffix(".json")
    if os.environ.get("MATCUE_UPDATE_GOLDEN"):
        expected_file.write_text(golden_dump(got), encoding="utf-8")
    assert json.loads(golden_dump(got)) == got  # the dump loses nothing
    assert got == json.loads(expected_file.read_text(encoding="utf-8"))
