"""The values the library passes around: what a user chose (:class:`Options`), a session made
from it (:class:`Session`), and how warnings reach the caller."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from matcue.routine import Routine
from matcue.store.paths import Folders
from matcue.timeline import Timeline

if TYPE_CHECKING:
    from matcue.api.ahead import Lines
    from matcue.audio.levels_cache import LevelsCache
    from matcue.voice import Voice

SESSION_RATE = 22050  # Hz: espeak-ng's native rate; tones are resampled to it
Warn = Callable[[str], object]
Config = dict[str, str | int | float | bool]


def warn_on_stderr(text: str) -> None:
    """The default ``warn``: ``matcue: warning: TEXT`` on stderr."""
    print(f"matcue: warning: {text}", file=sys.stderr)


@dataclass(frozen=True)
class Options:
    """The pace, voice and sound options of a session, as given (None: not given, so the
    config file's or the routine's). Each is described in :mod:`matcue.settings`."""

    pace: float | None = None
    level: str | None = None
    breath: str | None = None  # "4:6" or "4:7:8"
    holds: float | None = None
    rest: float | None = None
    reps: int | None = None
    sets: int | None = None
    week: int | None = None
    count: str | None = None
    breath_words: str | None = None
    voice: str | None = None
    rate: int | None = None
    volume: str | None = None  # "0.8" or "80%"
    lang: str | None = None
    stereo: bool | None = None
    music: Path | None = None


@dataclass(frozen=True)
class Session:
    """A routine compiled with its options: what plan, play and export work from."""

    routine: Routine
    speech: Voice
    timeline: Timeline
    stereo: bool
    music: Path | None = None
    levels_cache: LevelsCache | None = None  # for a session to be rendered (prepare)
    loudness: float | None = None  # the target of the levels; None: the session default
    folders: Folders | None = None
    keys: bool = False  # played under the terminal's keys: the intro says them
    media_keys: bool = False  # played under the media keys (MPRIS): the intro says so
    volume: float = 1.0  # the voice in the mix, after levelling (--volume, the config's)
    lines: Lines | None = None  # prepared ``at_once``: lines still being made as it plays
