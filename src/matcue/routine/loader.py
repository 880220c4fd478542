"""Load and validate routine files (format version 1), reporting every problem with its place.

PyYAML's composer turns the text into a tree of nodes that know their line and column and
never become Python objects; this module walks that tree itself, so no tag is ever executed,
duplicate keys are caught, and every problem is collected before one ``RoutineError`` is raised.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import NoReturn, Protocol, TypeVar, cast

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from matcue.errors import InputError
from matcue.routine.durations import parse_duration, quote
from matcue.routine.model import (
    LEVELS,
    SIDES,
    STEP_KINDS,
    Breath,
    Exercise,
    Level,
    Routine,
    Sides,
    Stage,
    Step,
    StepKind,
    Timing,
)

MAX_BYTES = 1_000_000
"""A routine file may be at most this large (1 MB)."""
MAX_NODES = 100_000
"""At most this many YAML nodes are read, counting every use of an alias (stops alias bombs)."""
MAX_DEPTH = 50
"""At most this many nested lists and mappings (a routine needs about six)."""
MAX_SPOKEN = 300
"""The longest spoken line, in characters."""
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
)
PROGRESS_KEYS = ("about", "weeks")
STAGE_KEYS = ("reps", "sets", "hold")
MAX_WEEK = 104
STEP_KEYS = (*STEP_KINDS, "say", "for")
TIMING_KEYS = tuple(f.name for f in fields(Timing))
PLACEHOLDERS = ("side", "other")
_WRITE_PLACEHOLDERS = "placeholders are written {side} or {other}"

_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)
_T = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (f"{_T}{n}" for n in ("str", "int", "float", "bool", "null"))
_MERGE = f"{_T}merge"
_TEXT_TAGS = frozenset({_STR, _INT, _FLOAT, _BOOL, f"{_T}timestamp", f"{_T}value"})
_ALLOWED_TAGS = _TEXT_TAGS | {_NULL, f"{_T}map", f"{_T}seq"}
_CONSTRUCTOR = SafeConstructor()
_PAUSES = frozenset({"rest", "set_rest", "get_ready"})  # may be 0: the pause is left out

# Characters YAML does not allow in a document (plus a byte-order mark past the start).
_BAD_CHAR = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_ID = re.compile(r"[a-z0-9-]+")
_NUM = r"(?:\d+(?:\.\d+)?|\.\d+)"
_BREATH = re.compile(rf"({_NUM})\s*:\s*({_NUM})(?:\s*:\s*({_NUM}))?")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*")
_SNIPPET_WIDTH = 120
_CAUTIONS_EXAMPLE = "[Stop if it hurts.]"
_V = TypeVar("_V")


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a routine file, at a 1-based line and column."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class RoutineError(InputError):
    """A routine file has problems. ``str()`` is the first one; ``format()`` shows them all."""

    def __init__(self, problems: Sequence[Problem], source: str = "") -> None:
        if not problems:
            raise ValueError("a RoutineError needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        super().__init__(str(self.problems[0]))

    def format(self, limit: int = 20) -> str:
        """Every problem (up to ``limit``) with its source line and a caret under the column."""
        lines = self.source.splitlines()
        out: list[str] = []
        shown = self.problems[: max(limit, 0)]
        for problem in shown:
            out.append(str(problem))
            if 1 <= problem.line <= len(lines):
                out.extend(_snippet(lines[problem.line - 1], problem.line, problem.col))
            elif problem.line == len(lines) + 1 and self.source:  # at the end of the file
                out.extend(_snippet("", problem.line, problem.col))
        if len(self.problems) > len(shown):
            out.append(f"… and {len(self.problems) - len(shown)} more")
        return "\n".join(out)


def _snippet(text: str, line: int, col: int) -> list[str]:
    """The source line and a caret line under column ``col`` (1-based)."""
    caret = max(col - 1, 0)
    if len(text) > _SNIPPET_WIDTH:  # show a window around the caret
        start = max(0, min(caret - _SNIPPET_WIDTH // 2, len(text) - _SNIPPET_WIDTH))
        text = text[start : start + _SNIPPET_WIDTH]
        caret -= start
        if start > 0:
            text = "…" + text[1:]
    shown = "".join(c if c == "\t" or c.isprintable() else "?" for c in text)
    pad = "".join(c if c == "\t" else " " for c in shown[:caret])
    pad += " " * (caret - len(pad))
    return [f"{line:>5} | {shown}".rstrip(), f"{'':>5} | {pad}^"]


# --------------------------------------------------------------------------- public API


def load_routine(path: str | Path) -> Routine:
    """Read and validate a routine file. Raises ``RoutineError`` listing every problem, or
    ``InputError`` when the file cannot be read."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as err:
        reason = err.strerror or str(err)
        raise InputError(
            f"cannot read routine file {path}: {reason[:1].lower()}{reason[1:]}"
        ) from None
    routine = parse_routine_bytes(data, str(path), default_id=_id_from_name(p.stem))
    return replace(routine, path=p)


