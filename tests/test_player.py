"""The player, heard: real simpleaudio into the private PulseAudio null sink, recorded by parec.

Every playback runs in a child process started with the fixture's environment (ALSA default ->
the private PulseAudio); this test process never opens an audio device itself. The child
reports, last, how many underruns alsa-lib reported to the player (``alsa_notes``).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from audio_helpers import (
    PLAYING_TIMEOUT,
    RIDE_OUT_STALLS,
    active_span,
    align,
    bursts,
    clean_take,
    dominant_frequency,
    onset_errors,
)
from conftest import PulseServer, Recording
from matcue.audio.render import render
from matcue.outputs.player import play
from matcue.timeline.model import Cue, Pace, Timeline
from matcue.voice.base import Clip

RATE = 48000
TOLERANCE = 0.020  # seconds: how close every onset must be to its planned time
NO_DEVICE = (
    "No audio output device is available; connect speakers or headphones, "
    "or write the session to a file with `matcue export`."
)

CHILD = """
import json, sys, time
import numpy as np
from matcue.errors import AudioDeviceError
from matcue.outputs import alsa_notes
from matcue.outputs.player import play

pcm = np.load(sys.argv[1])
original = pcm.copy()
started = []

def now():
    t = time.monotonic()
    if not started:  # the player reads its clock first right after the sound starts
        started.append(t)
        print(json.dumps({"started": t}), flush=True)
    return t

try:
    try:
        result = play(pcm, int(sys.argv[2]), now=now)
    except KeyboardInterrupt:
        unchanged = bool(np.array_equal(pcm, original))
        print(json.dumps({"interrupted": True, "unchanged": unchanged}), flush=True)
        sys.exit(130)
    except AudioDeviceError as err:
        print(json.dumps({"error": str(err)}), flush=True)
        sys.exit(1)
    print(json.dumps({"frames": result.frames, "rate": result.rate, "elapsed": result.elapsed}))
finally:
    print(json.dumps({"underruns": alsa_notes.underruns()}), flush=True)
"""


def parse(lines: list[str]) -> tuple[list[dict[str, Any]], int]:
    """The child's messages, and the underruns it reported last."""
    messages = [json.loads(line) for line in lines]
    assert messages and set(messages[-1]) == {"underruns"}, lines
    return messages[:-1], messages[-1]["underruns"]


def run_player(
    env: dict[str, str], pcm: npt.NDArray[np.int16], tmp_path: Path, rate: int = RATE
) -> tuple[int, list[dict[str, Any]], str, int]:
    """Play ``pcm`` in a child: its exit code, messages, stderr and underruns."""
    np.save(tmp_path / "pcm.npy", pcm)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "pcm.npy"), str(rate)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    messages, underruns = parse(child.stdout.splitlines())
    return child.returncode, messages, child.stderr, underruns


