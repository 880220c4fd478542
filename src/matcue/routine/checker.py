"""The checker: routine format version 1, from YAML nodes to the frozen ``Routine``.

It walks the node tree once, reading each key with ``nodes.Reader`` and recording every
problem (unknown, missing and duplicate keys, bad values, steps that contradict each other)
rather than stopping at the first; a model is built only when nothing was wrong.
"""

from __future__ import annotations

import contextlib
from dataclasses import fields, replace
from typing import cast

from yaml.nodes import MappingNode, Node, ScalarNode

from matcue.routine.model import (
    BASES,
    LEVELS,
    SIDES,
    STEP_KINDS,
    Base,
    Exercise,
    Level,
    Routine,
    Sides,
    Stage,
    Step,
    StepKind,
    Timing,
)
from matcue.routine.nodes import got, number, one_of
from matcue.routine.problems import Problems, quote
from matcue.routine.sections import (
    ID_PATTERN,
    BuiltinIds,
    Builtins,
    SectionReader,
    no_builtins,
)
from matcue.routine.source import FLOAT, INT, NULL, TooManyNodes
from matcue.routine.values import parse_language

MAX_EXERCISES = 100
"""The most exercises a routine may have (the library's longest has 11)."""

FORMAT_VERSION = 1
TOP_KEYS = (
    "matcue",
    "id",
    "title",
    "language",
    "level",
    "equipment",
    "source",
    "cautions",
    "defaults",
    "base",
    "warmup",
    "cooldown",
    "exercises",
)
EXERCISE_KEYS = (
    "name",
    "position",
    "reps",
    "sets",
    "sides",
    "steps",
    "defaults",
    "cautions",
    "progress",
    "note",
    "pace",
    "holds",
    "breath",
    "base",
    "get_there",
)
STEP_KEYS = (*STEP_KINDS, "say", "for", "remind")
TIMING_KEYS = tuple(f.name for f in fields(Timing))

_PAUSES = frozenset({"rest", "set_rest", "get_ready"})  # may be 0: the pause is left out
_CAUTIONS_EXAMPLE = "[Stop if it hurts.]"
_REMIND_EXAMPLE = "[Keep breathing.]"


def check(
    root: Node,
    default_id: str,
    problems: Problems,
    lines: list[str],
    builtin: Builtins = no_builtins,
    builtin_ids: BuiltinIds = list,
) -> Routine | None:
    """The routine ``root`` describes, or None when ``problems`` holds why not.

    ``default_id`` is the id when the file gives none; ``lines`` are the source's lines.
    ``builtin`` reads the built-in routine a ``warmup:`` or ``cooldown:`` names (the default
    knows none, so such a routine is not followed: a warm-up's own cool-down is not played);
    ``builtin_ids`` lists the ids, for a suggestion.
    """
    with contextlib.suppress(TooManyNodes):  # the reader recorded the problem
        return _Checker(problems, lines, builtin, builtin_ids).routine(root, default_id)
    return None


