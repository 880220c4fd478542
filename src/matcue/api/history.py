"""A session's place in the user's history: the progression week, the resume point, the record
of a played session, and where ``--from`` starts."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from matcue.api.model import warn_on_stderr
from matcue.errors import InputError
from matcue.routine import Routine
from matcue.store import paths
from matcue.store.paths import Folders
from matcue.timeline import Pace

if TYPE_CHECKING:
    from matcue.api.model import Session, Warn
    from matcue.playback import SessionResult
    from matcue.store.history import ResumePoint


def _stderr(text: str) -> None:
    warn_on_stderr(text)


def week_from_history(first_session: datetime.date | None, today: datetime.date) -> int | None:
    """The progression week of a routine first done on ``first_session``: 1 in its first
    seven days, 2 in the next seven, ... (None when it was never done)."""
    if first_session is None:
        return None
    return max(1, min(104, (today - first_session).days // 7 + 1))


def week(routine: Routine, given: int | None, where: Folders, warn: Warn = _stderr) -> int:
    """``given``, else the week derived from the session history, else 1. A history that
    cannot be read (broken, locked) only warns: the week is then 1."""
    if given is not None:
        return given
    from matcue.store import history

    try:
        first = history.first_session(routine.id, where.history, warn)
    except (history.HistoryError, ValueError) as err:
        warn(f"{err}; using week 1.")
        return 1
    day = first.astimezone().date() if first is not None else None
    return week_from_history(day, datetime.date.today()) or 1


def record(
    session: Session, result: SessionResult, began: datetime.datetime, warn: Warn = _stderr
) -> None:
    """Record a played session in the history, with its resume point (a quit or interrupted
    session keeps its place; a finished one clears it). A broken database only warns."""
    from matcue.playback import transport as tp
    from matcue.store import history

    r = session.routine
    entry = history.SessionRecord(
        routine=r.id,
        title=r.title,
        started=began,
        ended=datetime.datetime.now(datetime.UTC),
        pace=result.timeline.pace.percent,
        exercises=result.exercises,
        reps=result.reps,
        ending=result.ending,
    )
    db = (session.folders or paths.folders()).history
    try:
        history.record(entry, db, warn)
        point = tp.resume_exercise(result.timeline, result.position)
        if result.ending in ("quit", "interrupted") and point is not None:
            history.save_resume(r.id, point, result.timeline.pace.percent, db, warn)
        elif result.ending == "finished":
            history.clear_resume(r.id, db, warn)
    except history.HistoryError as err:
        warn(f"{err}; the session was not recorded.")


def resume_point(routine: Routine, where: Folders, warn: Warn = _stderr) -> ResumePoint | None:
    """Where ``routine`` was last quit; None (with a warning) if the history cannot be read or
    the place is damaged; InputError when there is none."""
    from matcue.store import history

    try:
        point = history.resume_point(routine.id, where.history, warn)
    except history.HistoryError as err:
        warn(f"{err}; playing from the start.")
        return None
    if point is None:
        raise InputError(f"there is no saved place for {routine.id}; play it without --resume")
    try:
        Pace(percent=point.pace)  # a pace Pace refuses (or no exercise): a damaged database
        damaged = point.exercise < 1
    except ValueError:
        damaged = True
    if damaged:
        warn(f"the saved place of {routine.id} is damaged; playing from the start.")
        return None
    return point


def start_exercise(routine: Routine, value: str) -> int:
    """``--from``: a 1-based number, or a name (whole, or the start of just one name).

    Numbers count every exercise the session plays (``Routine.played``: warm-up, the
    routine's own, cool-down), as its chapters do."""
    count = len(routine.played)
    text = value.strip()
    if text.isdigit():
        n = int(text)
        if 1 <= n <= count:
            return n
        raise InputError(f"--from {value}: the routine has exercises 1 to {count}")
    names = [ex.name.casefold() for ex in routine.played]
    wanted = text.casefold()
    if wanted in names:
        return names.index(wanted) + 1
    matches = [i for i, name in enumerate(names, 1) if name.startswith(wanted)]
    if len(matches) == 1 and wanted:
        return matches[0]
    listing = ", ".join(ex.name for ex in routine.played)
    raise InputError(f"--from {value!r} names no single exercise of {routine.id} ({listing})")
