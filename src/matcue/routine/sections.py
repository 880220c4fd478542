"""Readers for the parts of a routine file around its exercises' steps: the progression by
week (``progress:``), and the warm-up and cool-down a routine names (``warmup:``,
``cooldown:``), read from the built-in routines at load time.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from yaml.nodes import Node, ScalarNode

from matcue.routine.model import NO_COOLDOWN, Exercise, Routine, Stage
from matcue.routine.nodes import Fields, Reader, got, number, suggest
from matcue.routine.problems import Problems, RoutineError, quote

MAX_WEEK = 104
"""The last week a ``progress:`` stage may start."""
PROGRESS_KEYS = ("about", "weeks")
STAGE_KEYS = ("reps", "sets", "hold")
ID_PATTERN = re.compile(r"[a-z0-9-]+")
"""What a routine id is made of."""

Builtins = Callable[[str], Routine | None]
"""A built-in routine by id (its own ``warmup:``/``cooldown:`` not followed), None when there
is no such routine; raises ``RoutineError`` when its file has problems."""
BuiltinIds = Callable[[], list[str]]


def no_builtins(ident: str) -> Routine | None:
    """Knows no built-in routine: a routine's warm-up and cool-down are not followed."""
    return None


class SectionReader(Reader):
    """A ``Reader`` that also reads ``progress:``, ``warmup:`` and ``cooldown:``."""

    def __init__(
        self, problems: Problems, lines: list[str], builtin: Builtins, builtin_ids: BuiltinIds
    ) -> None:
        super().__init__(problems, lines)
        self.builtin = builtin
        self.builtin_ids = builtin_ids
        self.follow = builtin is not no_builtins

    def part(self, found: Fields, key: str, ident: str) -> tuple[str | None, tuple[Exercise, ...]]:
        """``warmup:``/``cooldown:`` as written, and the exercises of the built-in routine it
        names (none for ``cooldown: none``, or when built-in routines are not followed)."""
        if key not in found:
            return None, ()
        node = found[key][1]
        value = self.text(node, key, spoken=False)
        if value is None:
            return None, ()
        if key == "cooldown" and value == NO_COOLDOWN:
            return value, ()
        kind = "a warm-up" if key == "warmup" else "a cool-down"
        if not ID_PATTERN.fullmatch(value):
            also = " or none" if key == "cooldown" else ""
            self.add(node, f"{key} must be the id of a built-in routine{also}, got {quote(value)}")
            return None, ()
        if value == ident:
            self.add(node, f"{key} names this routine itself; {kind} is another routine")
            return None, ()
        if not self.follow:
            return value, ()
        try:
            found_routine = self.builtin(value)
        except RoutineError as err:
            self.add(node, f"the built-in routine {quote(value)} has problems: {err}")
            return None, ()
        if found_routine is None:
            ids = self.builtin_ids()
            hint = suggest(value, ids) or " (run `matcue list` to see them)"
            also = ", or none" if key == "cooldown" else ""
            self.add(
                node,
                f"{key} must name a built-in routine{also}; there is none called "
                f"{quote(value)}{hint}",
            )
            return None, ()
        return value, found_routine.exercises

    def progress(self, node: Node) -> tuple[str | None, tuple[Stage, ...]]:
        """``progress:`` as text (not spoken), or a mapping with ``about:`` (text) and
        ``weeks:`` (from which week on which reps, sets or hold apply)."""
        if isinstance(node, ScalarNode):
            return self.text(node, "progress", spoken=False), ()
        mapping = self.mapping(
            node, "progress must be text, or a mapping with 'about:' and 'weeks:'"
        )
        if mapping is None:
            return None, ()
        found = self.fields(mapping, "in progress", PROGRESS_KEYS)
        about = self.optional(found, "about", lambda n: self.text(n, "about", spoken=False))
        if "weeks" not in found:
            if "about" not in found:
                self.add(mapping, "progress needs 'about:' or 'weeks:'")
            return about, ()
        weeks = self.mapping(
            found["weeks"][1], "weeks must be a mapping like '3: {reps: 8}' (week: numbers)"
        )
        if weeks is None:
            return about, ()
        stages: list[Stage] = []
        seen: set[int] = set()
        for key, value in weeks.value:
            if not self.visit(key):
                continue
            week = number(key) if isinstance(key, ScalarNode) else None
            if week is None or not 2 <= week <= MAX_WEEK or week != int(week):
                self.add(
                    key,
                    f"a week must be a whole number from 2 to {MAX_WEEK} (week 1 is the "
                    f"exercise as written), got {got(key)}",
                )
                continue
            if int(week) in seen:
                self.add(key, f"week {int(week)} is given twice")
                continue
            seen.add(int(week))
            stage = self.stage(value, int(week))
            if stage is not None:
                stages.append(stage)
        return about, tuple(sorted(stages, key=lambda s: s.week))

    def stage(self, node: Node, week: int) -> Stage | None:
        mapping = self.mapping(
            node, f"week {week} must be a mapping like '{{reps: 8}}' or '{{hold: 20}}'"
        )
        if mapping is None:
            return None
        known = len(self.problems)
        found = self.fields(mapping, "in a week of progress", STAGE_KEYS)
        if not found:
            if len(self.problems) == known:  # else an unknown key (a typo) already explains
                self.add(mapping, f"week {week} needs reps, sets or hold")
            return None
        reps = self.optional(found, "reps", lambda n: self.whole(n, "reps", 1, 100))
        sets = self.optional(found, "sets", lambda n: self.whole(n, "sets", 1, 20))
        hold = self.optional(found, "hold", lambda n: self.duration(n, "hold"))
        if any(
            k in found and v is None for k, v in (("reps", reps), ("sets", sets), ("hold", hold))
        ):
            return None
        return Stage(week=week, reps=reps, sets=sets, hold=hold)
