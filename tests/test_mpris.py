"""Media keys end to end: a real ``matcue play`` with no terminal, on the private PulseAudio null
sink and a private session D-Bus (``dbus-daemon``, killed by its pid at teardown), driven by
``playerctl`` and a jeepney client as a desktop's media keys and headphone buttons drive it.

Where the session is in the recording: the start bell rings at session time 0, so the first
onset is the session's start (``lag``); a call made ``d`` seconds after "Playing …" came lands at
recording time ``lag + d`` (playerctl's own start-up only makes a sound seem to go on longer).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from audio_helpers import PLAYING_TIMEOUT, SHORT_SESSION, clean_take, match
from matcue import api
from matcue.playback import transport as tp
from matcue.store import paths
from matcue.timeline import Timeline
from measure import bursts, onsets
from pulse import (
    MATCUE,
    PulseServer,
    Recording,
    SessionBus,
    player_env,
    private_bus,
    start_matcue,
    without_alsa_notes,
)

RATE = 22050
QUIET_WITHIN = 0.300  # seconds from a media key's call to silence
QUIET = 0.01  # of the recording's peak: silence
MATCH = 0.8  # least r of a match() for "this is that part of the session"
ATTEMPTS = 3
NAME = "org.mpris.MediaPlayer2.matcue"
PATH = "/org/mpris/MediaPlayer2"
PLAYER = "org.mpris.MediaPlayer2.Player"

pytestmark = [pytest.mark.audio, pytest.mark.timeout(PLAYING_TIMEOUT)]


# --- a private session bus ----------------------------------------------------------------------


@pytest.fixture
def session_bus() -> Iterator[SessionBus]:
    """A private session bus for the test (scripts/pulse.py)."""
    for tool in ("dbus-daemon", "playerctl"):
        if shutil.which(tool) is None:
            pytest.fail(f"the media-key tests need {tool} (scripts/setup installs it)")
    with private_bus() as bus:
        yield bus


class Client:
    """A jeepney client on the bus: calls a player's methods, reads its properties, and keeps
    the signals it sends."""

    def __init__(self, address: str) -> None:
        from jeepney import MatchRule, message_bus
        from jeepney.io.blocking import Proxy, open_dbus_connection

        self.conn: Any = open_dbus_connection(bus=address)
        rule = MatchRule(type="signal", path=PATH)
        Proxy(message_bus, self.conn).AddMatch(rule)
        self.signals: deque[Any] = deque()
        self.conn.filter(rule, queue=self.signals)

    def call(self, method: str, name: str = NAME, interface: str = PLAYER) -> Any:
        from jeepney import DBusAddress, new_method_call

        msg = new_method_call(DBusAddress(PATH, name, interface), method)
        return self.conn.send_and_get_reply(msg, timeout=15)

    def get(self, prop: str, name: str = NAME) -> Any:
        from jeepney import DBusAddress, Properties

        reply = self.conn.send_and_get_reply(
            Properties(DBusAddress(PATH, name, PLAYER)).get(prop), timeout=5
        )
        return reply.body[0][1]

    def drain(self, seconds: float = 0.3) -> list[tuple[str, tuple[Any, ...]]]:
        """The signals that came: (member, body)."""
        from jeepney import HeaderFields

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.conn.recv_messages(timeout=max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                break
        out = [(s.header.fields[HeaderFields.member], tuple(s.body)) for s in self.signals]
        self.signals.clear()
        return out

    def close(self) -> None:
        self.conn.close()


def playerctl(bus: SessionBus, *args: str) -> str:
    done = subprocess.run(
        ["playerctl", *args],
        env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": bus.address},
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    return done.stdout.strip()


# --- the session as played, and a take ----------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    timeline: Timeline  # as ``matcue play`` compiles it with no terminal and the media keys on
    pcm: npt.NDArray[np.int16]
    env: dict[str, str]


@pytest.fixture(scope="module")
def reference(pulse: PulseServer, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    cache = tmp_path_factory.getbasetemp() / "speech-cache"  # shared with the other e2e tests
    cache.mkdir(exist_ok=True)
    where = paths.folders(
        {
            paths.CACHE_ENV: str(cache),
            paths.CONFIG_ENV: str(cache.parent / "no-config" / "config.toml"),
            paths.DATA_ENV: str(cache.parent / "no-history"),
        }
    )
    session = api.plan(SHORT_SESSION, media_keys=True, folders=where)  # as `matcue play` makes it
    tl, pcm = session.timeline, api.render(session)
    env = player_env(pulse, cache, tmp_path_factory.mktemp("mpris-home"))
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return Reference(tl, pcm, env)


@dataclass(frozen=True)
class Take:
    code: int
    stderr: str
    recording: npt.NDArray[np.int16]
    rate: int
    calls: list[tuple[float, str, Any]]  # seconds after "Playing …", what, what it answered

    @property
    def lag(self) -> float:
        return onsets(self.recording, self.rate, fraction=0.05)[0]

    def at(self, t: float) -> int:
        return round(t * self.rate)

    def when(self, what: str) -> float:
        return next(t for t, name, _ in self.calls if name == what)

    def answer(self, what: str) -> Any:
        return next(a for _, name, a in self.calls if name == what)


Step = tuple[float, str, Callable[[], Any]]


def media_play(recorder: Callable[[], Recording], env: dict[str, str], script: list[Step]) -> Take:
    """``matcue --debug play`` of the short session with no terminal, recorded; each step's
    action is done ``delay`` seconds after "Playing …" appeared (its time is taken before)."""
    rec = recorder()
    child, line = start_matcue(["--debug", "play", str(SHORT_SESSION)], env)
    started = time.monotonic()
    try:
        assert line.startswith("Playing Short session"), line
        calls = []
        for delay, what, action in script:
            time.sleep(max(0.0, started + delay - time.monotonic()))
            sent = time.monotonic() - started
            calls.append((sent, what, action()))
        code = child.wait(timeout=60)
        assert child.stderr is not None
        err = child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return Take(code, line + err, rec.stop(tail=1.0), rec.rate, calls)


def find(take: Take, ref: Reference, t: float, seconds: float, lo: float, hi: float) -> Any:
    piece = ref.pcm[round(t * RATE) : round((t + seconds) * RATE)]
    return match(piece, RATE, take.recording, take.rate, lo, hi)


def history(env: dict[str, str]) -> list[dict[str, Any]]:
    done = subprocess.run(
        [str(MATCUE), "history", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    sessions: list[dict[str, Any]] = json.loads(done.stdout)["sessions"]
    return sessions


def forget(data: Path) -> Callable[[], None]:
    return lambda: shutil.rmtree(data, ignore_errors=True)


# --- the tests --------------------------------------------------------------------------------


def test_play_pause_is_silent_at_once_and_resumes_the_interrupted_phase(
    reference: Reference,
    recorder: Callable[[], Recording],
    session_bus: SessionBus,
    tmp_path: Path,
) -> None:
    """No terminal: paused by the media key, the session waits for it (it does not end)."""
    env = {
        **reference.env,
        "DBUS_SESSION_BUS_ADDRESS": session_bus.address,
        "MATCUE_DATA_DIR": str(tmp_path / "data"),
    }
    script: list[Step] = [
        (2.5, "pause", lambda: playerctl(session_bus, "-p", "matcue", "play-pause")),
        (2.6, "status", lambda: playerctl(session_bus, "-p", "matcue", "status")),
        (5.0, "resume", lambda: playerctl(session_bus, "-p", "matcue", "play-pause")),
        (5.1, "playing", lambda: playerctl(session_bus, "-p", "matcue", "status")),
        (11.0, "stop", lambda: playerctl(session_bus, "-p", "matcue", "stop")),
    ]

    def heard(take: Take) -> None:
        assert take.code == 0, take.stderr
        assert (take.answer("status"), take.answer("playing")) == ("Paused", "Playing")
        lag, paused, resumed = take.lag, take.when("pause"), take.when("resume")
        level = QUIET * float(np.abs(take.recording.astype(np.float64)).max())
        gap = take.recording[take.at(lag + paused + QUIET_WITHIN) : take.at(lag + resumed)]
        sounding = bursts(np.where(np.abs(gap) >= level, gap, 0), take.rate, fraction=0.0001)
        assert sum(b.duration for b in sounding) <= 0.15, sounding  # at most the pause tone
        tl = reference.timeline
        phase = tl.phases[tp.phase_index(tl, paused)]
        found = find(take, reference, phase.t, 1.5, lag + resumed, lag + resumed + 8.0)
        after = found.start - (lag + resumed)
        print(f"resume: the phase began {after:.3f} s after the call (r={found.r:.2f})")
        assert found.r >= MATCH, found
        assert 1.5 <= after <= 5.0, found  # after "Resuming. Three. Two. One."

    take = lambda: media_play(recorder, env, script)  # noqa: E731
    clean_take(take, ATTEMPTS, heard, before_retry=forget(tmp_path / "data"))
    assert [s["ending"] for s in history(env)] == ["quit"]


def test_next_jumps_the_title_follows_and_stop_saves_the_place(
    reference: Reference,
    recorder: Callable[[], Recording],
    session_bus: SessionBus,
    tmp_path: Path,
) -> None:
    env = {
        **reference.env,
        "DBUS_SESSION_BUS_ADDRESS": session_bus.address,
        "MATCUE_DATA_DIR": str(tmp_path / "data"),
    }
    tl = reference.timeline
    client = Client(session_bus.address)
    script: list[Step] = [
        (0.5, "signals before", client.drain),
        (2.0, "next", lambda: client.call("Next")),
        (2.05, "title", lambda: client.get("Metadata")["xesam:title"][1]),
        (2.1, "signals", client.drain),
        (3.5, "playerctl next", lambda: playerctl(session_bus, "-p", "matcue", "next")),
        (3.6, "title 2", lambda: playerctl(session_bus, "-p", "matcue", "metadata", "title")),
        (4.5, "stop", lambda: client.call("Stop")),
    ]

    def heard(take: Take) -> None:
        assert take.code == 0, take.stderr
        assert take.answer("title") == "Tilt"
        assert take.answer("title 2") == "Knee hug"
        members = [name for name, _ in take.answer("signals")]
        assert "Seeked" in members, take.answer("signals")
        for name, body in take.answer("signals"):
            if name == "PropertiesChanged":
                assert "Position" not in body[1]
        lag, skipped = take.lag, take.when("next")
        first = tp.exercise_start(tl, 1)  # "Next: Tilt."
        found = find(take, reference, first, 1.2, lag + skipped, lag + skipped + 4.0)
        after = found.start - (lag + skipped)
        print(f"next: the exercise began {after:.3f} s after the call (r={found.r:.2f})")
        assert found.r >= MATCH, found
        assert after <= 0.8, found  # the confirmation tone, then the exercise

    try:
        data = tmp_path / "data"
        clean_take(
            lambda: media_play(recorder, env, script), ATTEMPTS, heard, before_retry=forget(data)
        )
    finally:
        client.close()
    assert [s["ending"] for s in history(env)] == ["quit"]


def test_two_players_coexist(reference: Reference, session_bus: SessionBus, tmp_path: Path) -> None:
    env = {
        **reference.env,
        "DBUS_SESSION_BUS_ADDRESS": session_bus.address,
        "MATCUE_DATA_DIR": str(tmp_path / "data"),
    }
    first, _ = start_matcue(["play", str(SHORT_SESSION), "--no-media-keys"], env)
    children = []
    client = Client(session_bus.address)
    try:
        one, line = start_matcue(["play", str(SHORT_SESSION)], env)
        children.append(one)
        two, line2 = start_matcue(["play", str(SHORT_SESSION)], env)
        children.append(two)
        assert line.startswith("Playing") and line2.startswith("Playing"), (line, line2)
        second = f"{NAME}.instance{two.pid}"
        deadline = time.monotonic() + 5
        listed: list[str] = []
        while time.monotonic() < deadline:  # each publishes on a thread of its own
            listed = playerctl(session_bus, "-l").split()
            if {"matcue", f"matcue.instance{two.pid}"} <= set(listed):
                break
            time.sleep(0.05)
        assert sorted(listed) == ["matcue", f"matcue.instance{two.pid}"], listed
        client.call("Pause", second)
        assert client.get("PlaybackStatus", second) == "Paused"
        assert client.get("PlaybackStatus") == "Playing"
        for name in (NAME, second):
            client.call("Stop", name)
        assert [c.wait(timeout=30) for c in children] == [0, 0]
    finally:
        client.close()
        for child in (first, *children):
            if child.poll() is None:
                child.kill()
                child.wait()
    assert first.returncode != 0  # --no-media-keys: nothing stopped it but the kill


class SilentBus:
    """A unix socket that takes connections and never answers."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(str(path))
        self.sock.listen(8)
        self.address = f"unix:path={path}"


