"""Media keys without a bus: each MPRIS method's command, heard in virtual time exactly as the key
that gives it; what a desktop reads (track, title, status; never Position in PropertiesChanged,
Seeked on jumps); the bus address; the intro's line; a call answered once the session acted.

The real service on a private dbus-daemon is tests/test_mpris.py.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from matcue.audio.units import seconds_to_frames
from matcue.playback import mpris_map as m
from matcue.playback import transport as tp
from matcue.playback.commands import Commands
from matcue.playback.loop import Hooks, Session, SessionResult
from matcue.playback.nowplaying import now_playing
from matcue.playback.stream import Track
from matcue.playback.transport import Command as C
from matcue.routine import load_routine
from matcue.timeline import ENGLISH, Pace, Timeline, compile, phrases_for
from virtual import DRAIN, RecordingDevice, Script, VirtualClock

RATE = 8000
ROUTINE = Path(__file__).parent / "routines" / "cli" / "short-session.yaml"
Pcm = npt.NDArray[np.int16]
METHODS = ("Play", "Pause", "PlayPause", "Next", "Previous", "Stop")


def speech_len(text: str) -> float:
    return 0.3 * len(text.split())


def compile_at(pace: float) -> Timeline:
    return compile(load_routine(ROUTINE), Pace(percent=pace), speech_len, keys=True)


def render_from(timeline: Timeline, frame: int) -> Pcm:
    """Phase ``k`` is all ``k + 1``: the tape tells which phase sounds when."""
    out = np.zeros(seconds_to_frames(timeline.duration, RATE), dtype=np.int16)
    for k, phase in enumerate(timeline.phases):
        out[seconds_to_frames(phase.t, RATE) : seconds_to_frames(phase.end, RATE)] = k + 1
    return out[frame:].copy()


def say(lines: tuple[str, ...], tick: bool) -> Pcm:
    return np.full(round(0.05 * RATE) * (len(lines) + int(tick)), -1, dtype=np.int16)


@dataclass
class MediaScript(Script):
    """A script of MPRIS method names, each turned into its command as the service does: with
    the session's pause state at the moment the call comes."""

    session: Session | None = None

    def take(self, timeout: float) -> list[C]:
        seen = len(self.given)
        out = super().take(timeout)
        for _, event in self.given[seen:]:
            if isinstance(event, str) and event in METHODS:
                assert self.session is not None
                command = m.command_for(event, self.session.state.paused)
                if command is not None:
                    out.append(command)
        return out


def play(script: Script) -> tuple[SessionResult, RecordingDevice, Session]:
    clock = script.clock
    device = RecordingDevice(clock, RATE)
    timeline = compile_at(100)
    session = Session(
        Track(timeline, render_from(timeline, 0), 0),
        RATE,
        Hooks(compile_at, render_from, say, ENGLISH),
        commands=script,
        device=device,
        clock=clock,
        background=lambda work: work(),
    )
    if isinstance(script, MediaScript):
        script.session = session
    session.prepare()
    return session.run(), device, session


def test_each_method_gives_the_keys_command_only_when_it_changes_the_state() -> None:
    assert m.command_for("PlayPause", paused=False) is C.PAUSE
    assert m.command_for("PlayPause", paused=True) is C.PAUSE
    assert m.command_for("Pause", paused=False) is C.PAUSE
    assert m.command_for("Pause", paused=True) is None
    assert m.command_for("Play", paused=True) is C.PAUSE
    assert m.command_for("Play", paused=False) is None
    assert m.command_for("Next", paused=False) is C.NEXT
    assert m.command_for("Previous", paused=True) is C.BACK
    assert m.command_for("Stop", paused=False) is C.QUIT
    for method in ("Seek", "SetPosition", "OpenUri", "Raise"):
        assert m.command_for(method, paused=False) is None
    assert C.PAIN not in {m.command_for(x, p) for x in METHODS for p in (False, True)}


