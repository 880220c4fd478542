"""The MPRIS side of a session, with no I/O: which command each media key gives, and the
properties a desktop reads (the service itself is :mod:`matcue.playback.mpris`).

Play, Pause and PlayPause are the space key (Play and Pause only when they change the state),
Next is ``n``, Previous is ``b`` (twice quickly: the previous exercise), Stop is ``q`` (quit, the
place saved). The pain stop is never a media button: it stays a deliberate key.

Values are in jeepney's form: a variant is ``(signature, value)``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from matcue.playback.nowplaying import NowPlaying
from matcue.playback.transport import Command

BUS_NAME = "org.mpris.MediaPlayer2.matcue"
PATH = "/org/mpris/MediaPlayer2"
ROOT = "org.mpris.MediaPlayer2"
PLAYER = "org.mpris.MediaPlayer2.Player"
PROPERTIES = "org.freedesktop.DBus.Properties"
TRACK_PATH = "/org/mpris/MediaPlayer2/matcue/track/"
NO_TRACK = "/org/mpris/MediaPlayer2/TrackList/NoTrack"

Variant = tuple[str, Any]


def command_for(method: str, paused: bool) -> Command | None:
    """The command a Player method gives (None: nothing to do, or not a command)."""
    if method == "PlayPause":
        return Command.PAUSE
    if method == "Play":
        return Command.PAUSE if paused else None
    if method == "Pause":
        return None if paused else Command.PAUSE
    return {"Next": Command.NEXT, "Previous": Command.BACK, "Stop": Command.QUIT}.get(method)


def root_properties() -> dict[str, Variant]:
    return {
        "CanQuit": ("b", True),
        "CanRaise": ("b", False),
        "HasTrackList": ("b", False),
        "Identity": ("s", "matcue"),
        "SupportedUriSchemes": ("as", []),
        "SupportedMimeTypes": ("as", []),
    }


def status(now: NowPlaying | None) -> str:
    """``PlaybackStatus``: Playing, Paused or Stopped."""
    if now is None or now.finished:
        return "Stopped"
    return "Paused" if now.paused else "Playing"


def microseconds(seconds: float) -> int:
    return round(seconds * 1_000_000)


def metadata(now: NowPlaying | None) -> dict[str, Variant]:
    """``Metadata``: a track per chapter, titled by the exercise (and the rep and side)."""
    if now is None:
        return {"mpris:trackid": ("o", NO_TRACK)}
    return {
        "mpris:trackid": ("o", f"{TRACK_PATH}{now.track}"),
        "mpris:length": ("x", microseconds(now.length)),
        "xesam:title": ("s", now.title),
        "xesam:album": ("s", now.album),
        "xesam:artist": ("as", ["matcue"]),
        "xesam:trackNumber": ("i", now.track + 1),
    }


def player_properties(now: NowPlaying | None) -> dict[str, Variant]:
    playing = now is not None and not now.finished
    return {
        "PlaybackStatus": ("s", status(now)),
        "Rate": ("d", 1.0),
        "MinimumRate": ("d", 1.0),
        "MaximumRate": ("d", 1.0),
        "Volume": ("d", 1.0),
        "Metadata": ("a{sv}", metadata(now)),
        "Position": ("x", microseconds(now.position) if now is not None else 0),
        "CanGoNext": ("b", playing),
        "CanGoPrevious": ("b", playing),
        "CanPlay": ("b", playing),
        "CanPause": ("b", playing),
        "CanSeek": ("b", False),
        "CanControl": ("b", True),
    }


def changed(old: NowPlaying | None, new: NowPlaying | None) -> dict[str, Variant]:
    """What ``PropertiesChanged`` announces between two looks (never ``Position``: a desktop
    reads it when it needs it; jumps are announced by ``Seeked``)."""
    out: dict[str, Variant] = {}
    if status(old) != status(new):
        out["PlaybackStatus"] = ("s", status(new))
        playing = new is not None and not new.finished
        for name in ("CanGoNext", "CanGoPrevious", "CanPlay", "CanPause"):
            out[name] = ("b", playing)
    if metadata(old) != metadata(new):
        out["Metadata"] = ("a{sv}", metadata(new))
    return out


JUMP = 0.25  # seconds off the expected position that count as a jump (a Seeked signal)


def jumped(old: NowPlaying | None, new: NowPlaying | None) -> bool:
    """Whether the position moved other than by playing on: a skip, a resume from the phase's
    start, a pace change."""
    if old is None or new is None or new.finished:
        return False
    expected = old.at
    if not old.paused and not new.paused:
        expected += new.when - old.when
    return old.pace != new.pace or abs(new.at - expected) > JUMP


def bus_address(environ: Mapping[str, str]) -> str | None:
    """The session bus's address: ``DBUS_SESSION_BUS_ADDRESS``, else ``$XDG_RUNTIME_DIR/bus``
    when that socket exists; None when there is none matcue can use (unset, malformed, a socket
    path that is not there, no unix transport)."""
    address = environ.get("DBUS_SESSION_BUS_ADDRESS", "").strip()
    if not address:
        runtime = environ.get("XDG_RUNTIME_DIR", "")
        path = os.path.join(runtime, "bus") if runtime else ""
        return f"unix:path={path}" if path and os.path.exists(path) else None
    return address if socket_path(address) is not None else None


def socket_path(address: str) -> str | None:
    """The first unix socket of a D-Bus address that can be connected to (an abstract one
    starts with NUL), or None."""
    for part in address.split(";"):
        transport, _, info = part.partition(":")
        if transport.strip() != "unix" or not info:
            continue
        try:
            kv = dict(item.split("=", 1) for item in info.split(","))
        except ValueError:
            continue
        if "abstract" in kv:
            return "\0" + _unescape(kv["abstract"])
        if "path" in kv and os.path.exists(_unescape(kv["path"])):
            return _unescape(kv["path"])
    return None


def _unescape(value: str) -> str:
    """D-Bus address values escape bytes as %XX."""
    out, i = bytearray(), 0
    raw = value.encode()
    while i < len(raw):
        if raw[i : i + 1] == b"%" and i + 3 <= len(raw):
            try:
                out.append(int(raw[i + 1 : i + 3], 16))
                i += 3
                continue
            except ValueError:
                pass
        out.append(raw[i])
        i += 1
    return out.decode(errors="replace")
