"""matcue's own temporary files left behind by a process that was killed (``kill -9``, a power
cut), found and removed by a later export or cache write.

Every temporary file matcue writes carries the id of the process that owns it in its name
(``.NAME.<pid>-<hex>.part`` beside an export, ``.KEY.<pid>.<hex>.tmp`` in the caches). One is
stale when no process of that id is running and it has not changed for :data:`QUIET` seconds;
a live process's temporary file is never removed. An export's temporary file of an older
version (``.NAME.<hex>.part``, no owner in its name) is stale after :data:`ORPHAN_AGE`.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path

QUIET = 60.0  # seconds a dead process's temporary file must be unchanged
ORPHAN_AGE = 24 * 3600.0  # seconds, for an export's temporary file with no owner in its name

PART = re.compile(r"\.(?P<name>.+)\.(?:(?P<pid>\d+)-)?[0-9a-f]{8}\.part")
TMP = re.compile(r"\..+\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp")


def running(pid: int) -> bool:
    """Whether a process ``pid`` exists (one of another user's counts as running)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def stale(path: Path, pattern: re.Pattern[str], now: float | None = None) -> bool:
    """Whether ``path`` is matcue's temporary file (by ``pattern``) that no live process owns."""
    match = pattern.fullmatch(path.name)
    if match is None:
        return False
    try:
        info = path.lstat()
    except OSError:
        return False
    if not os.path.isfile(path) or os.path.islink(path):
        return False
    age = (time.time() if now is None else now) - info.st_mtime
    owner = match.groupdict().get("pid")
    if owner is None:
        return age >= ORPHAN_AGE
    return age >= QUIET and not running(int(owner))


def sweep(candidates: Iterable[Path], pattern: re.Pattern[str]) -> list[Path]:
    """Remove the stale temporary files among ``candidates``; the ones removed. Best effort:
    a file that cannot be removed (or is gone already) is left to the next sweep."""
    removed = []
    now = time.time()
    with contextlib.suppress(OSError):
        for path in candidates:
            if stale(path, pattern, now):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
    return removed


def sweep_folder(folder: Path, pattern: re.Pattern[str], glob: str) -> list[Path]:
    """:func:`sweep` over ``folder.glob(glob)`` (nothing when the folder cannot be listed)."""
    try:
        return sweep(folder.glob(glob), pattern)
    except OSError:
        return []
