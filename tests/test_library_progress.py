"""The progressions the articles state reach ``--week``: a fixture row's ``progress:``
(tests/fixtures/library_facts.yaml) names the number at week one and after the last stage,
and the routine's ``progress: weeks:`` must take the exercise from the one to the other."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from matcue.routine.library import load_builtin_routines
from matcue.routine.model import Exercise
from matcue.routine.sections import MAX_WEEK
from matcue.timeline import Pace
from matcue.timeline.effective import effective

FACTS_PATH = Path(__file__).resolve().parent / "fixtures" / "library_facts.yaml"
FACTS: dict[str, Any] = yaml.safe_load(FACTS_PATH.read_text(encoding="utf-8"))
ROUTINES = {r.id: r for r in load_builtin_routines()}
KINDS = ("reps", "sets", "hold")


def _rows() -> list[tuple[str, str, dict[str, list[float]]]]:
    return [
        (rid, row["name"], row["progress"])
        for rid, entry in FACTS["routines"].items()
        for row in entry["exercises"]
        if "progress" in row
    ]


def numbers(ex: Exercise, week: int) -> dict[str, float | None]:
    """Reps, sets and the (first) hold of ``ex`` as a session in ``week`` runs it."""
    run = effective(ex, Pace(week=week))
    holds = [s.seconds for s in run.steps if s.kind == "hold"]
    return {"reps": run.reps, "sets": run.sets, "hold": holds[0] if holds else None}


def exercise(rid: str, name: str) -> Exercise:
    (ex,) = [e for e in ROUTINES[rid].exercises if e.name == name]
    return ex


def test_the_table_has_progressions() -> None:
    rows = _rows()
    assert len(rows) >= 20
    for rid, name, progress in rows:
        assert progress and set(progress) <= set(KINDS), (rid, name, progress)
        for start, end in progress.values():
            assert start != end, (rid, name, progress)


@pytest.mark.parametrize(("rid", "name", "progress"), _rows())
def test_progression_runs_from_week_one_to_the_last_stage(
    rid: str, name: str, progress: dict[str, list[float]]
) -> None:
    ex = exercise(rid, name)
    assert ex.stages, f"{rid}/{name}: the article states a progression, the routine has no weeks"
    first, last = numbers(ex, 1), numbers(ex, MAX_WEEK)
    for kind, (start, end) in progress.items():
        assert (first[kind], last[kind]) == (start, end), f"{rid}/{name}: {kind}"
    # the stages only ever grow: no week asks for less than the week before
    weeks = [numbers(ex, w) for w in range(1, MAX_WEEK + 1)]
    for kind in progress:
        values = [w[kind] or 0.0 for w in weeks]
        assert values == sorted(values), f"{rid}/{name}: {kind} shrinks"


def test_a_routine_without_its_weeks_fails_the_check() -> None:
    """Guard for the guard: the side plank with its stages dropped no longer progresses."""
    ex = exercise("spine-gymnastics", "Side plank")
    assert numbers(ex, MAX_WEEK)["hold"] == 40
    flat = dataclasses.replace(ex, stages=())
    assert numbers(flat, MAX_WEEK)["hold"] == 10
