"""The player, heard: real simpleaudio into the private PulseAudio null sink, recorded by parec.

Every playback runs in a child process started with the fixture's environment (ALSA default ->
the private PulseAudio); this test process never opens an audio device itself.
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

from audio_helpers import active_span, align, bursts, dominant_frequency, onset_errors
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
    result = play(pcm, int(sys.argv[2]), now=now)
except KeyboardInterrupt:
    unchanged = bool(np.array_equal(pcm, original))
    print(json.dumps({"interrupted": True, "unchanged": unchanged}), flush=True)
    sys.exit(130)
except AudioDeviceError as err:
    print(json.dumps({"error": str(err)}), flush=True)
    sys.exit(1)
print(json.dumps({"frames": result.frames, "rate": result.rate, "elapsed": result.elapsed}))
"""


def run_player(
    env: dict[str, str], pcm: npt.NDArray[np.int16], tmp_path: Path, rate: int = RATE
) -> tuple[int, list[dict[str, Any]], str]:
    np.save(tmp_path / "pcm.npy", pcm)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "pcm.npy"), str(rate)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    messages = [json.loads(line) for line in child.stdout.splitlines()]
    return child.returncode, messages, child.stderr


@dataclass(frozen=True)
class Take:
    """One playback, recorded."""

    code: int
    messages: list[dict[str, Any]]
    stderr: str
    recording: npt.NDArray[np.int16]
    interrupted_at: float = 0.0  # time.monotonic() when SIGINT was sent, if it was


UNDERRUN = "underrun occurred"  # ALSA's note when the playback thread did not keep up
ATTEMPTS = 3


def clean_take(take: Callable[[], Take]) -> Take:
    """``take()``, repeated if ALSA reports an underrun.

    When the machine is so busy that the playback thread stalls for more than its 0.1 s
    buffer, the device runs dry and everything after comes late by the stall: a fault of the
    machine, not of the player, and ALSA says so on stderr. Such a take measures nothing.
    """
    for _ in range(ATTEMPTS):
        result = take()
        if UNDERRUN not in result.stderr:
            return result
    pytest.fail(
        f"playback underran in all {ATTEMPTS} attempts (the machine is too busy):\n"
        + result.stderr,
        pytrace=False,
    )


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
def test_every_burst_sounds_on_time_across_the_whole_buffer(
    pulse: PulseServer, recorder: Callable[[], Recording], tmp_path: Path
) -> None:
    tl, sounds, plan = burst_session()
    pcm = render(tl, {}, sounds, RATE)

    def take() -> Take:
        rec = recorder()
        code, messages, stderr = run_player(pulse.env, pcm, tmp_path)
        return Take(code, messages, stderr, rec.stop())

    played = clean_take(take)
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


@pytest.mark.audio
def test_ctrl_c_stops_the_sound_at_once(
    pulse: PulseServer, recorder: Callable[[], Recording], tmp_path: Path
) -> None:
    seconds = 8.0
    t = np.arange(int(seconds * RATE)) / RATE
    pcm = (0.5 * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    np.save(tmp_path / "pcm.npy", pcm)

    def take() -> Take:
        rec = recorder()
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path / "pcm.npy"), str(RATE)],
            env=pulse.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        started = json.loads(child.stdout.readline())
        time.sleep(2.0)
        interrupted_at = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
        messages = [started, *(json.loads(line) for line in out.splitlines())]
        return Take(child.returncode, messages, err, rec.stop(), interrupted_at)

    played = clean_take(take)
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


@pytest.mark.audio
def test_no_audio_server_is_an_audio_device_error(pulse: PulseServer, tmp_path: Path) -> None:
    # ALSA's default still goes to PulseAudio (the fixture's .asoundrc), but nothing listens
    env = {**pulse.env, "PULSE_SERVER": f"unix:{tmp_path / 'nobody' / 'native'}"}
    pcm = np.full(RATE, 1000, dtype=np.int16)
    code, messages, stderr = run_player(env, pcm, tmp_path)
    assert code == 1
    assert messages == [{"error": NO_DEVICE}]
    assert stderr == ""  # ALSA's own complaints are kept off the terminal


@pytest.mark.audio
def test_an_empty_buffer_never_reaches_the_device(pulse: PulseServer, tmp_path: Path) -> None:
    # with no server, touching the device at all would raise AudioDeviceError
    env = {**pulse.env, "PULSE_SERVER": f"unix:{tmp_path / 'nobody' / 'native'}"}
    code, messages, stderr = run_player(env, np.zeros(0, dtype=np.int16), tmp_path)
    assert code == 0, stderr
    assert messages == [{"frames": 0, "rate": RATE, "elapsed": 0.0}]


@pytest.mark.audio
def test_a_device_lost_mid_session_is_an_audio_device_error(
    spare_pulse: PulseServer, tmp_path: Path
) -> None:
    t = np.arange(6 * RATE) / RATE
    np.save(tmp_path / "pcm.npy", (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "pcm.npy"), str(RATE)],
        env=spare_pulse.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    json.loads(child.stdout.readline())  # playing
    time.sleep(1.0)
    spare_pulse.process.kill()
    out, err = child.communicate(timeout=30)
    assert child.returncode == 1, err
    assert "stopped playing before the session ended" in json.loads(out)["error"]


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