def start_player(
    env: dict[str, str], pcm: npt.NDArray[np.int16], tmp_path: Path
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Play ``pcm`` in a child, returning once the sound has started: the child, and its first
    message (when it started)."""
    np.save(tmp_path / "pcm.npy", pcm)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "pcm.npy"), str(RATE)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    started: dict[str, Any] = json.loads(child.stdout.readline())
    return child, started


@dataclass(frozen=True)
class Take:
    """One playback, recorded."""

    code: int
    messages: list[dict[str, Any]]
    stderr: str
    recording: npt.NDArray[np.int16]
    underruns: int  # as alsa-lib reported them to the player
    interrupted_at: float = 0.0  # time.monotonic() when SIGINT was sent, if it was


ATTEMPTS = 4


def clean(take: Callable[[], Take], check: Callable[[Take], object]) -> Take:
    """The first ``take()`` that passes ``check``; one that fails it while the machine
    disturbed it (alsa-lib reported an underrun to the player, or the CPU time was stolen) is
    played again (see ``audio_helpers.clean_take``)."""
    return clean_take(take, ATTEMPTS, check, underruns=lambda t: t.underruns)


def burst_session() -> tuple[Timeline, dict[str, Clip], list[tuple[float, float]]]:
    """Eight tone bursts of distinct pitch at uneven times over ten seconds."""
    plan = [(0.5, 330.0), (1.3, 440.0), (2.05, 550.0), (3.4, 660.0)]
    plan += [(4.75, 770.0), (6.2, 880.0), (7.9, 990.0), (9.45, 1100.0)]
    t = np.arange(int(0.25 * RATE)) / RATE
    sounds = {
        f"b{i}": Clip((0.8 * np.sin(2 * np.pi * f * t)).astype(np.float32), RATE)
        for i, (_, f) in enumerate(plan)
    }
    cues = tuple(Cue(t=at, dur=0.25, kind="tone", sound=f"b{i}") for i, (at, _) in enumerate(plan))
    return Timeline("test", "Bursts", Pace(), 10.0, (), (), cues), sounds, plan


@pytest.mark.audio
@pytest.mark.timeout(PLAYING_TIMEOUT)  # it waits for calm and may play four takes
def test_every_burst_sounds_on_time_across_the_whole_buffer(
    pulse: PulseServer, recorder: Callable[[], Recording], tmp_path: Path
) -> None:
    tl, sounds, plan = burst_session()
    pcm = render(tl, {}, sounds, RATE)

    def take() -> Take:
        rec = recorder()
        # timing only: a buffer that rides out the machine's stalls (align() takes its latency out)
        env = {**pulse.env, **RIDE_OUT_STALLS}
        code, messages, stderr, underruns = run_player(env, pcm, tmp_path)
        return Take(code, messages, stderr, rec.stop(), underruns)

    def on_time(played: Take) -> None:
        assert played.code == 0, played.stderr
        result = played.messages[-1]
        assert (result["frames"], result["rate"]) == (pcm.shape[0], RATE)
        assert result["elapsed"] >= 10.0 - TOLERANCE  # it waited for the whole buffer

        recording = played.recording
        lag = align(pcm, recording, RATE)
        assert lag > 0  # the recording began before the sound
        heard = bursts(recording, RATE)
        assert len(heard) == len(plan)
        errors = onset_errors([at for at, _ in plan], recording, RATE, lag)
        assert max(abs(e) for e in errors) <= TOLERANCE, errors
        for burst, (_, freq) in zip(heard, plan, strict=True):
            start = round(burst.start * RATE)
            segment = recording[start : start + round(0.2 * RATE)]
            assert dominant_frequency(segment, RATE) == pytest.approx(freq, abs=10)

        span, planned = active_span(recording, RATE), active_span(pcm, RATE)
        assert abs(span.duration - planned.duration) <= TOLERANCE

    clean(take, on_time)


@pytest.mark.audio
@pytest.mark.timeout(PLAYING_TIMEOUT)  # it waits for calm and may play four takes
def test_ctrl_c_stops_the_sound_at_once(
    pulse: PulseServer, recorder: Callable[[], Recording], tmp_path: Path
) -> None:
    seconds = 8.0
    t = np.arange(int(seconds * RATE)) / RATE
    pcm = (0.5 * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)

    def take() -> Take:
        rec = recorder()
        child, started = start_player(pulse.env, pcm, tmp_path)
        time.sleep(2.0)
        interrupted_at = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
        messages, underruns = parse(out.splitlines())
        return Take(
            child.returncode, [started, *messages], err, rec.stop(), underruns, interrupted_at
        )

    def stopped_at_once(played: Take) -> None:
        assert played.code == 130, played.stderr
        assert played.stderr == ""
        started, outcome = played.messages
        assert outcome == {"interrupted": True, "unchanged": True}
        heard = active_span(played.recording, RATE)
        # where the recording was when SIGINT was sent: the sound's start + time played by then
        signalled = heard.start + (played.interrupted_at - started["started"])
        assert heard.end - signalled <= 0.300
        assert heard.end - signalled >= -TOLERANCE  # it played right up to the signal
        assert heard.duration < seconds - 4.0

    clean(take, stopped_at_once)


@pytest.mark.audio
def test_no_audio_server_is_an_audio_device_error(pulse: PulseServer, tmp_path: Path) -> None:
    # ALSA's default still goes to PulseAudio (the fixture's .asoundrc), but nothing listens
    env = {**pulse.env, "PULSE_SERVER": f"unix:{tmp_path / 'nobody' / 'native'}"}
    pcm = np.full(RATE, 1000, dtype=np.int16)
    code, messages, stderr, _ = run_player(env, pcm, tmp_path)
    assert code == 1
    assert messages == [{"error": NO_DEVICE}]
    assert stderr == ""  # ALSA's own complaints are kept off the terminal


@pytest.mark.audio
def test_an_empty_buffer_never_reaches_the_device(pulse: PulseServer, tmp_path: Path) -> None:
    # with no server, touching the device at all would raise AudioDeviceError
    env = {**pulse.env, "PULSE_SERVER": f"unix:{tmp_path / 'nobody' / 'native'}"}
    code, messages, stderr, _ = run_player(env, np.zeros(0, dtype=np.int16), tmp_path)
    assert code == 0, stderr
    assert messages == [{"frames": 0, "rate": RATE, "elapsed": 0.0}]


@pytest.mark.audio
def test_a_device_lost_mid_session_is_an_audio_device_error(
    spare_pulse: PulseServer, tmp_path: Path
) -> None:
    t = np.arange(6 * RATE) / RATE
    pcm = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    child, _ = start_player(spare_pulse.env, pcm, tmp_path)
    time.sleep(1.0)
    spare_pulse.process.kill()
    out, err = child.communicate(timeout=30)
    assert child.returncode == 1, err
    (message,), _ = parse(out.splitlines())
    assert "stopped playing before the session ended" in message["error"]
    assert err == ""  # alsa-lib's notes on the failed writes are the player's, not the terminal's


@pytest.mark.parametrize(
    ("pcm", "rate", "message"),
    [
        (np.zeros(10, dtype=np.int16), 12345, "cannot play at 12345 Hz"),
        (np.zeros(10, dtype=np.float32), RATE, "mono or stereo int16"),
        (np.zeros((10, 3), dtype=np.int16), RATE, "mono or stereo int16"),  # stereo plays
    ],
)
def test_unplayable_buffers_are_rejected_before_the_device(
    pcm: npt.NDArray[Any], rate: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        play(pcm, rate)
