"""Typed values read from YAML nodes: each reader returns the value, or None and a problem.

``Reader`` is the checker's toolbox: it counts the nodes it visits (refusing tags matcue does
not read), splits a mapping into its known keys, and reads text, spoken lines, lists, whole
numbers, durations, choices, percentages and breath ratios, each problem at the node's place.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import TypeVar

from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from matcue.routine.model import PLACEHOLDERS, Breath, Sides
from matcue.routine.problems import Problems, quote
from matcue.routine.source import (
    ALLOWED_TAGS,
    FLOAT,
    INT,
    MAX_NODES,
    MERGE,
    NULL,
    STR,
    TEXT_TAGS,
    TooManyNodes,
    show_tag,
    too_many_nodes,
)
from matcue.routine.values import BREATH_FORMS, DECIMAL, parse_breath, parse_duration

MAX_SPOKEN = 300
"""The longest spoken line, in characters."""

Fields = dict[str, tuple[ScalarNode, Node]]
"""The known keys of a mapping: name -> (key node, value node)."""

_CONSTRUCTOR = SafeConstructor()
_PERCENT = re.compile(rf"{DECIMAL}\s*%")
_WRITE_PLACEHOLDERS = "placeholders are written {side} or {other}"
_V = TypeVar("_V")


# --------------------------------------------------------------------------- describing values


def got(node: Node) -> str:
    """What a node holds, for 'X must be ..., got Y'."""
    if isinstance(node, MappingNode):
        return "a mapping" if node.value else "an empty mapping"
    if isinstance(node, SequenceNode):
        return "a list" if node.value else "an empty list"
    value = str(node.value)
    if node.tag == NULL:
        return "nothing"
    if node.tag in (INT, FLOAT) and isinstance(node, ScalarNode) and not node.style:
        return value if len(value) <= 20 else value[:19] + "…"
    return quote(value)


def suggest(word: str, choices: Sequence[str]) -> str:
    """`` (did you mean 'X'?)`` for the choice closest to ``word``, if one is close."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def one_of(choices: Sequence[str]) -> str:
    """``"a, b or c"``."""
    return ", ".join(choices[:-1]) + " or " + choices[-1]


def number(node: ScalarNode) -> int | float | None:
    """The number a plain YAML int or float scalar stands for; None for anything else."""
    try:
        if node.tag == INT:
            return _CONSTRUCTOR.construct_yaml_int(node)
        if node.tag == FLOAT:
            return _CONSTRUCTOR.construct_yaml_float(node)
    except (ValueError, TypeError):
        return None
    return None


def placeholder_problem(
    text: str, name: str, sides: Sides | None, allowed: bool
) -> tuple[int, str] | None:
    """Where (an index into ``text``) and what is wrong with its ``{...}`` placeholders.

    ``sides`` is None when the exercise's sides are unknown (then only the syntax is checked);
    ``allowed`` says whether ``text`` may use placeholders at all.
    """
    pos = 0
    while True:
        start, close = text.find("{", pos), text.find("}", pos)
        if close != -1 and (start == -1 or close < start):
            return close, f"{name} has a '}}' without its '{{'; {_WRITE_PLACEHOLDERS}"
        if start == -1:
            return None
        close = text.find("}", start + 1)
        again = text.find("{", start + 1)
        if close == -1 or (again != -1 and again < close):
            return start, f"{name} has a '{{' without its '}}'; {_WRITE_PLACEHOLDERS}"
        word = text[start + 1 : close]
        if word not in PLACEHOLDERS:
            shown = quote("{" + word + "}")
            return start, f"unknown placeholder {shown} in {name}; use {{side}} or {{other}}"
        if not allowed:
            return (
                start,
                f"{{{word}}} can only be used in an exercise's position, cautions and step lines",
            )
        if sides in ("none", "both"):
            return start, f"{{{word}}} needs sides: each or alternate"
        pos = close + 1


# --------------------------------------------------------------------------- the reader


