"""Outputs: the player and the exporters. Both consume the same rendered PCM.

The names below are imported on first use, so ``from matcue.outputs import history`` (the
``history`` command, the week from the history) does not load the audio stack."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matcue.outputs.export import export_wav
    from matcue.outputs.player import PlayResult, play
    from matcue.outputs.session import (
        Hooks,
        Session,
        SessionInterrupted,
        SessionResult,
        Track,
        keys_mode,
        play_through,
    )

_WHERE = {
    "export_wav": "export",
    "PlayResult": "player",
    "play": "player",
    "Hooks": "session",
    "Session": "session",
    "SessionInterrupted": "session",
    "SessionResult": "session",
    "Track": "session",
    "keys_mode": "session",
    "play_through": "session",
}

__all__ = [
    "Hooks",
    "PlayResult",
    "Session",
    "SessionInterrupted",
    "SessionResult",
    "Track",
    "export_wav",
    "keys_mode",
    "play",
    "play_through",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"matcue.outputs.{module}"), name)
