"""Lint every line the built-in library speaks: written for the ear, not the page.

Spoken strings: routine titles and cautions; exercise names, positions and cautions; step
texts and ``say:`` lines, with ``{side}``/``{other}`` expanded for both sides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from matcue.routine.library import load_builtin_routines
from matcue.routine.model import Exercise, Routine

MAX_WORDS = 15
BANNED_VISUAL = (
    "photo",
    "picture",
    "image",
    "shown",
    "see below",
    "figure",
    "illustration",
    "video",
    "as in the",
    "gallery",
    "look at the",
)
# Machine-translation artefacts of the seed articles, and written-only abbreviations.
BANNED_ODDITIES = (
    "shrug",
    "loins",
    "strap",
    "position output",
    "the original position",
    "support column",
    "simulator",
    "etc",
    "e.g",
    "i.e",
    "approx",
    "sec",
    "secs",
    "min",
    "mins",
    "reps",
    "no.",
)
ALLOWED_CHARS = re.compile(r"[A-Za-z ,.;:'?!\-]+")


def _routines() -> list[Routine]:
    loaded = load_builtin_routines()
    return sorted(loaded.values() if isinstance(loaded, dict) else loaded, key=lambda r: r.id)


ROUTINES = _routines()


def expand(text: str, side: str) -> str:
    other = "left" if side == "right" else "right"
    return text.replace("{side}", side).replace("{other}", other)


def exercise_lines(ex: Exercise) -> Iterator[tuple[str, str, bool]]:
    """(where, text, is_sentence) for every spoken string of ``ex``; labels are not sentences."""
    raw: list[tuple[str, str, bool]] = [(f"{ex.name}: name", ex.name, False)]
    raw.append((f"{ex.name}: position", ex.position, True))
    raw += [(f"{ex.name}: caution", c, True) for c in ex.cautions]
    for n, step in enumerate(ex.steps, 1):
        if step.text is not None:
            raw.append((f"{ex.name}: step {n} {step.kind}", step.text, True))
        if step.say is not None:
            raw.append((f"{ex.name}: step {n} say", step.say, True))
    sided = ex.sides in ("each", "alternate")
    for where, text, is_sentence in raw:
        if sided:
            for side in ("right", "left"):
                yield f"{where} [{side}]", expand(text, side), is_sentence
        else:  # placeholders are not expanded here, so a stray one is caught below
            yield where, text, is_sentence


def spoken_lines(routine: Routine) -> Iterator[tuple[str, str, bool]]:
    yield "title", routine.title, False
    for c in routine.cautions:
        yield "caution", c, True
    for ex in routine.exercises:
        yield from exercise_lines(ex)


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def problems(text: str, is_sentence: bool) -> list[str]:
    """What is wrong with one spoken string (empty if nothing)."""
    out = []
    if not text.strip():
        return ["empty"]
    if "{" in text or "}" in text:
        out.append("leftover placeholder brace")
    if re.search(r"\d", text):
        out.append("digit (numbers are fields, or words)")
    bad_chars = set(ALLOWED_CHARS.sub("", text)) - set("{}0123456789")
    if bad_chars:
        out.append(f"symbols {''.join(sorted(bad_chars))!r}")
    lower = text.lower()
    for phrase in BANNED_VISUAL:
        if re.search(rf"\b{re.escape(phrase)}", lower):
            out.append(f"visual reference {phrase!r}")
    for phrase in BANNED_ODDITIES:
        if re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", lower):
            out.append(f"oddity or abbreviation {phrase!r}")
    for s in sentences(text):
        words = len(s.split())
        if words > MAX_WORDS:
            out.append(f"{words} words in {s!r}")
    if is_sentence and text.rstrip()[-1] not in ".!?":
        out.append("no closing punctuation")
    return out


@pytest.mark.parametrize("routine", ROUTINES, ids=[r.id for r in ROUTINES])
def test_spoken_lines_are_written_for_the_ear(routine: Routine) -> None:
    found = {
        f"{where}: {text!r}": p
        for where, text, is_sentence in spoken_lines(routine)
        if (p := problems(text, is_sentence))
    }
    assert found == {}


@pytest.mark.parametrize("routine", ROUTINES, ids=[r.id for r in ROUTINES])
def test_sided_exercises_name_the_side(routine: Routine) -> None:
    """An each/alternate exercise says which side; others never carry a side placeholder."""
    for ex in routine.exercises:
        texts = [ex.position, *ex.cautions, *(s.text or "" for s in ex.steps)]
        texts += [s.say or "" for s in ex.steps]
        has_placeholder = any("{side}" in t or "{other}" in t for t in texts)
        if ex.sides in ("each", "alternate"):
            assert has_placeholder, f"{routine.id}/{ex.name}: no {{side}} in a sided exercise"
        else:
            assert not has_placeholder, f"{routine.id}/{ex.name}: {{side}} without sides"


@pytest.mark.parametrize(
    ("text", "is_sentence", "expected"),
    [
        ("Lie on your back.", True, []),
        ("Knees to the side, head the other way", False, []),
        ("Lie on your back", True, ["no closing punctuation"]),
        ("Hold for 5 seconds.", True, ["digit (numbers are fields, or words)"]),
        ("Lift your {side} leg.", True, ["leftover placeholder brace"]),
        (
            "Move as shown in the photo.",
            True,
            ["visual reference 'photo'", "visual reference 'shown'"],
        ),
        ("Shrug your leg in knees.", True, ["oddity or abbreviation 'shrug'"]),
        ("Rest for thirty sec.", True, ["oddity or abbreviation 'sec'"]),
        ("Bend & stretch.", True, ["symbols '&'"]),
        (
            "Lie on your back and slowly lift both of your legs up toward the ceiling "
            "without bending them.",
            True,
            [
                "18 words in 'Lie on your back and slowly lift both of your legs up toward the "
                "ceiling without bending them.'"
            ],
        ),
    ],
)
def test_lint_rules_catch_what_they_should(
    text: str, is_sentence: bool, expected: list[str]
) -> None:
    assert problems(text, is_sentence) == expected


def test_every_routine_has_spoken_lines() -> None:
    assert len(ROUTINES) >= 20
    for routine in ROUTINES:
        lines = list(spoken_lines(routine))
        assert len(lines) > 3 * len(routine.exercises)
