"""Load and validate routine files (format version 1), reporting every problem with its place.

The way through: the bytes of a file become text (``source.decode``), the text a tree of YAML
nodes (``source.compose``), the nodes a ``Routine`` (``checker.check``). Every problem is
collected on the way; if there is any, one ``RoutineError`` lists them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from matcue.errors import InputError
from matcue.routine.checker import check
from matcue.routine.model import Routine
from matcue.routine.problems import Problems, RoutineError
from matcue.routine.source import MAX_BYTES, compose, decode, too_large


def load_routine(path: str | Path, *, follow: bool = True) -> Routine:
    """Read and validate a routine file. Raises ``RoutineError`` listing every problem, or
    ``InputError`` when the file cannot be read. ``follow``: read the built-in routines its
    ``warmup:`` and ``cooldown:`` name (a warm-up's own cool-down is not followed)."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as err:
        reason = err.strerror or str(err)
        raise InputError(
            f"cannot read routine file {path}: {reason[:1].lower()}{reason[1:]}"
        ) from None
    routine = parse_routine_bytes(data, str(path), default_id=_id_from_name(p.stem), follow=follow)
    return replace(routine, path=p)


def parse_routine_bytes(
    data: bytes, filename: str, *, default_id: str | None = None, follow: bool = True
) -> Routine:
    """Like ``parse_routine`` for the raw bytes of a file (which must be UTF-8)."""
    return parse_routine(decode(data, filename), filename, default_id=default_id, follow=follow)


def parse_routine(
    text: str, filename: str, *, default_id: str | None = None, follow: bool = True
) -> Routine:
    """Validate routine ``text`` and build the ``Routine``.

    ``filename`` names the file in problems; ``default_id`` is the id when the file gives none
    (default: made from ``filename``'s stem). ``follow``: read the built-in routines that
    ``warmup:`` and ``cooldown:`` name (else they are only checked for their form). Raises
    ``RoutineError`` listing every problem.
    """
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        too_large(filename)
    text = text.removeprefix("\ufeff")
    problems = Problems(filename)
    root = compose(text, problems)
    routine = None
    if root is not None:
        if default_id is None:
            default_id = _id_from_name(Path(filename).stem)
        if follow:
            routine = check(root, default_id, problems, text.splitlines(), _builtin, _builtin_ids)
        else:
            routine = check(root, default_id, problems, text.splitlines())
    if problems or routine is None:
        raise RoutineError(problems.sorted(), text)
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


def _builtin(ident: str) -> Routine | None:
    """The built-in routine ``ident`` without its own warm-up and cool-down; None if there is
    none. Loaded once per version of its file."""
    from matcue.routine import library  # it loads routines with this module

    if ident not in library.builtin_ids():
        return None
    path = library.LIBRARY_DIR / f"{ident}.yaml"
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    found = _BUILTINS.get(key)
    if found is None:
        found = _BUILTINS[key] = load_routine(path, follow=False)
    return found


def _builtin_ids() -> list[str]:
    from matcue.routine import library

    return library.builtin_ids()


_BUILTINS: dict[tuple[str, int, int], Routine] = {}


def _id_from_name(stem: str) -> str:
    """A routine id from a file name: lower-case, other characters become '-'."""
    ident = re.sub(r"[^a-z0-9-]+", "-", stem.lower()).strip("-")
    return re.sub(r"-{2,}", "-", ident) or "routine"
