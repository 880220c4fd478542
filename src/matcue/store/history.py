"""The session history and resume points: one SQLite database in the user data folder.

Every function takes the database's path (:attr:`matcue.store.paths.Folders.history`:
``history.sqlite3`` in ``$MATCUE_DATA_DIR``, else in platformdirs' user data folder for
matcue). A locked, unwritable or broken database never stops a session: every write here raises
``HistoryError``, which the player turns into one warning line.
"""

from __future__ import annotations

import datetime
import math
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcue.errors import RuntimeFailure
from matcue.playback.transport import Ending

TIMEOUT = 0.5  # seconds a read waits for a lock (a session never waits long to start)
WRITE_TIMEOUT = 8.0  # seconds the end-of-session write retries a locked database

ENDINGS: dict[str, str] = {
    "finished": "finished",
    "quit": "quit",
    "pain": "pain stop",
    "interrupted": "interrupted",
}

SCHEMA_VERSION = 1  # PRAGMA user_version of the layout below

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    routine TEXT NOT NULL,
    title TEXT NOT NULL,
    started TEXT NOT NULL,
    ended TEXT NOT NULL,
    pace REAL NOT NULL,
    exercises INTEGER NOT NULL,
    reps INTEGER NOT NULL,
    ending TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS resume (
    routine TEXT PRIMARY KEY,
    exercise INTEGER NOT NULL,
    pace REAL NOT NULL,
    saved TEXT NOT NULL
);
"""

# A column an older layout may lack, as ALTER TABLE adds it (a key column cannot be added: a
# table without one is set aside).
_ADDED: dict[str, dict[str, str]] = {
    "sessions": {
        "routine": "TEXT NOT NULL DEFAULT ''",
        "title": "TEXT NOT NULL DEFAULT ''",
        "started": "TEXT NOT NULL DEFAULT ''",
        "ended": "TEXT NOT NULL DEFAULT ''",
        "pace": "REAL NOT NULL DEFAULT 100",
        "exercises": "INTEGER NOT NULL DEFAULT 0",
        "reps": "INTEGER NOT NULL DEFAULT 0",
        "ending": "TEXT NOT NULL DEFAULT 'interrupted'",
    },
    "resume": {
        "exercise": "INTEGER NOT NULL DEFAULT 0",
        "pace": "REAL NOT NULL DEFAULT 100",
        "saved": "TEXT NOT NULL DEFAULT ''",
    },
}
_KEYS = {"sessions": "id", "resume": "routine"}

Warn = Callable[[str], object]


class HistoryError(RuntimeFailure):
    """The history database cannot be read or written."""


@dataclass(frozen=True)
class SessionRecord:
    routine: str
    title: str
    started: datetime.datetime  # aware, UTC
    ended: datetime.datetime
    pace: float
    exercises: int  # exercises completed
    reps: int  # reps completed
    ending: Ending

    def to_json(self) -> dict[str, Any]:
        return {
            "routine": self.routine,
            "title": self.title,
            "started": self.started.isoformat(timespec="seconds"),
            "ended": self.ended.isoformat(timespec="seconds"),
            "pace": self.pace,
            "exercises": self.exercises,
            "reps": self.reps,
            "ending": self.ending,
        }


@contextmanager
def _connect(
    path: Path, create: bool = True, timeout: float = TIMEOUT, warn: Warn | None = None
) -> Iterator[sqlite3.Connection]:
    try:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.exists():
            raise HistoryError(f"no history yet at {path}")
        with closing(sqlite3.connect(path, timeout=timeout)) as db:
            _migrate(db, path, warn)
            with db:
                yield db
    except sqlite3.Error as err:
        raise HistoryError(f"the session history at {path} cannot be used: {err}") from err
    except OSError as err:
        reason = err.strerror or str(err)
        raise HistoryError(f"the session history at {path} cannot be used: {reason}") from err


def _migrate(db: sqlite3.Connection, path: Path, warn: Warn | None) -> None:
    """Bring the database to ``SCHEMA_VERSION``: the tables made, an older table's missing
    columns added, a table that cannot be brought up to date renamed aside (with a warning).
    A database of this version is only read; a newer version's is left as it is. A database
    that cannot be written now (read-only, locked) is left too: reading it may still work."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if int(version) >= SCHEMA_VERSION:
        return
    notes = []
    try:
        with db:
            for table, added in _ADDED.items():
                have = {str(row[1]) for row in db.execute(f"PRAGMA table_info({table})")}
                if not have:
                    continue  # made below
                if _KEYS[table] not in have:
                    aside = _set_aside(db, table)
                    notes.append(
                        f"the session history at {path} had a {table} table of a layout matcue "
                        f"cannot use; it is kept as {aside} and a new one is started"
                    )
                    continue
                for column, kind in added.items():
                    if column not in have:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            db.executescript(_SCHEMA)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except sqlite3.OperationalError:
        return  # read-only or locked: what can be read is read; a write says why it fails
    for note in notes:
        if warn is not None:
            warn(note)


def _set_aside(db: sqlite3.Connection, table: str) -> str:
    names = {str(row[0]) for row in db.execute("SELECT name FROM sqlite_master")}
    n = 1
    while f"{table}_set_aside_{n}" in names:
        n += 1
    aside = f"{table}_set_aside_{n}"
    db.execute(f"ALTER TABLE {table} RENAME TO {aside}")
    return aside


