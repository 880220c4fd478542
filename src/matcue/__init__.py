"""matcue: voice-guided audio sessions for home back-care routines.

The library is :mod:`matcue.api`; its names are here too, imported on first use, but for
``export``: ``matcue.export`` is the stage that writes files, so write ``api.export``::

    from matcue import api

    session = api.prepare("gentle-daily", api.Options(pace=80))
    api.export(session, "gentle.mp3")

Stages, one way only: routine -> timeline -> audio -> voice -> playback -> export -> store ->
api, with the command line on top.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"


API = (
    "SESSION_RATE",
    "AudioDeviceError",
    "Clock",
    "Command",
    "Commands",
    "Device",
    "Exercise",
    "Folders",
    "Inbox",
    "InputError",
    "Listed",
    "MatcueError",
    "Options",
    "Pace",
    "Player",
    "Routine",
    "RoutineError",
    "RuntimeFailure",
    "Session",
    "SessionInterrupted",
    "SessionResult",
    "Source",
    "Step",
    "Timeline",
    "Timing",
    "check_loudness",
    "config",
    "decode_keys",
    "export_options",
    "folders",
    "frames",
    "library",
    "load",
    "plan",
    "prepare",
    "record",
    "render",
    "resume_point",
    "session_bus",
    "show_sound_notes",
    "start_exercise",
    "voices",
)
"""matcue.api's names but ``export`` (a test holds this list to ``matcue.api.__all__``)."""


def __getattr__(name: str) -> Any:
    if name in API:  # only these: ``from matcue import settings`` must not load the api
        return getattr(importlib.import_module("matcue.api"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *API])