class _Checker(SectionReader):
    """Reads the routine's keys, exercises and steps; builds the model from what is valid."""

    def routine(self, root: Node, default_id: str) -> Routine | None:
        top = self.mapping(
            root, "a routine must be a mapping with keys such as 'matcue: 1' and 'title: ...'"
        )
        if top is None:
            return None
        if not self.version(top):
            return None
        found = self.fields(top, "at the top level", TOP_KEYS)
        where = "at the top level"

        ident = default_id
        if "id" in found:
            node = found["id"][1]
            value = self.text(node, "id", spoken=False)
            if value is not None and not ID_PATTERN.fullmatch(value):
                self.add(node, f"id must use only a-z, 0-9 and '-', got {quote(value)}")
            elif value is not None:
                ident = value
        title_node = self.require(found, top, "title", where)
        title = self.text(title_node, "title") if title_node else None
        language = "en"
        if "language" in found:
            node = found["language"][1]
            value = self.text(node, "language", spoken=False)
            if value is not None:
                try:
                    language = parse_language(value)
                except ValueError as err:
                    self.add(node, str(err))
        level = self.optional(found, "level", lambda n: self.choice(n, "level", LEVELS))
        equipment = self.optional(
            found,
            "equipment",
            lambda n: self.texts(n, "equipment", "equipment item", "[mat, towel]"),
        )
        source = self.optional(found, "source", lambda n: self.text(n, "source", spoken=False))
        cautions = self.optional(
            found, "cautions", lambda n: self.texts(n, "cautions", "caution", _CAUTIONS_EXAMPLE)
        )
        defaults = Timing()
        if "defaults" in found:
            defaults = replace(defaults, **self.timing(found["defaults"][1], "defaults"))
        base = cast(Base | None, self.optional(found, "base", self.base))
        warmup_id, warmup = self.part(found, "warmup", ident)
        cooldown_id, cooldown = self.part(found, "cooldown", ident)
        exercises: list[Exercise | None] = []
        exercises_node = self.require(found, top, "exercises", where)
        items = (
            self.sequence(exercises_node, "exercises must be a non-empty list of exercises")
            if exercises_node
            else None
        )
        if items and len(items) > MAX_EXERCISES:
            self.add(
                items[MAX_EXERCISES],
                f"the routine has {len(items)} exercises; a routine may have at most "
                f"{MAX_EXERCISES}",
            )
            items = None
        for item in items or ():
            exercises.append(self.exercise(item, defaults, base))

        if self.problems or title is None or not items or None in exercises:
            return None
        return Routine(
            id=ident,
            title=title,
            exercises=tuple(e for e in exercises if e is not None),
            language=language,
            level=cast(Level, level or "beginner"),
            equipment=equipment or (),
            source=source,
            cautions=cautions or (),
            defaults=defaults,
            base=base,
            warmup_id=warmup_id,
            cooldown_id=cooldown_id,
            warmup=tuple(replace(e, part="warmup") for e in warmup),
            cooldown=tuple(replace(e, part="cooldown") for e in cooldown),
        )

    def base(self, node: Node) -> str | None:
        return self.choice(node, "base", BASES)

    def version(self, top: MappingNode) -> bool:
        """Check ``matcue: 1``; False (stop reading) when the file is another version."""
        for key, value in top.value:
            if isinstance(key, ScalarNode) and key.value == "matcue":
                if not self.visit(value):
                    return True
                if isinstance(value, ScalarNode) and (
                    number(value) == FORMAT_VERSION or value.value.strip() == "1"
                ):
                    return True
                if isinstance(value, ScalarNode) and value.tag in (INT, FLOAT):
                    self.add(
                        value,
                        f"unsupported format version {got(value)}; "
                        f"this matcue reads version {FORMAT_VERSION}",
                    )
                    return False
                self.add(value, f"matcue must be the format version 1, got {got(value)}")
                return True
        self.add(
            top, "missing required key 'matcue' at the top level; start the file with 'matcue: 1'"
        )
        return True

    def timing(self, node: Node, name: str) -> dict[str, float]:
        """The durations a ``defaults:`` mapping sets."""
        mapping = self.mapping(node, f"{name} must be a mapping of seconds like 'inhale: 3'")
        if mapping is None:
            return {}
        found = self.fields(mapping, "in defaults", TIMING_KEYS)
        seconds = {
            key: self.duration(value, key, allow_zero=key in _PAUSES)
            for key, (_, value) in found.items()
        }
        return {key: s for key, s in seconds.items() if s is not None}

    def exercise(self, node: Node, defaults: Timing, base: Base | None) -> Exercise | None:
        mapping = self.mapping(node, "an exercise must be a mapping with name, position and steps")
        if mapping is None:
            return None
        where = "in exercise"
        found = self.fields(mapping, where, EXERCISE_KEYS)
        sides_value = self.optional(found, "sides", lambda n: self.choice(n, "sides", SIDES))
        sides = cast(Sides | None, sides_value if "sides" in found else "none")
        name_node = self.require(found, mapping, "name", where)
        name = self.text(name_node, "name") if name_node else None
        position_node = self.require(found, mapping, "position", where)
        position = (
            self.text(position_node, "position", sides=sides, placeholders=True)
            if position_node
            else None
        )
        reps = self.optional(found, "reps", lambda n: self.whole(n, "reps", 1, 100))
        sets = self.optional(found, "sets", lambda n: self.whole(n, "sets", 1, 20))
        timing = defaults
        if "defaults" in found:
            timing = replace(timing, **self.timing(found["defaults"][1], "defaults"))
        cautions = self.optional(
            found,
            "cautions",
            lambda n: self.texts(
                n, "cautions", "caution", _CAUTIONS_EXAMPLE, sides=sides, placeholders=True
            ),
        )
        progress: str | None = None
        stages: tuple[Stage, ...] = ()
        if "progress" in found:
            progress, stages = self.progress(found["progress"][1])
        note = self.optional(found, "note", lambda n: self.text(n, "note", spoken=False))
        pace = self.optional(found, "pace", lambda n: self.percent(n, "pace"))
        holds = self.optional(found, "holds", lambda n: self.percent(n, "holds"))
        breath = self.optional(found, "breath", self.breath)
        own_base = cast(Base | None, self.optional(found, "base", self.base))
        get_there = self.optional(
            found,
            "get_there",
            lambda n: self.text(n, "get_there", sides=sides, placeholders=True),
        )
        steps_node = self.require(found, mapping, "steps", where)
        items = (
            self.sequence(steps_node, "steps must be a non-empty list of steps")
            if steps_node
            else None
        )
        steps = [self.step(item, sides) for item in items or ()]
        holds_set = any(s.hold is not None for s in stages)
        if holds_set and not any(s is not None and s.kind == "hold" for s in steps):
            self.add(
                found["progress"][1], "progress sets a hold, but the exercise has no hold step"
            )
            return None
        if name is None or position is None or not items or None in steps:
            return None
        return Exercise(
            name=name,
            position=position,
            steps=tuple(s for s in steps if s is not None),
            reps=reps or 1,
            sets=sets or 1,
            sides=sides or "none",
            timing=timing,
            cautions=cautions or (),
            progress=progress,
            note=note,
            stages=stages,
            pace=pace or 100.0,
            holds=holds or 100.0,
            breath=breath,
            base=own_base or base,
            get_there=get_there,
        )

    def step(self, node: Node, sides: Sides | None) -> Step | None:
        hint = ""
        if isinstance(node, ScalarNode) and node.value in STEP_KINDS:
            hint = f" (write '{node.value}:' with a colon)"
        message = "a step must be a mapping like 'inhale: TEXT' or 'hold: 5'"
        mapping = self.mapping(node, message, hint)
        if mapping is None:
            return None
        known = len(self.problems)
        found = self.fields(mapping, "in step", STEP_KEYS)
        kinds = [k for k in found if k in STEP_KINDS]
        if not kinds:
            if len(self.problems) == known:  # else an unknown key (say a typo) already explains
                self.add(mapping, f"a step needs one of {one_of(STEP_KINDS)}")
            return None
        if len(kinds) > 1:
            self.add(
                found[kinds[1]][0],
                f"a step has one kind, but this one has both '{kinds[0]}' and '{kinds[1]}'; "
                "write them as two steps",
            )
            return None
        kind: StepKind = kinds[0]
        value = found[kind][1]
        ok = True
        text: str | None = None
        seconds: float | None = None
        cycles: int | None = None
        if kind in ("inhale", "exhale") and isinstance(value, ScalarNode) and value.tag == NULL:
            ok = self.visit(value)
        elif kind in ("inhale", "exhale", "move"):
            text = self.text(value, kind, sides=sides, placeholders=True)
            ok = text is not None
        elif kind in ("hold", "relax"):
            seconds = self.duration(value, kind)
            ok = seconds is not None
        else:
            cycles = self.whole(value, "breathe", 1, 50)
            ok = cycles is not None
        if "for" in found:
            key, value = found["for"]
            if kind in ("inhale", "exhale", "move"):
                seconds = self.duration(value, "for")
                ok = ok and seconds is not None
            else:
                self.add(key, f"for only applies to inhale, exhale and move steps, not {kind}")
                ok = False
        say = None
        if "say" in found:
            say = self.text(found["say"][1], "say", sides=sides, placeholders=True)
            ok = ok and say is not None
        remind: tuple[str, ...] = ()
        if "remind" in found:
            key, value = found["remind"]
            if kind != "hold":
                self.add(key, f"remind only applies to hold steps, not {kind}")
                ok = False
            else:
                read = self.texts(
                    value, "remind", "reminder", _REMIND_EXAMPLE, sides=sides, placeholders=True
                )
                ok = ok and read is not None and len(read) == len(value.value)
                remind = read or ()
        if not ok:
            return None
        return Step(kind=kind, text=text, seconds=seconds, cycles=cycles, say=say, remind=remind)
