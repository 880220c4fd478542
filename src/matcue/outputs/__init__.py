"""Outputs: the player and the exporters. Both consume the same rendered PCM."""

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