@pytest.mark.parametrize("bus", ["unset", "broken", "no such socket", "never answers"])
def test_without_a_bus_it_plays_and_says_nothing(
    reference: Reference, tmp_path: Path, bus: str
) -> None:
    silent = SilentBus(tmp_path / "bus.sock")
    env = {
        **reference.env,
        "MATCUE_DATA_DIR": str(tmp_path / "data"),
        "XDG_RUNTIME_DIR": str(tmp_path),  # no "bus" in it
    }
    if bus != "unset":
        env["DBUS_SESSION_BUS_ADDRESS"] = {
            "broken": "this is not an address",
            "no such socket": f"unix:path={tmp_path / 'none'}",
            "never answers": silent.address,
        }[bus]
    try:
        began = time.monotonic()
        child, line = start_matcue(["play", str(SHORT_SESSION)], env)
        print(f"{bus}: playing after {time.monotonic() - began:.2f} s")
        assert line.startswith("Playing Short session"), line
        time.sleep(1.0)  # past the half second a silent bus gets
        assert child.poll() is None
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=30)
        assert child.returncode == 130
        assert err == "Stopped.\n", err
        if bus == "never answers":  # --debug: one line, and it still plays
            child, line = start_matcue(["--debug", "play", str(SHORT_SESSION)], env)
            time.sleep(1.5)
            assert child.poll() is None, line
            child.send_signal(signal.SIGINT)
            _, err = child.communicate(timeout=30)
            notes = [x for x in without_alsa_notes(err).splitlines() if "media keys" in x]
            assert len(notes) == 1, err
    finally:
        silent.sock.close()