def parse_routine_bytes(data: bytes, filename: str, *, default_id: str | None = None) -> Routine:
    """Like ``parse_routine`` for the raw bytes of a file (which must be UTF-8)."""
    if len(data) > MAX_BYTES:
        _too_large(filename)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        before = data[: err.start]
        line_start = before.rfind(b"\n") + 1
        line = before.count(b"\n") + 1
        col = len(before[line_start:].decode("utf-8", "replace")) + 1
        message = f"the file is not UTF-8 text (byte 0x{data[err.start]:02x} cannot be read)"
        raise RoutineError(
            [Problem(filename, line, col, message)], data.decode("utf-8", "replace")
        ) from None
    return parse_routine(text, filename, default_id=default_id)


def parse_routine(text: str, filename: str, *, default_id: str | None = None) -> Routine:
    """Validate routine ``text`` and build the ``Routine``.

    ``filename`` names the file in problems; ``default_id`` is the id when the file gives none
    (default: made from ``filename``'s stem). Raises ``RoutineError`` listing every problem.
    """
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        _too_large(filename)
    text = text.removeprefix("\ufeff")
    checker = _Checker(filename)
    root = checker.compose(text)
    routine = None
    if root is not None:
        if default_id is None:
            default_id = _id_from_name(Path(filename).stem)
        with contextlib.suppress(_TooManyNodes):  # the checker recorded the problem
            routine = checker.routine(root, default_id)
    if checker.problems or routine is None:
        raise RoutineError(checker.sorted_problems(), text)
    return routine


def validate_files(paths: Iterable[str | Path]) -> list[RoutineError]:
    """Load every file; return the errors of those that have problems (in order).

    A file that cannot be read at all still raises ``InputError``.
    """
    errors: list[RoutineError] = []
    for path in paths:
        try:
            load_routine(path)
        except RoutineError as err:
            errors.append(err)
    return errors


def _too_large(filename: str) -> NoReturn:
    message = f"the file is larger than {MAX_BYTES // 1_000_000} MB; a routine file must be smaller"
    raise RoutineError([Problem(filename, 1, 1, message)])


def _id_from_name(stem: str) -> str:
    """A routine id from a file name: lower-case, other characters become '-'."""
    ident = re.sub(r"[^a-z0-9-]+", "-", stem.lower()).strip("-")
    return re.sub(r"-{2,}", "-", ident) or "routine"


# --------------------------------------------------------------------------- describing values


def _got(node: Node) -> str:
    """What a node holds, for 'X must be ..., got Y'."""
    if isinstance(node, MappingNode):
        return "a mapping" if node.value else "an empty mapping"
    if isinstance(node, SequenceNode):
        return "a list" if node.value else "an empty list"
    value = str(node.value)
    if node.tag == _NULL:
        return "nothing"
    if node.tag in (_INT, _FLOAT) and isinstance(node, ScalarNode) and not node.style:
        return value if len(value) <= 20 else value[:19] + "…"
    return quote(value)