def test_media_keys_sound_exactly_like_the_keys() -> None:
    """Pause, a second Pause (nothing), Play (resume), Play while playing (nothing), Next,
    Previous twice quickly (the previous exercise), PlayPause twice, Stop: the same tape and
    the same ending as the keys that give those commands."""
    media = [
        (3.0, "Pause"),
        (3.5, "Pause"),
        (5.0, "Play"),
        (9.0, "Play"),
        (10.0, "Next"),
        (20.0, "Next"),
        (24.0, "Previous"),
        (24.5, "Previous"),
        (27.0, "PlayPause"),
        (28.0, "PlayPause"),
        (33.0, "Stop"),
    ]
    keys: list[tuple[float, C | str]] = [
        (3.0, C.PAUSE),
        (5.0, C.PAUSE),
        (10.0, C.NEXT),
        (20.0, C.NEXT),
        (24.0, C.BACK),
        (24.5, C.BACK),
        (27.0, C.PAUSE),
        (28.0, C.PAUSE),
        (33.0, C.QUIT),
    ]
    clock = VirtualClock(RATE)
    got, heard, session = play(MediaScript(clock, list(media)))
    want, expected, _ = play(Script(VirtualClock(RATE), keys))
    assert np.array_equal(heard.tape, expected.tape)
    assert got == want and got.ending == "quit"
    tl = session.track.timeline
    # paused at 3 s: silent from the drain's end until the resume at 5 s
    assert not heard.heard(3.0 + DRAIN + 0.01, 5.0).any()
    # the intro's phase (1) was playing and is replayed after the countdown
    assert tp.phase_index(tl, 3.0) == 0 and 1 in set(heard.heard(5.0, 9.0).tolist())
    # Next at 20 s in exercise 2 -> exercise 3; Previous twice quickly -> exercise 2's start
    ex2 = tl.phases.index(next(p for p in tl.phases if p.exercise == 2)) + 1
    assert ex2 in set(heard.heard(24.5, 25.5).tolist())


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("pl", ", prawa strona, powtórzenie numer 1, razem 1"),
        ("cs", ", pravá strana, opakování číslo 1, celkem 1"),
    ],
)
def test_the_title_speaks_the_sessions_language(lang: str, words: str) -> None:
    tl = compile(
        load_routine(ROUTINE), Pace(percent=100), speech_len, phrases=phrases_for(lang), keys=True
    )
    knee = next(p for p in tl.phases if p.exercise == 2 and p.rep == 1 and p.side == "right")
    now = now_playing(tl, knee.t + 0.5, pace=100, paused=False)
    assert now.title == "Knee hug" + words
    assert m.metadata(now)["xesam:title"] == ("s", "Knee hug" + words)


def test_what_a_desktop_reads_follows_the_session() -> None:
    tl = compile_at(100)
    intro = now_playing(tl, 1.0, pace=100, paused=False)
    assert (intro.track, intro.title, intro.album) == (0, "Introduction", "Short session")
    knee = next(p for p in tl.phases if p.exercise == 2 and p.rep == 1 and p.side == "right")
    now = now_playing(tl, knee.t + 0.5, pace=100, paused=False, when=10.0)
    assert now.title == "Knee hug, right side, rep 1 of 1"
    start = tp.exercise_start(tl, 2)
    assert now.track == 2 and now.start == pytest.approx(start)
    assert now.length == pytest.approx(tp.exercise_start(tl, 3) - start)
    assert now.position == pytest.approx(knee.t + 0.5 - start)
    meta = m.metadata(now)
    assert meta["xesam:title"] == ("s", "Knee hug, right side, rep 1 of 1")
    assert meta["mpris:trackid"] == ("o", "/org/mpris/MediaPlayer2/matcue/track/2")
    assert meta["mpris:length"] == ("x", round(now.length * 1e6))
    assert meta["xesam:artist"] == ("as", ["matcue"])
    props = m.player_properties(now)
    assert props["PlaybackStatus"] == ("s", "Playing")
    assert all(props[k] == ("b", True) for k in ("CanPlay", "CanPause", "CanGoNext", "CanControl"))
    # the next rep: a new title (Metadata), never Position; playing on is no jump
    later = now_playing(tl, knee.t + 1.0, pace=100, paused=False, when=10.5)
    assert m.changed(now, later) == {} and not m.jumped(now, later)
    left = next(p for p in tl.phases if p.exercise == 2 and p.side == "left")
    moved = now_playing(tl, left.t + 0.1, pace=100, paused=False, when=10.6)
    assert set(m.changed(later, moved)) == {"Metadata"} and m.jumped(later, moved)
    paused = now_playing(tl, left.t + 0.1, pace=100, paused=True, when=20.0)
    assert set(m.changed(moved, paused)) == {
        "PlaybackStatus",
        "CanGoNext",
        "CanGoPrevious",
        "CanPlay",
        "CanPause",
    } and not m.jumped(moved, paused)
    assert m.status(None) == "Stopped"
    assert m.root_properties()["Identity"] == ("s", "matcue")
    assert m.root_properties()["CanRaise"] == ("b", False)


