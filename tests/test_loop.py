"""The session loop with a fake sound device: which buffers it plays, after which keys.

The fake "renderer" fills every phase with its own number (phase ``k`` is all ``k + 1``), so a
buffer tells which phase it starts with; spoken answers are all ``-1``. Keys come through a
pipe; the clock is the real one, and each test lasts a second or two.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from matcue.audio.units import seconds_to_frames
from matcue.outputs import session as sess
from matcue.outputs import transport as tp
from matcue.routine import load_routine
from matcue.timeline import ENGLISH, Pace, Timeline, compile

RATE = 8000
ROUTINE = Path(__file__).parent / "routines" / "cli" / "short-session.yaml"
Pcm = npt.NDArray[np.int16]


def speech_len(text: str) -> float:
    return 0.3 * len(text.split())


def compile_at(pace: float) -> Timeline:
    return compile(load_routine(ROUTINE), Pace(percent=pace), speech_len, keys=True)


def render_from(timeline: Timeline, frame: int) -> Pcm:
    total = seconds_to_frames(timeline.duration, RATE)
    out = np.zeros(total, dtype=np.int16)
    for k, phase in enumerate(timeline.phases):
        a = seconds_to_frames(phase.t, RATE)
        b = seconds_to_frames(phase.end, RATE)
        out[a:b] = k + 1
    return out[frame:].copy()


@dataclass
class FakeHandle:
    buf: Pcm
    started: float
    stopped: bool = False

    def is_playing(self) -> bool:
        return not self.stopped and time.monotonic() - self.started < self.buf.shape[0] / RATE

    def stop(self) -> None:
        self.stopped = True


@dataclass
class FakeDevice:
    handles: list[FakeHandle] = field(default_factory=list)

    def play_buffer(self, buf: Pcm, channels: int, width: int, rate: int) -> FakeHandle:
        assert (channels, width, rate) == (1, 2, RATE) and buf.shape[0] > 0
        handle = FakeHandle(np.array(buf), time.monotonic())  # what it held when it started
        self.handles.append(handle)
        return handle

    def stop_all(self) -> None:
        for h in self.handles:
            h.stop()

    def streams(self) -> list[Pcm]:
        """The session's streams (not the confirmation tones, which are all -1)."""
        return [h.buf for h in self.handles if (h.buf > 0).any()]


@pytest.fixture
def device(monkeypatch: pytest.MonkeyPatch) -> FakeDevice:
    fake = FakeDevice()
    monkeypatch.setattr(sess, "_simpleaudio", lambda: fake)
    return fake


said: list[tuple[str, ...]] = []


def say(lines: tuple[str, ...], tick: bool) -> Pcm:
    said.append(lines)
    return np.full(round(0.05 * RATE) * (len(lines) + int(tick)), -1, dtype=np.int16)


def run_session(script: list[tuple[float, bytes]], start: float = 0.0) -> sess.SessionResult:
    said.clear()
    read, write = os.pipe()
    timeline = compile_at(100)
    base = seconds_to_frames(start, RATE)
    track = sess.Track(timeline, render_from(timeline, base), base)
    hooks = sess.Hooks(compile_at, render_from, say, ENGLISH)

    def typist() -> None:
        t0 = time.monotonic()
        for delay, key in script:
            time.sleep(max(0.0, t0 + delay - time.monotonic()))
            os.write(write, key)
        time.sleep(0.5)
        os.close(write)

    threading.Thread(target=typist, daemon=True).start()
    try:
        return sess.Session(track, RATE, hooks, keys_fd=read, start=start).run()
    finally:
        os.close(read)


def first_phase(buf: Pcm) -> int:
    """The phase a stream's session audio starts with (after its spoken prefix)."""
    return int(buf[buf >= 0][0]) - 1


def test_a_pace_key_while_paused_takes_effect_on_resume(device: FakeDevice) -> None:
    result = run_session([(0.3, b" "), (0.5, b"+"), (0.8, b" "), (1.3, b"q")])
    assert result.ending == "quit"
    streams = device.streams()
    assert len(streams) == 2  # the first, and the one after the resume
    old, new = compile_at(100), compile_at(110)
    k = first_phase(streams[1])
    assert k == tp.phase_index(old, 0.3) == 0  # paused in the intro: resumed from its start
    body = streams[1][streams[1] >= 0]
    assert abs(body.shape[0] - seconds_to_frames(new.duration - new.phases[k].t, RATE)) <= 1
    assert ("Pace one hundred ten.", "Resuming.", "Three.", "Two.", "One.") in said
    assert result.timeline.pace.percent == 110


