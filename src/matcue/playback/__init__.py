"""Playback: a rendered session played to a device under commands.

- :mod:`~matcue.playback.device`: the device protocol and simpleaudio (the only module that
  uses it), with :mod:`~matcue.playback.alsa_notes` for alsa-lib's own lines;
- :mod:`~matcue.playback.transport`: pure, command -> action on the timeline;
- :mod:`~matcue.playback.commands`: the command queue and its sources;
- :mod:`~matcue.playback.clock`: the injected clock;
- :mod:`~matcue.playback.stream`: tracks and streams, the loop's units of sound;
- :mod:`~matcue.playback.loop`: the session loop;
- :mod:`~matcue.playback.mpris`: media keys, an MPRIS player on the session D-Bus (jeepney),
  with :mod:`~matcue.playback.mpris_map` (method -> command, the properties; pure) and
  :mod:`~matcue.playback.nowplaying` (the track and title at a position; pure).

The names below are imported on first use, so importing this package loads no audio library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matcue.playback.clock import Clock, SystemClock
    from matcue.playback.commands import Commands, Inbox, Source
    from matcue.playback.device import Device, Handle, Simpleaudio
    from matcue.playback.loop import Session, SessionInterrupted, SessionResult
    from matcue.playback.stream import Hooks, Track
    from matcue.playback.transport import Command, Ending

_WHERE = {
    "Clock": "clock",
    "SystemClock": "clock",
    "Commands": "commands",
    "Inbox": "commands",
    "Source": "commands",
    "Device": "device",
    "Handle": "device",
    "Simpleaudio": "device",
    "Hooks": "stream",
    "Session": "loop",
    "SessionInterrupted": "loop",
    "SessionResult": "loop",
    "Track": "stream",
    "Command": "transport",
    "Ending": "transport",
}

__all__ = [
    "Clock",
    "Command",
    "Commands",
    "Device",
    "Ending",
    "Handle",
    "Hooks",
    "Inbox",
    "Session",
    "SessionInterrupted",
    "SessionResult",
    "Simpleaudio",
    "Source",
    "SystemClock",
    "Track",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"matcue.playback.{module}"), name)
