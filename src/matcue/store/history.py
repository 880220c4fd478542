"""The session history and resume points: one SQLite database in the user data folder.

Every function takes the database's path (:attr:`matcue.store.paths.Folders.history`:
``history.sqlite3`` in ``$MATCUE_DATA_DIR``, else in platformdirs' user data folder for
matcue). A locked, unwritable or broken database never stops a session: every write here raises
``HistoryError``, which the player turns into one warning line.
"""

from __future__ import annotations

import datetime
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcue.errors import RuntimeFailure
from matcue.playback.transport import Ending

TIMEOUT = 0.5  # seconds to wait for a lock before giving up (a session never waits long)

ENDINGS: dict[str, str] = {
    "finished": "finished",
    "quit": "quit",
    "pain": "pain stop",
    "interrupted": "interrupted",
}

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
def _connect(path: Path, create: bool = True) -> Iterator[sqlite3.Connection]:
    try:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.exists():
            raise HistoryError(f"no history yet at {path}")
        with closing(sqlite3.connect(path, timeout=TIMEOUT)) as db:
            with db:
                db.executescript(_SCHEMA)
            with db:
                yield db
    except sqlite3.Error as err:
        raise HistoryError(f"the session history at {path} cannot be used: {err}") from err
    except OSError as err:
        reason = err.strerror or str(err)
        raise HistoryError(f"the session history at {path} cannot be used: {reason}") from err


def record(session: SessionRecord, path: Path) -> None:
    with _connect(path) as db:
        db.execute(
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
        )


def sessions(path: Path) -> list[SessionRecord]:
    """Every recorded session, oldest first (an empty list if there is no history yet)."""
    if not path.exists():
        return []
    with _connect(path, create=False) as db:
        rows = db.execute(
            "SELECT routine, title, started, ended, pace, exercises, reps, ending"
            " FROM sessions ORDER BY started, id"
        ).fetchall()
    out = []
    for routine, title, started, ended, pace, exercises, reps, ending in rows:
        out.append(
            SessionRecord(
                str(routine),
                str(title),
                datetime.datetime.fromisoformat(started),
                datetime.datetime.fromisoformat(ended),
                float(pace),
                int(exercises),
                int(reps),
                ending if ending in ENDINGS else "interrupted",
            )
        )
    return out


def save_resume(routine: str, exercise: int, pace: float, path: Path) -> None:
    now = datetime.datetime.now(datetime.UTC).isoformat()
    with _connect(path) as db:
        db.execute(
            "INSERT OR REPLACE INTO resume (routine, exercise, pace, saved) VALUES (?, ?, ?, ?)",
            (routine, exercise, pace, now),
        )


def clear_resume(routine: str, path: Path) -> None:
    if not path.exists():
        return
    with _connect(path) as db:
        db.execute("DELETE FROM resume WHERE routine = ?", (routine,))


@dataclass(frozen=True)
class ResumePoint:
    """Where a routine was last quit: the exercise (1-based) and the pace it was at."""

    exercise: int
    pace: float


def resume_point(routine: str, path: Path) -> ResumePoint | None:
    """Where ``routine`` was last quit, or None."""
    if not path.exists():
        return None
    with _connect(path, create=False) as db:
        row = db.execute(
            "SELECT exercise, pace FROM resume WHERE routine = ?", (routine,)
        ).fetchone()
    return None if row is None else ResumePoint(int(row[0]), float(row[1]))


def first_session(routine: str, path: Path) -> datetime.datetime | None:
    """When ``routine`` was first played (any ending), or None if it never was."""
    if not path.exists():
        return None
    with _connect(path, create=False) as db:
        rows = db.execute("SELECT started FROM sessions WHERE routine = ?", (routine,)).fetchall()
    starts = [datetime.datetime.fromisoformat(row[0]) for row in rows]
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