def _show_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_T) if tag.startswith(_T) else tag


def _suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _one_of(choices: Sequence[str]) -> str:
    return ", ".join(choices[:-1]) + " or " + choices[-1]


def _number(node: ScalarNode) -> int | float | None:
    """The number a plain YAML int or float scalar stands for; None for anything else."""
    try:
        if node.tag == _INT:
            return _CONSTRUCTOR.construct_yaml_int(node)
        if node.tag == _FLOAT:
            return _CONSTRUCTOR.construct_yaml_float(node)
    except (ValueError, TypeError):
        return None
    return None


def _placeholder_problem(
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


# --------------------------------------------------------------------------- the checker


class _Mark(Protocol):
    """A place in the text, as PyYAML (pure or C) reports it: 0-based line and column."""

    line: int
    column: int


class _TooManyNodes(Exception):
    """Raised inside the checker once MAX_NODES nodes were read; the problem is recorded."""


_Fields = dict[str, tuple[ScalarNode, Node]]


class _Checker:
    """Walks the node tree, recording problems and building the model from what is valid."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []
        self.lines: list[str] = []
        self.visits = 0

    # ----- bookkeeping

    def add(self, node: Node | None, message: str) -> None:
        line, col = (node.start_mark.line + 1, node.start_mark.column + 1) if node else (1, 1)
        self.problems.append(Problem(self.filename, line, col, message))

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
                self.problems.append(Problem(self.filename, start.line + 1, offset + 1, message))
                return
        self.add(node, message)

    def sorted_problems(self) -> list[Problem]:
        unique = dict.fromkeys(self.problems)  # an aliased node can be reached twice
        return sorted(unique, key=lambda p: (p.line, p.col))

    def visit(self, node: Node) -> bool:
        """Count a node; False (with a problem) when it carries a tag matcue does not read."""
        self.visits += 1
        if self.visits > MAX_NODES:
            self.add(node, _too_many_nodes())
            raise _TooManyNodes
        if node.tag not in _ALLOWED_TAGS:
            self.add(
                node,
                f"unsupported tag {_show_tag(node.tag)}; routine files use plain YAML without tags",
            )
            return False
        return True

    # ----- YAML

    def compose(self, text: str) -> Node | None:
        """The document's root node, or None (with a problem) when the text is not YAML."""
        self.lines = text.splitlines()
        bad = _BAD_CHAR.search(text)
        if bad:
            self.add_at(
                text,
                bad.start(),
                f"character U+{ord(bad.group()):04X} is not allowed in a routine file",
            )
            return None
        try:
            if not self._shape_ok(text):
                return None
            root = yaml.compose(text, Loader=_LOADER)
        except yaml.MarkedYAMLError as err:
            self._yaml_problem(text, err)
            return None
        except yaml.YAMLError as err:  # a reader error; the character check above should catch it
            self.add(None, f"the file is not valid YAML: {err}")
            return None
        if root is None:
            self.add(None, "the file is empty; a routine starts with 'matcue: 1'")
        return root

    def add_at(self, text: str, index: int, message: str) -> None:
        """A problem at character ``index`` of ``text``."""
        lines = (text[:index] + "x").splitlines()  # the "x" stands for the character itself
        self.problems.append(Problem(self.filename, len(lines), len(lines[-1]), message))

    def _shape_ok(self, text: str) -> bool:
        """Bound nesting depth and size before composing (the C composer recurses).

        libyaml's scanner reads ahead of the events counted here, and may stop first at a limit
        of its own, in its own words and at its own column (PyYAML 6.0.4: nesting deeper than
        1,000 levels). Then the text up to that line is counted again by PyYAML's pure-Python
        parser, which reads only as far as it must: a file nested deeper than matcue allows gets
        matcue's problem, at the same place as with that parser alone; any other error stays
        libyaml's.
        """
        try:
            return self._count_shape(text, _LOADER)
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            if _LOADER is yaml.SafeLoader or mark is None:
                raise
            if self._shape_fails_before(text, mark.line):
                return False
            raise

    def _shape_fails_before(self, text: str, line: int) -> bool:
        """True (with the problem) if the text up to 0-based ``line`` is too deep or too large."""
        head = "".join(text.splitlines(keepends=True)[: line + 1])
        try:
            return not self._count_shape(head, yaml.SafeLoader)
        except yaml.YAMLError:  # the head ends mid-document, or breaks before any limit
            return False

    def _count_shape(
        self, text: str, loader_class: type[yaml.SafeLoader] | type[yaml.CSafeLoader]
    ) -> bool:
        depth = count = 0
        for event in yaml.parse(text, Loader=loader_class):
            if isinstance(event, yaml.NodeEvent):
                count += 1
                if count > MAX_NODES:
                    self._add_mark(event.start_mark, _too_many_nodes())
                    return False
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    self._add_mark(
                        event.start_mark,
                        f"the file nests lists and mappings more than {MAX_DEPTH} levels deep",
                    )
                    return False
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return True

    def _add_mark(self, mark: _Mark | None, message: str) -> None:
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        self.problems.append(Problem(self.filename, line, col, message))

    def _yaml_problem(self, text: str, err: yaml.MarkedYAMLError) -> None:
        """One problem for a YAML syntax error, in plain words where matcue knows better."""
        mark = err.problem_mark or err.context_mark
        lines = text.splitlines()
        if mark is not None and mark.line < len(lines):
            source_line = lines[mark.line]
            indent = source_line[: len(source_line) - len(source_line.lstrip(" \t"))]
            if "\t" in indent:
                message = "a tab character indents this line; YAML indents with spaces only"
                self.problems.append(
                    Problem(self.filename, mark.line + 1, indent.index("\t") + 1, message)
                )
                return
            if source_line[mark.column : mark.column + 1] == "\t":
                self._add_mark(mark, "a tab character is not allowed here; use spaces")
                return
        if mark is not None and _indented_too_far(lines, mark.line, err):
            line = lines[mark.line]
            message = (
                "this line is indented further than the key above it, which already has a "
                "value; keys of one mapping start in the same column"
            )
            self.problems.append(
                Problem(self.filename, mark.line + 1, len(line) - len(line.lstrip()) + 1, message)
            )
            return
        if (
            isinstance(err, yaml.scanner.ScannerError)
            and mark is not None
            and lines[mark.line : mark.line + 1]
            and lines[mark.line][mark.column : mark.column + 1] == ":"
        ):  # PyYAML's and libyaml's words differ ("mapping values are not allowed here", ...)
            message = (
                "a colon and a space here would start another key inside a value; "
                "put text that holds ': ' in quotes"
            )
            self._add_mark(mark, message)
            return
        if err.context == "expected a single document in the stream":
            message = "the file holds more than one YAML document; a routine is a single one"
            self._add_mark(mark, message)
            return
        message = f"invalid YAML: {err.problem or err.context or 'the file cannot be read'}"
        if err.problem and err.context:
            where = err.context_mark
            started = f" started at line {where.line + 1}" if where else ""
            message += f" ({err.context}{started})"
        near = lines[max(mark.line - 1, 0) : mark.line + 1] if mark else []
        if any(f"{{{word}}}" in line for line in near for word in PLACEHOLDERS):
            message += "; put text with {side} or {other} in quotes"
        self._add_mark(mark, message)

    # ----- fields

    def fields(self, node: MappingNode, where: str, allowed: Sequence[str]) -> _Fields:
        """The known keys of a mapping; unknown, duplicate and odd keys become problems."""
        found: _Fields = {}
        for key, value in node.value:
            if key.tag == _MERGE:
                self.add(key, "merge keys ('<<') are not supported; write the keys out in full")
                continue
            if not self.visit(key):
                continue
            if not isinstance(key, ScalarNode) or key.tag == _NULL:
                self.add(key, f"a key must be a word, got {_got(key)} {where}")
                continue
            name = str(key.value)
            if name in found:
                first = found[name][0].start_mark.line + 1
                self.add(key, f"duplicate key {quote(name)} (first at line {first})")
            elif name not in allowed:
                self.add(key, f"unknown key {quote(name)} {where}{_suggest(name, allowed)}")
            else:
                found[name] = (key, value)
        return found

    def require(self, found: _Fields, node: Node, key: str, where: str) -> Node | None:
        if key in found:
            return found[key][1]
        self.add(node, f"missing required key '{key}' {where}")
        return None

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
        if not isinstance(node, ScalarNode) or node.tag not in _TEXT_TAGS:
            hint = ""
            if isinstance(node, MappingNode) and any(
                isinstance(k, ScalarNode) and k.value in PLACEHOLDERS for k, _ in node.value
            ):
                hint = "; put text that starts with {side} or {other} in quotes"
            self.add(node, f"{name} must be text, got {_got(node)}{hint}")
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
            problem = _placeholder_problem(text, name, sides, placeholders)
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
            self.add(node, f"{name} must be a list, like {example}, got {_got(node)}")
            return None
        items = [self.text(n, item, sides=sides, placeholders=placeholders) for n in node.value]
        return tuple(t for t in items if t is not None)

    def whole(self, node: Node, name: str, low: int, high: int) -> int | None:
        if not self.visit(node):
            return None
        n = _number(node) if isinstance(node, ScalarNode) else None
        if n is not None and math.isfinite(n) and n == int(n) and low <= n <= high:
            return int(n)
        self.add(node, f"{name} must be a whole number from {low} to {high}, got {_got(node)}")
        return None

    def duration(self, node: Node, name: str, *, allow_zero: bool = False) -> float | None:
        if not self.visit(node):
            return None
        value: str | int | float | None = None
        if isinstance(node, ScalarNode):
            value = str(node.value) if node.tag == _STR else _number(node)
        if value is None:
            self.add(
                node,
                f"{name} must be a number of seconds or text like '90s', '2min' or '1min30s', "
                f"got {_got(node)}",
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
        if isinstance(node, ScalarNode) and node.tag == _STR and node.value in choices:
            return str(node.value)
        hint = _suggest(str(node.value), choices) if isinstance(node, ScalarNode) else ""
        self.add(node, f"{name} must be one of {_one_of(choices)}, got {_got(node)}{hint}")
        return None

    def mapping(self, node: Node, message: str, hint: str = "") -> MappingNode | None:
        """``node`` if it is a mapping, else None with ``message`` + ', got ...' + ``hint``."""
        if not self.visit(node):
            return None
        if isinstance(node, MappingNode):
            return node
        self.add(node, f"{message}, got {_got(node)}{hint}")
        return None

    def sequence(self, node: Node, message: str) -> list[Node] | None:
        """The items of a non-empty list, else None with ``message`` + ', got ...'."""
        if not self.visit(node):
            return None
        if isinstance(node, SequenceNode) and node.value:
            return list(node.value)
        self.add(node, f"{message}, got {_got(node)}")
        return None

    # ----- the routine

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
            if value is not None and not _ID.fullmatch(value):
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
                language = value.lower().replace("_", "-")
                if not _LANGUAGE.fullmatch(language):
                    self.add(
                        node,
                        "language must be a short language code like 'en', 'pl' or 'en-gb', "
                        f"got {quote(value)}",
                    )
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
            exercises.append(self.exercise(item, defaults))

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
        )

    def optional(self, found: _Fields, key: str, read: Callable[[Node], _V | None]) -> _V | None:
        return read(found[key][1]) if key in found else None

    def version(self, top: MappingNode) -> bool:
        """Check ``matcue: 1``; False (stop reading) when the file is another version."""
        for key, value in top.value:
            if isinstance(key, ScalarNode) and key.value == "matcue":
                if not self.visit(value):
                    return True
                if isinstance(value, ScalarNode) and (
                    _number(value) == FORMAT_VERSION or value.value.strip() == "1"
                ):
                    return True
                if isinstance(value, ScalarNode) and value.tag in (_INT, _FLOAT):
                    self.add(
                        value,
                        f"unsupported format version {_got(value)}; "
                        f"this matcue reads version {FORMAT_VERSION}",
                    )
                    return False
                self.add(value, f"matcue must be the format version 1, got {_got(value)}")
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

    def exercise(self, node: Node, defaults: Timing) -> Exercise | None:
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
        )

    def percent(self, node: Node, name: str) -> float | None:
        """A percentage from 10 to 400 (a number, or text like '80%')."""
        if not self.visit(node):
            return None
        value: float | None = None
        if isinstance(node, ScalarNode):
            number = _number(node)
            if number is not None:
                value = float(number)
            elif node.tag == _STR and re.fullmatch(rf"{_NUM}\s*%", node.value.strip()):
                value = float(node.value.strip().rstrip("%"))
        if value is not None and math.isfinite(value) and 10 <= value <= 400:
            return value
        self.add(node, f"{name} must be a percentage from 10 to 400, got {_got(node)}")
        return None

    def breath(self, node: Node) -> Breath | None:
        """``"IN:OUT"`` or ``"IN:HOLD:OUT"`` in seconds, like ``"4:6"`` or ``"4:2:6"``."""
        if not self.visit(node):
            return None
        found = _BREATH.fullmatch(str(node.value).strip()) if isinstance(node, ScalarNode) else None
        if found is not None:
            first, second, third = found.groups()
            inhale, hold, exhale = (
                (first, second, third) if third is not None else (first, "0", second)
            )
            parts = float(inhale), float(hold), float(exhale)
            if 0 < parts[0] <= 60 and 0 <= parts[1] <= 60 and 0 < parts[2] <= 60:
                return Breath(inhale=parts[0], exhale=parts[2], hold=parts[1])
        self.add(
            node,
            "breath must be seconds in and out like '4:6', or in, hold and out like '4:2:6' "
            f"(each at most 60), got {_got(node)}",
        )
        return None

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
            week = _number(key) if isinstance(key, ScalarNode) else None
            if week is None or not 2 <= week <= MAX_WEEK or week != int(week):
                self.add(
                    key,
                    f"a week must be a whole number from 2 to {MAX_WEEK} (week 1 is the "
                    f"exercise as written), got {_got(key)}",
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
                self.add(mapping, f"a step needs one of {_one_of(STEP_KINDS)}")
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
        if kind in ("inhale", "exhale") and isinstance(value, ScalarNode) and value.tag == _NULL:
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
        if not ok:
            return None
        return Step(kind=kind, text=text, seconds=seconds, cycles=cycles, say=say)


def _indented_too_far(lines: Sequence[str], index: int, err: yaml.MarkedYAMLError) -> bool:
    """Whether a YAML error is a key indented under a key that already holds a value."""
    if not (err.problem or "").startswith("mapping values are not allowed"):
        return False
    line = lines[index] if index < len(lines) else ""
    above = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), None)
    if above is None or not line.strip() or line.lstrip().startswith("#"):
        return False
    indent, above_indent = len(line) - len(line.lstrip()), len(above) - len(above.lstrip())
    key, _, value = above.strip().removeprefix("- ").partition(":")
    return indent > above_indent and bool(key) and bool(value.strip())


def _too_many_nodes() -> str:
    return (
        f"the file has more than {MAX_NODES} YAML nodes (counting each use of an alias); "
        "a routine needs far fewer"
    )
