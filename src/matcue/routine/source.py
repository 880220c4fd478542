"""The YAML source of a routine file: its text, read safely into nodes that know their place.

PyYAML's composer turns the text into a tree of nodes that know their line and column and
never become Python objects, so no tag is ever executed. Before that, the text's characters,
size and nesting depth are bounded (libyaml's composer recurses). A YAML syntax error becomes
one problem, in matcue's words where matcue knows better than libyaml's or PyYAML's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NoReturn

import yaml
from yaml.nodes import Node

from matcue.routine.model import PLACEHOLDERS
from matcue.routine.problems import Problem, Problems, RoutineError

MAX_BYTES = 1_000_000
"""A routine file may be at most this large (1 MB)."""
MAX_NODES = 100_000
"""At most this many YAML nodes are read, counting every use of an alias (stops alias bombs)."""
MAX_DEPTH = 50
"""At most this many nested lists and mappings (a routine needs about six)."""

_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)
"""libyaml's parser where PyYAML has it, else PyYAML's own (tests and the fuzzer swap it)."""

TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = (f"{TAG}{n}" for n in ("str", "int", "float", "bool", "null"))
MERGE = f"{TAG}merge"
TEXT_TAGS = frozenset({STR, INT, FLOAT, BOOL, f"{TAG}timestamp", f"{TAG}value"})
"""The tags of plain scalars that can be read as text."""
ALLOWED_TAGS = TEXT_TAGS | {NULL, f"{TAG}map", f"{TAG}seq"}

# Characters YAML does not allow in a document (plus a byte-order mark past the start).
_BAD_CHAR = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


class TooManyNodes(Exception):
    """Raised once MAX_NODES nodes were read; the problem is already recorded."""


def too_many_nodes() -> str:
    """The problem of a file with more than MAX_NODES nodes."""
    return (
        f"the file has more than {MAX_NODES} YAML nodes (counting each use of an alias); "
        "a routine needs far fewer"
    )


def too_large(filename: str) -> NoReturn:
    """Raise the problem of a file larger than MAX_BYTES."""
    message = f"the file is larger than {MAX_BYTES // 1_000_000} MB; a routine file must be smaller"
    raise RoutineError([Problem(filename, 1, 1, message)])


def decode(data: bytes, filename: str) -> str:
    """The text of a file's bytes, which must be UTF-8 and at most MAX_BYTES."""
    if len(data) > MAX_BYTES:
        too_large(filename)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        before = data[: err.start]
        line_start = before.rfind(b"\n") + 1
        line = before.count(b"\n") + 1
        col = len(before[line_start:].decode("utf-8", "replace")) + 1
        message = f"the file is not UTF-8 text (byte 0x{data[err.start]:02x} cannot be read)"
        raise RoutineError(
            [Problem(filename, line, col, message)], data.decode("utf-8", "replace")
        ) from None


def show_tag(tag: str) -> str:
    """A tag as it is written in YAML: ``!!str``, ``!custom``."""
    return "!!" + tag.removeprefix(TAG) if tag.startswith(TAG) else tag


def compose(text: str, problems: Problems) -> Node | None:
    """The document's root node, or None (with a problem) when the text is not YAML."""
    bad = _BAD_CHAR.search(text)
    if bad:
        problems.at_index(
            text,
            bad.start(),
            f"character U+{ord(bad.group()):04X} is not allowed in a routine file",
        )
        return None
    try:
        if not _shape_ok(text, problems):
            return None
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as err:
        _yaml_problem(text, err, problems)
        return None
    except yaml.YAMLError as err:  # a reader error; the character check above should catch it
        problems.add(1, 1, f"the file is not valid YAML: {err}")
        return None
    if root is None:
        problems.add(1, 1, "the file is empty; a routine starts with 'matcue: 1'")
    return root


# --------------------------------------------------------------------------- depth and size


def _shape_ok(text: str, problems: Problems) -> bool:
    """Bound nesting depth and size before composing (the C composer recurses).

    libyaml's scanner reads ahead of the events counted here, and may stop first at a limit
    of its own, in its own words and at its own column (PyYAML 6.0.4: nesting deeper than
    1,000 levels). Then the text up to that line is counted again by PyYAML's pure-Python
    parser, which reads only as far as it must: a file nested deeper than matcue allows gets
    matcue's problem, at the same place as with that parser alone; any other error stays
    libyaml's.
    """
    try:
        return _count_shape(text, _LOADER, problems)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        if _LOADER is yaml.SafeLoader or mark is None:
            raise
        if _shape_fails_before(text, mark.line, problems):
            return False
        raise


def _shape_fails_before(text: str, line: int, problems: Problems) -> bool:
    """True (with the problem) if the text up to 0-based ``line`` is too deep or too large."""
    head = "".join(text.splitlines(keepends=True)[: line + 1])
    try:
        return not _count_shape(head, yaml.SafeLoader, problems)
    except yaml.YAMLError:  # the head ends mid-document, or breaks before any limit
        return False


def _count_shape(
    text: str, loader_class: type[yaml.SafeLoader] | type[yaml.CSafeLoader], problems: Problems
) -> bool:
    depth = count = 0
    for event in yaml.parse(text, Loader=loader_class):
        if isinstance(event, yaml.NodeEvent):
            count += 1
            if count > MAX_NODES:
                problems.at_mark(event.start_mark, too_many_nodes())
                return False
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                problems.at_mark(
                    event.start_mark,
                    f"the file nests lists and mappings more than {MAX_DEPTH} levels deep",
                )
                return False
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return True


# --------------------------------------------------------------------------- syntax errors


def _yaml_problem(text: str, err: yaml.MarkedYAMLError, problems: Problems) -> None:
    """One problem for a YAML syntax error, in plain words where matcue knows better."""
    mark = err.problem_mark or err.context_mark
    lines = text.splitlines()
    if mark is not None and mark.line < len(lines):
        source_line = lines[mark.line]
        indent = source_line[: len(source_line) - len(source_line.lstrip(" \t"))]
        if "\t" in indent:
            message = "a tab character indents this line; YAML indents with spaces only"
            problems.add(mark.line + 1, indent.index("\t") + 1, message)
            return
        if source_line[mark.column : mark.column + 1] == "\t":
            problems.at_mark(mark, "a tab character is not allowed here; use spaces")
            return
    if mark is not None and _indented_too_far(lines, mark.line, err):
        line = lines[mark.line]
        message = (
            "this line is indented further than the key above it, which already has a "
            "value; keys of one mapping start in the same column"
        )
        problems.add(mark.line + 1, len(line) - len(line.lstrip()) + 1, message)
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
        problems.at_mark(mark, message)
        return
    if err.context == "expected a single document in the stream":
        message = "the file holds more than one YAML document; a routine is a single one"
        problems.at_mark(mark, message)
        return
    message = f"invalid YAML: {err.problem or err.context or 'the file cannot be read'}"
    if err.problem and err.context:
        where = err.context_mark
        started = f" started at line {where.line + 1}" if where else ""
        message += f" ({err.context}{started})"
    near = lines[max(mark.line - 1, 0) : mark.line + 1] if mark else []
    if any(f"{{{word}}}" in line for line in near for word in PLACEHOLDERS):
        message += "; put text with {side} or {other} in quotes"
    problems.at_mark(mark, message)


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
