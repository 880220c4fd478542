"""Problems in a routine file: each at a line and column, shown with its source line and a caret.

Like sqlglot's ``errors.py``: a ``Problem`` is one sentence at a 1-based place; a ``Problems``
list collects them while a file is read; one ``RoutineError`` carries them all, ``str()`` being
the first and ``format()`` every one (up to a limit, then "… and N more").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from matcue.errors import InputError

SNIPPET_WIDTH = 120
"""A longer source line is shown as a window of this many characters around the caret."""


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
                out.extend(snippet(lines[problem.line - 1], problem.line, problem.col))
            elif problem.line == len(lines) + 1 and self.source:  # at the end of the file
                out.extend(snippet("", problem.line, problem.col))
        if len(self.problems) > len(shown):
            out.append(f"… and {len(self.problems) - len(shown)} more")
        return "\n".join(out)


def snippet(text: str, line: int, col: int) -> list[str]:
    """The source line and a caret line under column ``col`` (1-based)."""
    caret = max(col - 1, 0)
    if len(text) > SNIPPET_WIDTH:  # show a window around the caret
        start = max(0, min(caret - SNIPPET_WIDTH // 2, len(text) - SNIPPET_WIDTH))
        text = text[start : start + SNIPPET_WIDTH]
        caret -= start
        if start > 0:
            text = "…" + text[1:]
    shown = "".join(c if c == "\t" or c.isprintable() else "?" for c in text)
    pad = "".join(c if c == "\t" else " " for c in shown[:caret])
    pad += " " * (caret - len(pad))
    return [f"{line:>5} | {shown}".rstrip(), f"{'':>5} | {pad}^"]


def quote(text: str, limit: int = 40) -> str:
    """``text`` in single quotes for a message: control characters escaped, long text cut."""
    shown = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return f"'{shown}'"


class Mark(Protocol):
    """A place in the text, as PyYAML (pure or C) reports it: 0-based line and column."""

    line: int
    column: int


class Problems:
    """The problems found so far in one file, in the order they were found."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.found: list[Problem] = []

    def __len__(self) -> int:
        return len(self.found)

    def add(self, line: int, col: int, message: str) -> None:
        """A problem at 1-based ``line`` and ``col``."""
        self.found.append(Problem(self.filename, line, col, message))

    def at_mark(self, mark: Mark | None, message: str) -> None:
        """A problem at a 0-based mark (at the start of the file when there is none)."""
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        self.add(line, col, message)

    def at_index(self, text: str, index: int, message: str) -> None:
        """A problem at character ``index`` of ``text``."""
        lines = (text[:index] + "x").splitlines()  # the "x" stands for the character itself
        self.add(len(lines), len(lines[-1]), message)

    def sorted(self) -> list[Problem]:
        """Each problem once (an aliased node can be reached twice), by line and column."""
        unique = dict.fromkeys(self.found)
        return sorted(unique, key=lambda p: (p.line, p.col))