class Reader:
    """Reads values from the nodes of one file, recording a problem for each bad one."""

    def __init__(self, problems: Problems, lines: Sequence[str]) -> None:
        self.problems = problems
        self.lines = lines  # the source lines, to point into a string's text
        self.visits = 0

    # ----- bookkeeping

    def add(self, node: Node | None, message: str) -> None:
        self.problems.at_mark(node.start_mark if node else None, message)

    def add_in_text(self, node: ScalarNode, text: str, index: int, message: str) -> None:
        """A problem at ``text[index]``, ``text`` being the (stripped) value of ``node``.

        The column points into the string when it is written on one line as it is read
        (no escapes, folding or extra spaces); otherwise at the start of the string.
        """
        start, end = node.start_mark, node.end_mark
        if start.line == end.line and start.line < len(self.lines) and text == node.value:
            raw = self.lines[start.line][start.column : end.column]
            inner = raw[1:-1] if node.style in ('"', "'") else raw
            if inner == text:
                offset = start.column + index + (len(raw) - len(inner)) // 2
                self.problems.add(start.line + 1, offset + 1, message)
                return
        self.add(node, message)

    def visit(self, node: Node) -> bool:
        """Count a node; False (with a problem) when it carries a tag matcue does not read."""
        self.visits += 1
        if self.visits > MAX_NODES:
            self.add(node, too_many_nodes())
            raise TooManyNodes
        if node.tag not in ALLOWED_TAGS:
            self.add(
                node,
                f"unsupported tag {show_tag(node.tag)}; routine files use plain YAML without tags",
            )
            return False
        return True

    # ----- fields

    def fields(self, node: MappingNode, where: str, allowed: Sequence[str]) -> Fields:
        """The known keys of a mapping; unknown, duplicate and odd keys become problems."""
        found: Fields = {}
        for key, value in node.value:
            if key.tag == MERGE:
                self.add(key, "merge keys ('<<') are not supported; write the keys out in full")
                continue
            if not self.visit(key):
                continue
            if not isinstance(key, ScalarNode) or key.tag == NULL:
                self.add(key, f"a key must be a word, got {got(key)} {where}")
                continue
            name = str(key.value)
            if name in found:
                first = found[name][0].start_mark.line + 1
                self.add(key, f"duplicate key {quote(name)} (first at line {first})")
            elif name not in allowed:
                self.add(key, f"unknown key {quote(name)} {where}{suggest(name, allowed)}")
            else:
                found[name] = (key, value)
        return found

    def require(self, found: Fields, node: Node, key: str, where: str) -> Node | None:
        if key in found:
            return found[key][1]
        self.add(node, f"missing required key '{key}' {where}")
        return None

    def optional(self, found: Fields, key: str, read: Callable[[Node], _V | None]) -> _V | None:
        return read(found[key][1]) if key in found else None

    # ----- values

    def text(
        self,
        node: Node,
        name: str,
        *,
        spoken: bool = True,
        sides: Sides | None = None,
        placeholders: bool = False,
    ) -> str | None:
        """A non-empty string; spoken lines are one line of at most MAX_SPOKEN characters
        with only valid placeholders."""
        if not self.visit(node):
            return None
        if not isinstance(node, ScalarNode) or node.tag not in TEXT_TAGS:
            hint = ""
            if isinstance(node, MappingNode) and any(
                isinstance(k, ScalarNode) and k.value in PLACEHOLDERS for k, _ in node.value
            ):
                hint = "; put text that starts with {side} or {other} in quotes"
            self.add(node, f"{name} must be text, got {got(node)}{hint}")
            return None
        text = str(node.value).strip()
        if spoken:
            text = " ".join(text.split())
        if not text:
            self.add(node, f"{name} must not be empty")
            return None
        control = next(
            (c for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n"), None
        )
        if control is not None:
            self.add(node, f"{name} contains the control character U+{ord(control):04X}")
            return None
        if spoken:
            if len(text) > MAX_SPOKEN:
                self.add(
                    node,
                    f"{name} is too long ({len(text)} characters); "
                    f"a spoken line may have at most {MAX_SPOKEN}",
                )
                return None
            problem = placeholder_problem(text, name, sides, placeholders)
            if problem:
                self.add_in_text(node, text, *problem)
                return None
        return text

    def texts(
        self,
        node: Node,
        name: str,
        item: str,
        example: str,
        *,
        sides: Sides | None = None,
        placeholders: bool = False,
    ) -> tuple[str, ...] | None:
        """A list of texts (``example`` shows one in the message when it is not a list)."""
        if not self.visit(node):
            return None
        if not isinstance(node, SequenceNode):
            self.add(node, f"{name} must be a list, like {example}, got {got(node)}")
            return None
        items = [self.text(n, item, sides=sides, placeholders=placeholders) for n in node.value]
        return tuple(t for t in items if t is not None)

    def whole(self, node: Node, name: str, low: int, high: int) -> int | None:
        if not self.visit(node):
            return None
        n = number(node) if isinstance(node, ScalarNode) else None
        if n is not None and math.isfinite(n) and n == int(n) and low <= n <= high:
            return int(n)
        self.add(node, f"{name} must be a whole number from {low} to {high}, got {got(node)}")
        return None

    def duration(self, node: Node, name: str, *, allow_zero: bool = False) -> float | None:
        if not self.visit(node):
            return None
        value: str | int | float | None = None
        if isinstance(node, ScalarNode):
            value = str(node.value) if node.tag == STR else number(node)
        if value is None:
            self.add(
                node,
                f"{name} must be a number of seconds or text like '90s', '2min' or '1min30s', "
                f"got {got(node)}",
            )
            return None
        try:
            return parse_duration(value, name=name, allow_zero=allow_zero)
        except ValueError as err:
            self.add(node, str(err))
            return None

    def choice(self, node: Node, name: str, choices: Sequence[str]) -> str | None:
        if not self.visit(node):
            return None
        if isinstance(node, ScalarNode) and node.tag == STR and node.value in choices:
            return str(node.value)
        hint = suggest(str(node.value), choices) if isinstance(node, ScalarNode) else ""
        self.add(node, f"{name} must be one of {one_of(choices)}, got {got(node)}{hint}")
        return None

    def mapping(self, node: Node, message: str, hint: str = "") -> MappingNode | None:
        """``node`` if it is a mapping, else None with ``message`` + ', got ...' + ``hint``."""
        if not self.visit(node):
            return None
        if isinstance(node, MappingNode):
            return node
        self.add(node, f"{message}, got {got(node)}{hint}")
        return None

    def sequence(self, node: Node, message: str) -> list[Node] | None:
        """The items of a non-empty list, else None with ``message`` + ', got ...'."""
        if not self.visit(node):
            return None
        if isinstance(node, SequenceNode) and node.value:
            return list(node.value)
        self.add(node, f"{message}, got {got(node)}")
        return None

    def percent(self, node: Node, name: str) -> float | None:
        """A percentage from 10 to 400 (a number, or text like '80%')."""
        if not self.visit(node):
            return None
        value: float | None = None
        if isinstance(node, ScalarNode):
            n = number(node)
            if n is not None:
                value = float(n)
            elif node.tag == STR and _PERCENT.fullmatch(node.value.strip()):
                value = float(node.value.strip().rstrip("%"))
        if value is not None and math.isfinite(value) and 10 <= value <= 400:
            return value
        self.add(node, f"{name} must be a percentage from 10 to 400, got {got(node)}")
        return None

    def breath(self, node: Node) -> Breath | None:
        """``"IN:OUT"`` or ``"IN:HOLD:OUT"`` in seconds, like ``"4:6"`` or ``"4:2:6"``."""
        if not self.visit(node):
            return None
        if isinstance(node, ScalarNode):
            try:
                return parse_breath(str(node.value))
            except ValueError:
                pass  # said below, showing the node as YAML holds it
        self.add(node, f"breath must be {BREATH_FORMS}, got {got(node)}")
        return None
