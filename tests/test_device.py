"""The real device (simpleaudio through ALSA into the private PulseAudio), at its edges: what it
refuses before the device, and one sentence with a quiet terminal when there is no server.

Playback itself is heard in the smoke tests (tests/test_e2e_play.py, tests/test_e2e_keys.py);
the session loop's behaviour in virtual time (tests/test_loop.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from conftest import PulseServer
from matcue.playback.device import NO_DEVICE, Simpleaudio, checked

RATE = 48000

CHILD = """
import sys
import numpy as np
from matcue.errors import AudioDeviceError
from matcue.playback.device import Simpleaudio
try:
    Simpleaudio().play(np.full(4800, 1000, dtype=np.int16), 48000)
except AudioDeviceError as err:
    print(err)
    sys.exit(1)
"""


@pytest.mark.audio
def test_no_audio_server_is_one_sentence_and_alsa_says_nothing(
    pulse: PulseServer, tmp_path: Path
) -> None:
    # ALSA's default still goes to PulseAudio (the fixture's .asoundrc), but nothing listens
    env = {**pulse.env, "PULSE_SERVER": f"unix:{tmp_path / 'nobody' / 'native'}"}
    child = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60
    )
    assert child.returncode == 1
    assert child.stdout == NO_DEVICE + "\n"
    assert child.stderr == ""  # ALSA's own complaints are kept off the terminal


STEREO = """
import time
import numpy as np
from matcue.playback.device import Simpleaudio
t = np.arange(24000) / 48000
left = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
handle = Simpleaudio().play(np.ascontiguousarray(np.stack([left, 0 * left], axis=1)), 48000)
deadline = time.monotonic() + 10
while handle.is_playing() and time.monotonic() < deadline:
    time.sleep(0.02)
print("done" if not handle.is_playing() else "still playing")
"""


@pytest.mark.audio
def test_the_device_plays_a_stereo_buffer(pulse: PulseServer) -> None:
    child = subprocess.run(
        [sys.executable, "-c", STEREO], env=pulse.env, capture_output=True, text=True, timeout=60
    )
    assert (child.returncode, child.stdout, child.stderr) == (0, "done\n", "")


def test_an_empty_buffer_is_refused_before_the_device() -> None:
    with pytest.raises(ValueError, match="empty buffer"):
        Simpleaudio().play(np.zeros(0, dtype=np.int16), RATE)


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
        checked(pcm, rate)


def test_a_buffer_the_loop_may_silence_is_used_as_it_is() -> None:
    pcm = np.zeros(10, dtype=np.int16)
    assert checked(pcm, RATE) is pcm  # silencing in place reaches what the device reads
    view = pcm[::2]
    copy = checked(view, RATE)
    assert copy is not view and copy.flags.c_contiguous
