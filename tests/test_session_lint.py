"""The session lint (matcue.timeline.lint): each rule fails on a small hand-made session that
breaks it and passes on one that keeps it (a rule that cannot fail checks nothing)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from matcue.routine.library import LIBRARY_DIR
from matcue.routine.model import Exercise, Routine, Step
from matcue.timeline import Cue, Pace, Phase, Timeline
from matcue.timeline.lint import MEDIA, PACES, RULES, Medium, Problem, Rule, lint
from matcue.timeline.model import ExercisePlan
from matcue.timeline.phrases import CZECH

KEYS, MEDIA_KEYS, EXPORT = MEDIA
Mark = tuple[float, str]  # (seconds into its phase, a line, or "[tick]" / "[rest]"...)


def P(kind: str, dur: float, *marks: Mark, ex: int | None = None, rep: int | None = None) -> tuple:
    return (kind, dur, marks, ex, rep)


def session(*phases: tuple, pace: float = 100.0, plans: tuple[ExercisePlan, ...] = ()) -> Timeline:
    """A timeline of ``phases`` one after another; a mark "[name]" is a tone, else a line
    lasting 0.4 s."""
    t = 0.0
    made_phases, cues = [], []
    for kind, dur, marks, ex, rep in phases:
        made_phases.append(Phase(t, dur, kind, exercise=ex, rep=rep, set=1 if rep else None))
        for dt, text in marks:
            if text.startswith("["):
                cues.append(Cue(t + dt, 0.1, "tone", sound=text[1:-1], exercise=ex))
            else:
                cues.append(Cue(t + dt, 0.4, "speech", text=text, exercise=ex))
        t += dur
    return Timeline(
        routine="test",
        title="Test",
        pace=Pace(pace),
        duration=t,
        chapters=(),
        phases=tuple(made_phases),
        cues=tuple(sorted(cues, key=lambda c: c.t)),
        exercises=plans,
    )


def only(rule_id: str) -> list[Rule]:
    return [r for r in RULES if r.id == rule_id]


def problems(rule_id: str, timeline: Timeline, **kw: object) -> list[Problem]:
    found = lint(timeline, rules=only(rule_id), **kw)  # type: ignore[arg-type]
    assert all(p.rule == rule_id for p in found)
    return found


def count(start: int, *, at: float = 0.0, step: float = 1.0) -> tuple[Mark, ...]:
    """Numbers from ``start`` down to one, one per ``step`` seconds from ``at``."""
    words = (
        "One.",
        "Two.",
        "Three.",
        "Four.",
        "Five.",
        "Six.",
        "Seven.",
        "Eight.",
        "Nine.",
        "Ten.",
    )
    return tuple((at + i * step, words[n - 1]) for i, n in enumerate(range(start, 0, -1)))


def test_the_rules_are_data_with_distinct_ids_and_one_sentence_each() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids)) == 15
    for rule in RULES:
        assert rule.says.endswith(".") and rule.says.count(". ") == 0, rule.says
        for name in rule.bounds:  # every bound is named in its sentence
            assert f"`{name}`" in rule.says, (rule.id, name)
    assert PACES == (50.0, 100.0, 200.0)
    assert [(m.keys, m.media_keys) for m in MEDIA] == [(True, False), (True, True), (False, False)]


def test_a_problem_names_its_rule_time_and_text() -> None:
    assert str(Problem("count-skips", 83.25, "'Four.' then 'Two.'")) == (
        "1:23.2 count-skips: 'Four.' then 'Two.'"
    )


# -- counts ------------------------------------------------------------------------------------


def test_a_skipped_number_fails() -> None:
    hold = ((0.0, "[tick]"), (0.0, "Five."), (1, "Four."), (2, "[tick]"), (3, "Two."), (4, "One."))
    found = problems("count-skips", session(P("hold", 5, *hold, ex=1, rep=1)))
    assert [(p.t, p.text) for p in found] == [(3.0, "'Four.' then 'Two.'")]
    stops = session(P("rest", 5, (2, "Three."), (3, "Two."), ex=None))
    assert [p.text for p in problems("count-skips", stops)] == ["the count stops at 'Two.'"]
    assert problems("count-skips", session(P("hold", 5, *count(5), ex=1, rep=1))) == []


def test_a_short_hold_is_counted_from_its_length() -> None:
    late = session(P("hold", 10, (0, "[tick]"), (0, "Hold."), *count(9, at=1), ex=1, rep=1))
    (found,) = problems("short-hold-count", late)
    assert found.t == 0.0 and found.text.startswith("a 10 s hold heard as [tick] 'Hold.' 'Nine.'")
    ticked = session(P("hold", 3, (0, "[tick]"), (1, "[tick]"), (2, "One."), ex=1, rep=1))
    assert len(problems("short-hold-count", ticked)) == 1  # a second is long enough at pace 100
    full = session(P("hold", 10, (0, "[tick]"), *count(10), ex=1, rep=1))
    assert problems("short-hold-count", full) == []
    # at pace 200 half a second is too short for a number: ticks may start the count
    fast = session(
        P(
            "hold",
            5,
            (0, "[tick]"),
            *((k * 0.5, "[tick]") for k in range(1, 8)),
            (4, "Two."),
            (4.5, "One."),
            ex=1,
            rep=1,
        ),
        pace=200,
    )
    assert problems("short-hold-count", fast) == []
    # its length is the routine's, when words made the phase longer than written
    plan = ExercisePlan(1, "Bridge", 1, 1, "none", 1, None, 100.0, (3.0,), 3.0, 4.0, 0.0, 0.0, 0.0)
    worded = ((0, "[tick]"), (0.25, "Hold. Hips high."), *count(3, at=3))
    assert problems("short-hold-count", session(P("hold", 6, *worded, ex=1, rep=1))) != []
    assert (
        problems("short-hold-count", session(P("hold", 6, *worded, ex=1, rep=1), plans=(plan,)))
        == []
    )
    # a hold over ten seconds is another rule's
    long = session(P("hold", 20, (0, "[tick]"), (10, "Ten seconds left."), *count(5, at=15)))
    assert problems("short-hold-count", long) == []


def test_a_long_hold_counts_only_its_last_five() -> None:
    numbers = ("Six.", "Five.", "Four.", "Three.", "Two.", "One.")
    every = session(P("hold", 30, *((24 + k, n) for k, n in enumerate(numbers)), ex=1, rep=1))
    (found,) = problems("long-hold-count", every)
    assert (found.t, found.text) == (24.0, "a long hold counts from 'Six.'")
    last_five = session(
        P("hold", 30, (0, "[tick]"), (15, "Halfway."), (20, "Ten seconds left."),
          *count(5, at=25), ex=1, rep=1)
    )  # fmt: skip
    assert problems("long-hold-count", last_five) == []


@pytest.mark.parametrize("kind", ["relax", "inhale", "exhale"])
def test_relax_and_breath_phases_are_not_counted(kind: str) -> None:
    counted = session(P(kind, 4, (0, "[rest]"), (0.25, "Relax."), *count(3, at=1), ex=1, rep=1))
    (found,) = problems("relax-counted", counted)
    assert found.t == 1.0 and kind in found.text
    ticked = session(P(kind, 4, (0, "[rest]"), (2, "[tick]"), ex=1, rep=1))
    assert len(problems("relax-counted", ticked)) == 1
    quiet = session(P(kind, 4, (0, "[rest]"), (0.25, "Relax."), ex=1, rep=1))
    assert problems("relax-counted", quiet) == []


def test_a_tick_in_the_middle_of_a_count_fails() -> None:
    middle = ((0, "[tick]"), (1, "Four."), (2, "[tick]"), (3, "Two."), (4, "One."))
    (found,) = problems("tick-mid-count", session(P("hold", 5, *middle, ex=1, rep=1)))
    assert (found.t, found.text) == (2.0, "a tick after 'Four.'")
    start = ((0, "[tick]"), (1, "[tick]"), (2, "[tick]"), (3, "Two."), (4, "One."))
    assert problems("tick-mid-count", session(P("hold", 5, *start, ex=1, rep=1))) == []


def _exercise(n: int, *before: tuple) -> tuple[tuple, ...]:
    """Phases leading into exercise ``n``, then its one rep."""
    return (*before, P("inhale", 3, (0, "[inhale]"), (0.25, "Begin."), ex=n, rep=1))


def test_one_countdown_before_rep_one() -> None:
    three = count(3, at=3)
    twice = session(
        *_exercise(
            1, P("position", 3, (0.25, "Next: Bridge."), ex=1), P("get_ready", 6, *three, ex=1)
        ),
        *_exercise(
            2,
            P("rest", 6, (0, "[rest]"), (0.25, "Rest."), *three),
            P("position", 3, (0.25, "Next: Bird dog."), ex=2),
            P("get_ready", 6, *three, ex=2),
        ),
    )
    (found,) = problems("countdowns", twice)
    assert found.text.startswith("exercise 2: 2 countdowns before rep 1")
    none = session(*_exercise(1, P("position", 3, (0.25, "Next: Bridge."), ex=1)))
    assert [p.text for p in problems("countdowns", none)] == [
        "exercise 1: 0 countdowns before rep 1"
    ]
    once = session(
        *_exercise(
            1, P("position", 3, (0.25, "Next: Bridge."), ex=1), P("get_ready", 6, *three, ex=1)
        ),
        *_exercise(
            2,
            P("rest", 6, (0, "[rest]"), (0.25, "Rest."), (1, "Next: Bird dog.")),
            P("position", 3, (0.25, "Come onto your hands and knees."), ex=2),
            P("get_ready", 6, (3, "[tick]"), (4, "[tick]"), (5, "One."), ex=2),
        ),
    )
    assert problems("countdowns", once) == []


BRIDGE = Exercise("Bridge", "Lie on your back, knees bent. Feet flat.", (Step("inhale"),))
BIRD_DOG = Exercise("Bird dog", "Kneel on all fours. Hands under shoulders.", (Step("inhale"),))


def test_every_rest_previews_the_next_position() -> None:
    def rest_then_bird_dog(*lines: str) -> Timeline:
        marks = tuple((0.25 + 0.5 * k, line) for k, line in enumerate(lines))
        return session(
            P("inhale", 3, ex=1, rep=1),
            P("rest", 8, (0, "[rest]"), *marks),
            P("position", 3, (0.25, "Next: Bird dog."), ex=2),
            P("inhale", 3, ex=2, rep=1),
        )

    exercises = (BRIDGE, BIRD_DOG)
    name_only = rest_then_bird_dog("Rest.", "Coming up: Bird dog.")
    (found,) = problems("rest-preview", name_only, exercises=exercises)
    assert "Kneel on all fours." in found.text
    no_name = rest_then_bird_dog("Rest.", "Kneel on all fours.")
    assert len(problems("rest-preview", no_name, exercises=exercises)) == 1
    good = rest_then_bird_dog("Rest.", "Next: bird dog.", "Kneel on all fours.")
    assert problems("rest-preview", good, exercises=exercises) == []
    # its own way there, when the exercise has one (the format's ``get_there:``)
    there = replace(BIRD_DOG, get_there="Come onto your hands and knees.")
    come = rest_then_bird_dog("Rest.", "Next: bird dog.", "Come onto your hands and knees.")
    assert problems("rest-preview", come, exercises=(BRIDGE, there)) == []
    assert len(problems("rest-preview", good, exercises=(BRIDGE, there))) == 1


# -- words -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "allowed"),
    [
        ("Press Control C to stop.", ()),
        ("Space pauses, N skips, and X stops. Question mark lists the keys.", (KEYS, MEDIA_KEYS)),
        ("Your headphone button pauses.", (MEDIA_KEYS,)),
        ("Press your lower back into the floor.", MEDIA),
    ],
)
def test_no_line_names_a_control_the_medium_lacks(line: str, allowed: tuple[Medium, ...]) -> None:
    heard = session(P("intro", 4, (0.25, line)))
    for medium in MEDIA:
        found = problems("wrong-controls", heard, medium=medium)
        assert (found == []) == (medium in allowed), (line, medium.name, found)


def test_the_session_ends_with_a_get_up_line() -> None:
    body = P("inhale", 3, ex=1, rep=1)
    ends = session(body, P("outro", 3, (0.25, "That's the end of the session."), (2, "[end]")))
    (found,) = problems("no-get-up", ends)
    assert "That's the end of the session." in found.text
    gets_up = session(
        body, P("outro", 5, (0.25, "Roll onto your side, then push yourself up."), (4, "[end]"))
    )
    assert problems("no-get-up", gets_up) == []
    # a session that ends standing has nothing to get up from
    standing = Routine("test", "Test", (replace(BRIDGE, base="standing"),))
    assert problems("no-get-up", ends, routine=standing) == []
    lying = Routine("test", "Test", (replace(BRIDGE, base="back"),))
    assert len(problems("no-get-up", ends, routine=lying)) == 1


def test_breath_lines_are_short() -> None:
    long_line = "Breathe out. Press your lower back and heels into the floor, and lift your head."
    (found,) = problems("long-breath-line", session(P("exhale", 8, (0.25, long_line), ex=1, rep=1)))
    assert "(13 words" in found.text
    eleven = "Breathe out. Press your lower back and both heels into the floor now."
    assert len(problems("long-breath-line", session(P("exhale", 8, (0.25, eleven), ex=1, rep=1))))
    short = "Breathe out. Press your lower back and heels into the floor now."  # ten words
    assert problems("long-breath-line", session(P("exhale", 8, (0.25, short), ex=1, rep=1))) == []
    slow = replace(session(P("exhale", 8, (0.25, short), ex=1, rep=1)))
    cue = replace(slow.cues[0], dur=7.0)
    assert len(problems("long-breath-line", replace(slow, cues=(cue,)))) == 1
    # a move is not a breath phase: its detail may be longer
    assert problems("long-breath-line", session(P("move", 8, (0.25, long_line), ex=1, rep=1))) == []


def test_the_first_exercise_never_says_stay() -> None:
    def first(position: str) -> Timeline:
        return session(
            P("position", 4, (0.25, "Next: Bridge."), (1, position), ex=1),
            P("inhale", 3, (0.25, "Stay here."), ex=1, rep=1),
        )

    (found,) = problems("first-stay", first("Stay on your back, knees bent."))
    assert found.text == "'Stay on your back, knees bent.'"
    assert problems("first-stay", first("Lie on your back, knees bent.")) == []
    # the intro's cautions are not the exercise's words
    intro = session(
        P("intro", 4, (0.25, "Stay within a range that feels easy.")),
        P("position", 4, (0.25, "Next: Bridge."), (1, "Lie on your back."), ex=1),
        P("inhale", 3, ex=1, rep=1),
    )
    assert problems("first-stay", intro) == []


SIDE_LIFT = Exercise(
    "Side leg lift", "Lie on your {side} side. Rest your head on your arm.", (Step("inhale"),)
)


def test_a_switch_of_sides_restates_the_position() -> None:
    def switch(*lines: str) -> Timeline:
        marks = tuple((0.25 + 0.5 * k, line) for k, line in enumerate(lines))
        return session(
            P("inhale", 3, ex=1, rep=1),
            P("switch", 8, (0, "[switch]"), *marks, ex=1),
            P("inhale", 3, ex=1, rep=1),
        )

    bare = switch("Switch sides.", "Now your left side.")
    (found,) = problems("switch-silent", bare, exercises=(SIDE_LIFT,))
    assert found.text.endswith("does not say 'Lie on your left side.'")
    wrong_side = switch("Switch sides.", "Lie on your right side.")
    assert len(problems("switch-silent", wrong_side, exercises=(SIDE_LIFT,))) == 1
    told = switch("Switch sides.", "Now your left side.", "Lie on your left side.")
    assert problems("switch-silent", told, exercises=(SIDE_LIFT,)) == []


def _routine(path: Path, cooldown_id: str | None = None) -> Routine:
    return Routine("test", "Test", (BRIDGE,), path=path, cooldown_id=cooldown_id)


def test_every_builtin_routine_states_its_cooldown() -> None:
    heard = session(P("inhale", 3, ex=1, rep=1))
    builtin = LIBRARY_DIR / "test.yaml"
    (found,) = problems("no-cooldown", heard, routine=_routine(builtin))
    assert found.text == "the built-in routine test states no cooldown"
    assert problems("no-cooldown", heard, routine=_routine(builtin, "none")) == []
    # a routine of one's own may leave it out
    assert problems("no-cooldown", heard, routine=_routine(Path("mine.yaml"))) == []


def test_the_intro_says_what_the_routine_needs() -> None:
    def intro(*lines: str) -> Timeline:
        marks = tuple((0.25 + 0.5 * k, line) for k, line in enumerate(lines))
        return session(P("intro", 6, (0, "[start]"), *marks), P("inhale", 3, ex=1, rep=1))

    routine = replace(_routine(Path("mine.yaml")), equipment=("mat", "chair"))
    (found,) = problems("intro-needs", intro("Test.", "You need a mat."), routine=routine)
    assert found.text == "the intro does not say the routine needs 'chair'"
    good = intro("Test.", "You need a mat and a chair.")
    assert problems("intro-needs", good, routine=routine) == []


def test_the_exercises_default_to_those_the_routine_plays() -> None:
    rest = session(
        P("inhale", 3, ex=1, rep=1),
        P("rest", 8, (0, "[rest]"), (0.25, "Next: bird dog."), (1, "Kneel on all fours.")),
        P("inhale", 3, ex=2, rep=1),
    )
    warmed = Routine("test", "Test", (BIRD_DOG,), warmup=(BRIDGE,))
    assert problems("rest-preview", rest, routine=warmed) == []
    # the routine's own exercises alone would put the bridge second
    cold = Routine("test", "Test", (BIRD_DOG, BRIDGE))
    assert len(problems("rest-preview", rest, routine=cold)) == 1


def test_moving_into_a_standing_exercise_says_eyes_open() -> None:
    lying, standing = replace(BRIDGE, base="back"), replace(BIRD_DOG, base="standing")

    def stand_up(*lines: str) -> Timeline:
        marks = tuple((0.25 + 0.5 * k, line) for k, line in enumerate(lines))
        return session(
            P("inhale", 3, ex=1, rep=1),
            P("rest", 8, (0, "[rest]"), *marks),
            P("inhale", 3, ex=2, rep=1),
        )

    closed = stand_up("Next: bird dog.")
    (found,) = problems("eyes-closed", closed, exercises=(lying, standing))
    assert found.text == "exercise 2 (standing) without 'eyes open'"
    told = stand_up("Next: bird dog.", "Keep your eyes open while you stand.")
    assert problems("eyes-closed", told, exercises=(lying, standing)) == []
    czech = stand_up("Ve stoje mějte oči otevřené.")  # the Czech catalogue's line
    assert problems("eyes-closed", czech, exercises=(lying, standing), phrases=CZECH) == []
    assert len(problems("eyes-closed", czech, exercises=(lying, standing))) == 1
    # already standing: said once, on getting up
    assert problems("eyes-closed", closed, exercises=(standing, standing)) == [
        Problem("eyes-closed", 0.0, "exercise 1 (standing) without 'eyes open'")
    ]