def test_the_bus_address(tmp_path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    path = tmp_path / "bus"
    sock.bind(str(path))
    try:
        assert m.bus_address({}) is None
        assert m.bus_address({"XDG_RUNTIME_DIR": str(tmp_path)}) == f"unix:path={path}"
        assert m.bus_address({"XDG_RUNTIME_DIR": str(tmp_path / "none")}) is None
        given = f"unix:path={path},guid=abc"
        assert m.bus_address({"DBUS_SESSION_BUS_ADDRESS": given}) == given
        for broken in ("nonsense", "unix:path=/no/such/socket", "tcp:host=x,port=1", "unix:"):
            assert m.bus_address({"DBUS_SESSION_BUS_ADDRESS": broken}) is None, broken
        assert m.socket_path("unix:abstract=/tmp/dbus-x") == "\0/tmp/dbus-x"
    finally:
        sock.close()


def test_a_call_is_answered_once_the_session_acted() -> None:
    commands = Commands()
    media = commands.source("media keys")
    ticket = media.put(C.PAUSE)
    assert ticket == 1
    assert not commands.wait_handled(ticket, 0.01)
    assert commands.take(0.0) == [C.PAUSE]
    assert not commands.wait_handled(ticket, 0.01)  # taken, not yet handled
    done = threading.Event()

    def wait() -> None:
        if commands.wait_handled(ticket, 5.0):
            done.set()

    waiter = threading.Thread(target=wait)
    waiter.start()
    commands.take(0.0)  # the loop takes again: what it took before was handled
    waiter.join(5.0)
    assert done.is_set()
    later = media.put(C.NEXT)
    assert later == 2
    commands.end()  # the session ended before handling it: the caller is answered anyway
    assert commands.wait_handled(later, 0.01)
    media.close()
    assert media.put(C.NEXT) is None


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("en", "Your headphone button pauses."),
        ("pl", "Przycisk na słuchawkach robi pauzę."),
        ("cs", "Tlačítko na sluchátkách pozastaví."),
    ],
)
def test_the_intro_names_the_media_keys_only_when_they_are_on(language: str, line: str) -> None:
    from dataclasses import replace

    routine = replace(load_routine(ROUTINE), language=language)
    assert phrases_for(language).controls.media_keys_line == line
    for keys in (False, True):
        on = compile(routine, Pace(), speech_len, keys=keys, media_keys=True)
        off = compile(routine, Pace(), speech_len, keys=keys)
        said_on = [c.text for c in on.cues if c.text and c.t < on.phases[1].t]
        said_off = [c.text for c in off.cues if c.text and c.t < off.phases[1].t]
        assert said_on[-1] == line and said_on[:-1] == said_off
        assert line not in (c.text for c in off.cues)


def test_the_option_wins_over_the_setting_and_no_bus_means_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from matcue import api
    from matcue.cli import sessions
    from matcue.cli.env import Environment
    from matcue.store.paths import Folders

    config = tmp_path / "config.toml"
    env = Environment(
        io.StringIO(), io.StringIO(), False, folders=Folders(config, tmp_path, tmp_path)
    )
    bus: list[str | None] = ["unix:path=/run/bus"]
    monkeypatch.setattr(api, "session_bus", lambda environ=None: bus[0])
    notes: list[str] = []
    assert sessions._media_bus(env, None, notes.append) == bus[0]  # on by default
    assert sessions._media_bus(env, False, notes.append) is None  # --no-media-keys
    config.write_text("media_keys = false\n")
    assert sessions._media_bus(env, None, notes.append) is None  # the setting
    assert sessions._media_bus(env, True, notes.append) == bus[0]  # --media-keys wins
    assert notes == []
    bus[0] = None  # no session bus: off, and --debug's one line says why
    assert sessions._media_bus(env, True, notes.append) is None
    assert len(notes) == 1 and "media keys off" in notes[0]
