"""The built-in routines: YAML files shipped in the package folder ``matcue/library/``."""

from __future__ import annotations

import difflib
from importlib.resources import files
from pathlib import Path

from matcue.errors import InputError
from matcue.routine.loader import load_routine
from matcue.routine.model import Routine

LIBRARY_DIR: Path = Path(str(files("matcue").joinpath("library")))
"""The folder holding the built-in routine files, one ``ID.yaml`` each."""


def builtin_ids() -> list[str]:
    """The ids of the built-in routines (their file names without ``.yaml``), sorted."""
    if not LIBRARY_DIR.is_dir():
        return []
    return sorted(p.stem for p in LIBRARY_DIR.glob("*.yaml") if p.is_file())


def resolve(name_or_path: str) -> Path:
    """The routine file meant by a path or a built-in id.

    An existing file wins; then a built-in id. Raises ``InputError`` otherwise, with a
    suggestion when a built-in id is close.
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    if path.is_dir():
        raise InputError(f"{name_or_path} is a folder, not a routine file")
    ids = builtin_ids()
    if name_or_path in ids:
        return LIBRARY_DIR / f"{name_or_path}.yaml"
    hint = _closest(name_or_path, ids)
    suggestion = f" (did you mean '{hint}'?)" if hint else ""
    if len(path.parts) > 1 or path.suffix.lower() in (".yaml", ".yml"):
        raise InputError(
            f"there is no routine file {name_or_path}{suggestion}; give an existing file "
            "or a built-in id (run `matcue list` to see them)"
        )
    raise InputError(
        f"no routine named '{name_or_path}'{suggestion}; "
        "run `matcue list` to see the built-in routines"
    )


def _closest(name: str, ids: list[str]) -> str | None:
    """The built-in id closest to ``name``: a close spelling, else the only one it starts."""
    stem = Path(name).stem.lower()
    close = difflib.get_close_matches(stem, ids, n=1, cutoff=0.6)
    if close:
        return close[0]
    starting = [i for i in ids if stem and i.startswith(stem)]
    return starting[0] if len(starting) == 1 else None


def load_builtin_routines() -> list[Routine]:
    """Every built-in routine, loaded and validated, in id order."""
    return [load_routine(LIBRARY_DIR / f"{ident}.yaml") for ident in builtin_ids()]
