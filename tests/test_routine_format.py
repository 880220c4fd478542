"""The routine format's keys of issue #16: ``base``, ``warmup``, ``cooldown`` (routine),
``base`` and ``get_there`` (exercise), ``remind`` (hold step): the model they build, and
their problems, each at its place with its exact sentence.

``warmup:`` and ``cooldown:`` name built-in routines; these tests point the library at
``tests/routines/library`` (a small warm-up, a cool-down and a broken one).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import matcue.routine.library as library
from matcue.errors import InputError
from matcue.routine import RoutineError, Step, load_routine, parse_routine

HERE = Path(__file__).parent / "routines"
LIBRARY = HERE / "library"

HEAD = """\
matcue: 1
title: T
"""
EXERCISE = """\
exercises:
  - name: Bridge
    position: Lie on your back.
    steps:
      - hold: 20
"""


@pytest.fixture
def test_library(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(library, "LIBRARY_DIR", LIBRARY)
    return LIBRARY


def problems(text: str) -> list[str]:
    with pytest.raises(RoutineError) as info:
        parse_routine(text, "x.yaml")
    return [str(p) for p in info.value.problems]


@pytest.mark.usefixtures("test_library")
def test_a_routine_with_every_new_key() -> None:
    r = load_routine(HERE / "good" / "with-parts.yaml")
    assert (r.base, r.warmup_id, r.cooldown_id) == ("back", "warm-up", "cool-down-lying")
    assert [e.name for e in r.exercises] == ["Glute bridge", "Bird dog"]  # its own only
    assert [e.name for e in r.warmup] == ["Settle"]
    assert [e.name for e in r.cooldown] == ["Knee hug", "Rest on the back"]
    assert [(e.name, e.part) for e in r.played] == [
        ("Settle", "warmup"),
        ("Glute bridge", "main"),
        ("Bird dog", "main"),
        ("Knee hug", "cooldown"),
        ("Rest on the back", "cooldown"),
    ]
    bridge, bird = r.exercises
    assert (bridge.base, bridge.get_there) == ("back", None)  # the routine's base
    assert (bird.base, bird.get_there) == (
        "all-fours",
        "Roll to your side and come onto your hands and knees.",
    )
    assert bridge.steps[1] == Step(
        kind="hold",
        seconds=20,
        say="Squeeze your buttocks.",
        remind=("Hips level.", "Keep breathing."),
    )
    assert bird.steps[1].remind == ()
    # the warm-up and cool-down keep their own routine's base and timing
    assert r.warmup[0].base == "back"
    assert r.cooldown[0].steps[0].remind == ("Keep breathing slowly.",)


@pytest.mark.usefixtures("test_library")
def test_a_cool_downs_own_warm_up_is_not_followed() -> None:
    cool = load_routine(LIBRARY / "cool-down-lying.yaml")
    assert (cool.warmup_id, cool.cooldown_id) == ("warm-up", "none")
    assert [e.name for e in cool.warmup] == ["Settle"]  # loaded as a routine of its own
    r = load_routine(HERE / "good" / "with-parts.yaml")
    assert len(r.played) == 5  # but as a cool-down, only its own exercises play


def test_cooldown_none_is_a_choice_and_omitting_it_is_no_cool_down() -> None:
    r = parse_routine(HEAD + "cooldown: none\n" + EXERCISE, "x.yaml")
    assert (r.cooldown_id, r.cooldown, r.warmup_id) == ("none", (), None)
    r = parse_routine(HEAD + EXERCISE, "x.yaml")
    assert (r.cooldown_id, r.base, r.exercises[0].base) == (None, None, None)


def test_the_real_library_warm_up_can_be_named() -> None:
    r = parse_routine(HEAD + "warmup: warm-up\ncooldown: none\n" + EXERCISE, "x.yaml")
    own = load_routine(library.LIBRARY_DIR / "warm-up.yaml").exercises
    assert [e.name for e in r.warmup] == [e.name for e in own]
    assert r.warmup and all(e.part == "warmup" for e in r.warmup)
    assert r.played[len(r.warmup)].name == "Bridge"


def test_without_following_the_ids_are_only_checked_for_their_form() -> None:
    r = parse_routine(HEAD + "warmup: no-such-one\n" + EXERCISE, "x.yaml", follow=False)
    assert (r.warmup_id, r.warmup) == ("no-such-one", ())


BASES = "back, side, stomach, all-fours, kneeling, seated, standing or water"


@pytest.mark.usefixtures("test_library")
@pytest.mark.parametrize(
    ("top", "exercise", "step", "expected"),
    [
        ("base: sofa\n", "", "", f"x.yaml:3:7: base must be one of {BASES}, got 'sofa'"),
        (
            "",
            "    base: standin\n",
            "",
            f"x.yaml:5:11: base must be one of {BASES}, got 'standin' (did you mean 'standing'?)",
        ),
        ("base: 3\n", "", "", f"x.yaml:3:7: base must be one of {BASES}, got 3"),
        (
            "warmup: warm-upp\n",
            "",
            "",
            "x.yaml:3:9: warmup must name a built-in routine; there is none called 'warm-upp' "
            "(did you mean 'warm-up'?)",
        ),
        (
            "cooldown: stretch-out\n",
            "",
            "",
            "x.yaml:3:11: cooldown must name a built-in routine, or none; there is none called "
            "'stretch-out' (run `matcue list` to see them)",
        ),
        (
            "cooldown: cool-down-broken\n",
            "",
            "",
            "x.yaml:3:11: the built-in routine 'cool-down-broken' has problems: "
            f"{LIBRARY / 'cool-down-broken.yaml'}:3:12: exercises must be a non-empty list of "
            "exercises, got an empty list",
        ),
        (
            "warmup: Warm Up\n",
            "",
            "",
            "x.yaml:3:9: warmup must be the id of a built-in routine, got 'Warm Up'",
        ),
        (
            "cooldown: [none]\n",
            "",
            "",
            "x.yaml:3:11: cooldown must be text, got a list",
        ),
        (
            "id: t\nwarmup: t\n",
            "",
            "",
            "x.yaml:4:9: warmup names this routine itself; a warm-up is another routine",
        ),
        (
            "",
            "    get_there: Roll to your {side}.\n",
            "",
            "x.yaml:5:29: {side} needs sides: each or alternate",
        ),
        ("", "    get_there: []\n", "", "x.yaml:5:16: get_there must be text, got an empty list"),
        (
            "",
            "",
            "        remind: Keep breathing.\n",
            "x.yaml:8:17: remind must be a list, like [Keep breathing.], got 'Keep breathing.'",
        ),
        ("", "", '        remind: [""]\n', "x.yaml:8:18: reminder must not be empty"),
        (
            "",
            "",
            "      - exhale: Out.\n        remind: [Soft.]\n",
            "x.yaml:9:9: remind only applies to hold steps, not exhale",
        ),
    ],
)
def test_problems_of_the_new_keys(top: str, exercise: str, step: str, expected: str) -> None:
    head, _, rest = EXERCISE.partition("    position")
    text = HEAD + top + head + exercise + "    position" + rest + step
    assert problems(text) == [expected]


# --------------------------------------------------------------------------- one numbering


@pytest.mark.usefixtures("test_library")
def test_the_session_numbers_every_exercise_it_plays() -> None:
    """Chapters, ``--from N``, ``show`` and the phases' exercise numbers count the warm-up,
    the routine's own exercises and the cool-down in the order they are heard."""
    from matcue.api import start_exercise
    from matcue.cli.tables import format_routine
    from matcue.timeline import Pace, compile

    r = load_routine(HERE / "good" / "with-parts.yaml")
    timeline = compile(r, Pace(), lambda text: 0.05 * len(text))
    numbers = sorted({p.exercise for p in timeline.phases if p.exercise is not None})
    assert numbers == [1, 2, 3, 4, 5]
    assert len(timeline.chapters) == 1 + 5 + 1  # the intro, five exercises, the closing
    assert start_exercise(r, "2") == 2
    assert start_exercise(r, "knee") == 4
    with pytest.raises(InputError, match="the routine has exercises 1 to 5"):
        start_exercise(r, "6")
    shown = format_routine(r)
    assert "\nwarm-up (from warm-up):\n\n1. Settle" in shown
    assert "\nexercises:\n\n2. Glute bridge" in shown
    assert "\ncool-down (from cool-down-lying):\n\n4. Knee hug" in shown
    assert "   base: all-fours\n   get there: Roll to your side" in shown