def test_back_from_a_later_start_renders_what_came_before(device: FakeDevice) -> None:
    tl = compile_at(100)
    start = tp.exercise_start(tl, 2)
    result = run_session([(0.3, b"b"), (0.6, b"b"), (1.0, b"q")], start=start)
    assert result.ending == "quit"
    streams = device.streams()
    index = {p.t: k for k, p in enumerate(tl.phases)}
    assert [first_phase(s) for s in streams] == [
        index[start],  # --from 2
        index[start],  # back: the start of this exercise
        index[tp.exercise_start(tl, 1)],  # twice quickly: the one before
    ]
    assert tp.exercise_at(result.timeline, result.position) == 1


def test_the_session_track_is_left_as_it_was(device: FakeDevice) -> None:
    """Stopping silences the buffer simpleaudio reads; the frames are put back afterwards."""
    timeline = compile_at(100)
    pcm = render_from(timeline, 0)
    original = pcm.copy()
    read, write = os.pipe()
    os.write(write, b" ")  # pause at once ...
    hooks = sess.Hooks(compile_at, render_from, say, ENGLISH)
    session = sess.Session(sess.Track(timeline, pcm), RATE, hooks, keys_fd=read)

    def later() -> None:
        time.sleep(0.4)
        os.write(write, b"x")  # ... then the pain stop
        os.close(write)

    threading.Thread(target=later, daemon=True).start()
    try:
        result = session.run()
    finally:
        os.close(read)
    assert result.ending == "pain"
    assert device.handles[0].stopped
    assert np.array_equal(pcm, original)


@dataclass
class LiveHandle(FakeHandle):
    """A handle that also keeps the buffer simpleaudio reads, as it was when stopped."""

    live: Pcm | None = None
    at_stop: Pcm | None = None

    def stop(self) -> None:
        if not self.stopped and self.live is not None:
            self.at_stop = self.live.copy()
        self.stopped = True


@dataclass
class StereoDevice(FakeDevice):
    channels: list[int] = field(default_factory=list)

    def play_buffer(self, buf: Pcm, channels: int, width: int, rate: int) -> FakeHandle:
        assert (width, rate) == (2, RATE) and buf.shape[0] > 0
        assert channels == (1 if buf.ndim == 1 else buf.shape[1])
        self.channels.append(channels)
        handle = LiveHandle(np.array(buf), time.monotonic(), live=buf)
        self.handles.append(handle)
        return handle


def test_a_stereo_session_counts_frames_and_silences_both_ears(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With ``--stereo`` the track is ``(frames, 2)``: the position is in frames (not
    samples), a pause silences both channels, and the spoken prefix (mono here) is put in
    both ears of the stream that resumes."""
    device = StereoDevice()
    monkeypatch.setattr(sess, "_simpleaudio", lambda: device)

    def stereo_from(timeline: Timeline, frame: int) -> Pcm:
        mono = render_from(timeline, frame)
        return np.stack([mono, mono * 2], axis=1)

    timeline = compile_at(100)
    pcm = stereo_from(timeline, 0)
    original = pcm.copy()
    read, write = os.pipe()
    hooks = sess.Hooks(compile_at, stereo_from, say, ENGLISH)
    session = sess.Session(sess.Track(timeline, pcm), RATE, hooks, keys_fd=read)
    said.clear()

    def typist() -> None:
        for delay, key in ((0.4, b" "), (0.3, b" "), (0.5, b"q")):
            time.sleep(delay)
            os.write(write, key)
        time.sleep(0.5)
        os.close(write)

    threading.Thread(target=typist, daemon=True).start()
    try:
        result = session.run()
    finally:
        os.close(read)
    assert result.ending == "quit"
    first, *rest = [h for h in device.handles if h.buf.ndim == 2]
    assert first.buf.shape == pcm.shape
    assert isinstance(first, LiveHandle) and first.at_stop is not None
    # paused at about 0.4 s: frames around there are silent in both ears when stopped
    at = seconds_to_frames(0.4, RATE)
    window = first.at_stop[at - RATE // 20 : at + RATE // 20]
    assert window.shape[1] == 2 and not window.any()
    after = at + seconds_to_frames(sess._SILENCE_AFTER + 0.2, RATE)  # well after: untouched
    assert after < pcm.shape[0] and np.array_equal(first.at_stop[after:], pcm[after:])
    # resumed: "Resuming. Three. Two. One." in both ears, then the phase from its start
    resumed = rest[0].buf
    assert resumed.ndim == 2 and (resumed[:, 0] == -1).any()
    prefix = resumed[resumed[:, 0] < 0]
    assert np.array_equal(prefix[:, 0], prefix[:, 1])
    body = resumed[resumed[:, 0] >= 0]
    assert np.array_equal(body[:, 1], body[:, 0] * 2)
    # the quit position is in seconds of the timeline (frames / rate, not samples / rate)
    assert 0.1 <= result.position <= 1.2, result.position
    assert set(device.channels) <= {1, 2}
    assert np.array_equal(pcm, original)  # the track is left as it was
