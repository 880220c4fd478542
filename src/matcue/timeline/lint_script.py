"""The session as the lint (:mod:`matcue.timeline.lint`) reads it, and the lint's records.

``Script`` is a compiled ``Timeline`` as it is heard: each phase with the cues that start in it,
its count marks (numbers and ticks), where each exercise's reps begin and end. ``Rule``,
``Problem`` and ``Medium`` are the records the lint's table and its answers are made of.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from matcue.routine.model import Exercise, Routine
from matcue.timeline.model import Cue, ExercisePlan, Phase, Timeline
from matcue.timeline.phrases import Phrases

EPS = 1e-6  # seconds: two cue times this close are one moment
_HIGHEST_NUMBER = 300  # number words recognised in a count


@dataclass(frozen=True)
class Problem:
    """One place where the session breaks a rule: the rule's id, when (seconds from the
    session start) and what is heard there."""

    rule: str
    t: float
    text: str

    def __str__(self) -> str:
        minutes, seconds = divmod(self.t, 60)
        return f"{int(minutes)}:{seconds:04.1f} {self.rule}: {self.text}"


@dataclass(frozen=True)
class Medium:
    """How the session reaches the listener, which decides the controls they have."""

    name: str
    keys: bool  # the terminal's keys control it
    media_keys: bool  # the headphone and media buttons control it too


Bound = float | int | str | tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """One rule of the lint: its id, the rule in one sentence, the values it is bound by and
    the function that finds where a session breaks it."""

    id: str
    says: str
    check: Callable[[Rule, Script], Iterator[Problem]]
    bounds: Mapping[str, Bound] = field(default_factory=dict)

    def number(self, name: str) -> float:
        value = self.bounds[name]
        assert isinstance(value, int | float)
        return float(value)

    def words(self, name: str) -> tuple[str, ...]:
        value = self.bounds[name]
        if isinstance(value, str):
            return (value,)
        assert isinstance(value, tuple)
        return value

    def pattern(self, name: str) -> re.Pattern[str]:
        """A case-blind pattern matching any of the phrases under ``name``, as whole words."""
        alternatives = "|".join(re.escape(w) for w in self.words(name))
        return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Script:
    """The compiled session as it is heard, with what the checks need to read it."""

    timeline: Timeline
    phrases: Phrases
    medium: Medium
    routine: Routine | None = None
    exercises: Sequence[Exercise] = ()  # the session's exercises in order, when known

    @cached_property
    def heard(self) -> tuple[tuple[Cue, ...], ...]:
        """The cues of each phase (those starting in it), in time order."""
        starts = [p.t for p in self.timeline.phases]
        out: list[list[Cue]] = [[] for _ in starts]
        for cue in self.timeline.cues:
            out[max(0, bisect_right(starts, cue.t + EPS) - 1)].append(cue)
        return tuple(map(tuple, out))

    @cached_property
    def numbers(self) -> dict[str, int]:
        """A count's spoken lines -> their numbers ("Seven." -> 7)."""
        return {self.phrases.number(n): n for n in range(1, _HIGHEST_NUMBER + 1)}

    def marks(self, k: int) -> tuple[tuple[Cue, int | None], ...]:
        """The count marks of phase ``k``: its numbers (with their value) and its ticks other
        than the tick that opens it."""
        return self._marks[k]

    @cached_property
    def _marks(self) -> tuple[tuple[tuple[Cue, int | None], ...], ...]:
        numbers = self.numbers
        out = []
        for phase, heard in zip(self.timeline.phases, self.heard, strict=True):
            marks: list[tuple[Cue, int | None]] = []
            for cue in heard:
                if cue.kind == "speech" and cue.text in numbers:
                    marks.append((cue, numbers[cue.text]))
                elif cue.sound == "tick" and cue.t > phase.t + EPS:
                    marks.append((cue, None))
            out.append(tuple(marks))
        return tuple(out)

    def first_reps(self) -> dict[int, int]:
        """Exercise number -> the index of the first phase of its first rep."""
        out: dict[int, int] = {}
        for k, phase in enumerate(self.timeline.phases):
            if phase.rep is not None and phase.exercise is not None:
                out.setdefault(phase.exercise, k)
        return out

    def last_reps(self) -> dict[int, int]:
        """Exercise number -> the index of the last phase of its last rep."""
        out: dict[int, int] = {}
        for k, phase in enumerate(self.timeline.phases):
            if phase.rep is not None and phase.exercise is not None:
                out[phase.exercise] = k
        return out

    def text(self, k: int) -> str:
        return " ".join(c.text or "" for c in self.heard[k] if c.kind == "speech")

    def plan(self, phase: Phase) -> ExercisePlan | None:
        """The numbers of the exercise ``phase`` belongs to, when known."""
        plans, n = self.timeline.exercises, phase.exercise
        return plans[n - 1] if n is not None and 0 < n <= len(plans) else None

    def second(self, phase: Phase) -> float:
        """How long one of the routine's seconds lasts in ``phase`` (at its pace)."""
        plan = self.plan(phase)
        return 100.0 / (plan.pace if plan is not None else self.timeline.pace.percent)

    def hold_length(self, k: int) -> int | None:
        """The length, in the routine's whole seconds, of hold phase ``k``; None for a breath
        held after an inhale (ratio breathing)."""
        return self._hold_lengths.get(k)

    @cached_property
    def _hold_lengths(self) -> dict[int, int]:
        # The j-th hold of a rep (of one side) is the exercise's j-th hold step: its length is
        # the plan's, not the phase's, which its words may have made longer.
        out: dict[int, int] = {}
        seen: dict[tuple[int | None, int | None, int | None, str | None], int] = {}
        for k, phase in enumerate(self.timeline.phases):
            if phase.kind != "hold":
                continue
            plan, second = self.plan(phase), self.second(phase)
            if plan is not None and plan.breath_hold:  # breath holds among the steps' holds
                if abs(phase.dur - plan.breath_hold) > EPS:
                    out[k] = round(phase.dur / second)
                continue
            key = (phase.exercise, phase.set, phase.rep, phase.side)
            j = seen[key] = seen.get(key, -1) + 1
            written = plan.holds[j] if plan is not None and j < len(plan.holds) else phase.dur
            out[k] = round(written / second)
        return out

    def exercise(self, n: int) -> Exercise | None:
        """The ``n``-th exercise of the session (1-based), when known."""
        return self.exercises[n - 1] if 0 < n <= len(self.exercises) else None
