"""matcue as a library: everything the command line does, in a few calls.

    import matcue

    session = matcue.prepare("gentle-daily", matcue.Options(pace=80))
    print(session.timeline.duration)  # seconds
    matcue.export(session, "gentle.mp3")  # chapters and tags, as `matcue export`
    player = matcue.Player(session)
    player.start()
    player.press("pause")
    ...
    result = player.wait()
    matcue.record(session, result, began)

The command line (:mod:`matcue.cli`) is a thin adapter over these names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from matcue.api.catalog import Listed, routines, show_sound_notes, voices
from matcue.api.export import export, export_options
from matcue.api.history import record, resume_point, start_exercise
from matcue.api.model import SESSION_RATE, Options, Session
from matcue.api.player import Player, session_bus
from matcue.api.session import (
    check_loudness,
    config,
    frames,
    load,
    plan,
    prepare,
    render,
)
from matcue.errors import AudioDeviceError, InputError, MatcueError, RuntimeFailure
from matcue.playback.clock import Clock
from matcue.playback.commands import Commands, Inbox, Source
from matcue.playback.transport import Command, decode_keys
from matcue.routine import Routine, RoutineError
from matcue.routine.model import NO_COOLDOWN, Exercise, Step, Timing
from matcue.store.paths import Folders, folders
from matcue.timeline import Pace, Timeline

if TYPE_CHECKING:
    from matcue.playback.device import Device
    from matcue.playback.loop import SessionInterrupted, SessionResult

# names whose modules load numpy: imported on first use, so that `matcue list`, `validate` and
# `--help` start without the audio stack
_LATER = {
    "Device": "matcue.playback.device",
    "SessionInterrupted": "matcue.playback.loop",
    "SessionResult": "matcue.playback.loop",
}


def __getattr__(name: str) -> Any:
    module = _LATER.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "NO_COOLDOWN",
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
    "export",
    "export_options",
    "folders",
    "frames",
    "load",
    "plan",
    "prepare",
    "record",
    "render",
    "resume_point",
    "routines",
    "session_bus",
    "show_sound_notes",
    "start_exercise",
    "voices",
]