def _write(path: Path, sql: str, args: tuple[object, ...], warn: Warn | None) -> None:
    """One statement in its own transaction; a locked database is retried for
    ``WRITE_TIMEOUT`` seconds (the session is over: nothing waits on it)."""
    deadline = time.monotonic() + WRITE_TIMEOUT
    while True:
        try:
            left = max(0.1, deadline - time.monotonic())
            with _connect(path, timeout=left, warn=warn) as db:
                db.execute(sql, args)
            return
        except HistoryError as err:
            locked = isinstance(err.__cause__, sqlite3.OperationalError) and "locked" in str(
                err.__cause__
            )
            if not locked or time.monotonic() >= deadline:
                raise
            time.sleep(0.1)


def record(session: SessionRecord, path: Path, warn: Warn | None = None) -> None:
    _write(
        path,
        "INSERT INTO sessions (routine, title, started, ended, pace, exercises, reps, ending)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            session.routine,
            session.title,
            session.started.isoformat(),
            session.ended.isoformat(),
            session.pace,
            session.exercises,
            session.reps,
            session.ending,
        ),
        warn,
    )


def _when(value: object) -> datetime.datetime:
    """An aware time from the database; ValueError for anything else (naive, not a date)."""
    if not isinstance(value, str):
        raise ValueError("not a date")
    when = datetime.datetime.fromisoformat(value)
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("no UTC offset")
    return when


def _whole(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a number")
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return int(value)


def _real(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a number")
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return float(value)


def _skipped(path: Path, count: int, warn: Warn | None) -> None:
    if count and warn is not None:
        rows = "row" if count == 1 else "rows"
        warn(
            f"the session history at {path} has {count} {rows} matcue cannot read "
            f"(written by another program?); {'it is' if count == 1 else 'they are'} skipped"
        )


def _row(row: tuple[object, ...]) -> SessionRecord:
    routine, title, started, ended, pace, exercises, reps, ending = row
    begun = _when(started)
    try:
        finished = _when(ended)
    except ValueError:
        finished = begun
    return SessionRecord(
        str(routine),
        str(title),
        begun,
        finished,
        _real(pace),
        _whole(exercises),
        _whole(reps),
        ending if ending in ENDINGS else "interrupted",  # type: ignore[arg-type]
    )


def sessions(path: Path, warn: Warn | None = None) -> list[SessionRecord]:
    """Every recorded session, oldest first (an empty list if there is no history yet); a row
    that cannot be read is skipped, with one warning through ``warn``."""
    if not path.exists():
        return []
    with _connect(path, create=False, warn=warn) as db:
        rows = db.execute(
            "SELECT routine, title, started, ended, pace, exercises, reps, ending"
            " FROM sessions ORDER BY id"
        ).fetchall()
    out, bad = [], 0
    for row in rows:
        try:
            out.append(_row(tuple(row)))
        except (ValueError, TypeError, OverflowError):
            bad += 1
    _skipped(path, bad, warn)
    out.sort(key=lambda rec: rec.started)
    return out


def save_resume(
    routine: str, exercise: int, pace: float, path: Path, warn: Warn | None = None
) -> None:
    now = datetime.datetime.now(datetime.UTC).isoformat()
    _write(
        path,
        "INSERT OR REPLACE INTO resume (routine, exercise, pace, saved) VALUES (?, ?, ?, ?)",
        (routine, exercise, pace, now),
        warn,
    )


def clear_resume(routine: str, path: Path, warn: Warn | None = None) -> None:
    if not path.exists():
        return
    _write(path, "DELETE FROM resume WHERE routine = ?", (routine,), warn)


@dataclass(frozen=True)
class ResumePoint:
    """Where a routine was last quit: the exercise (1-based) and the pace it was at."""

    exercise: int
    pace: float


DAMAGED = ResumePoint(0, 0.0)  # a saved place that cannot be read (the caller says so)


def resume_point(routine: str, path: Path, warn: Warn | None = None) -> ResumePoint | None:
    """Where ``routine`` was last quit, or None; ``DAMAGED`` when the row cannot be read."""
    if not path.exists():
        return None
    with _connect(path, create=False, warn=warn) as db:
        row = db.execute(
            "SELECT exercise, pace FROM resume WHERE routine = ?", (routine,)
        ).fetchone()
    if row is None:
        return None
    try:
        return ResumePoint(_whole(row[0]), _real(row[1]))
    except (ValueError, TypeError, OverflowError):
        return DAMAGED


def first_session(routine: str, path: Path, warn: Warn | None = None) -> datetime.datetime | None:
    """When ``routine`` was first played (any ending), or None if it never was; a row whose
    time cannot be read is skipped, with one warning."""
    if not path.exists():
        return None
    with _connect(path, create=False, warn=warn) as db:
        rows = db.execute("SELECT started FROM sessions WHERE routine = ?", (routine,)).fetchall()
    starts, bad = [], 0
    for (value,) in rows:
        try:
            starts.append(_when(value))
        except (ValueError, TypeError):
            bad += 1
    _skipped(path, bad, warn)
    return min(starts, default=None)


def streak(days: Sequence[datetime.date], today: datetime.date) -> int:
    """Days in a row with a session, ending today (or yesterday, if today has none yet)."""
    have = set(days)
    day = today if today in have else today - datetime.timedelta(days=1)
    count = 0
    while day in have:
        count += 1
        day -= datetime.timedelta(days=1)
    return count
