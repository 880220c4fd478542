"""The sound device: the only module that talks to simpleaudio.

The session loop (:mod:`matcue.playback.loop`) plays through a :class:`Device`: anything with
``play(buf, rate) -> Handle``. The real one is :class:`Simpleaudio`; tests pass a fake that
records what would be heard, in virtual time.

simpleaudio plays a buffer on its own thread and reads straight from our memory (it does not
copy it). ``is_playing()`` and ``wait_done()`` can report the end more than a second late
(DESIGN §4), so they never decide timing: the loop keeps time by its clock. ``stop()`` lets the
current ALSA write finish and then drains, about 0.2–0.3 s of sound; the loop therefore first
silences the frames around the position in the buffer, so what drains is silence.

Faults are one sentence (``AudioDeviceError``). alsa-lib's own lines about them (an underrun,
a failed write when the sound server goes away) would be printed on fd 2 from simpleaudio's
playback thread; :mod:`matcue.playback.alsa_notes` takes them instead, from the first stream on,
and only ``--debug`` shows them.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from types import ModuleType
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from matcue.errors import AudioDeviceError
from matcue.playback import alsa_notes

Pcm = npt.NDArray[np.int16]

NO_DEVICE = (
    "No audio output device is available; connect speakers or headphones, "
    "or write the session to a file with `matcue export`."
)
DEVICE_LOST = (
    "The audio output device stopped playing before the session ended; check your speakers "
    "or headphones, or write the session to a file with `matcue export`."
)
NO_SIMPLEAUDIO = (
    "Playing sound needs the simpleaudio package, which is not installed; reinstall matcue, "
    "or write the session to a file with `matcue export`."
)

SUPPORTED_RATES = frozenset(
    {8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 192000}
)
"""The sample rates simpleaudio accepts."""

_MAX_BYTES = 2**31 - 1  # simpleaudio counts the buffer's bytes in a C int
POLL = 0.02  # seconds between looks at the clock
DRAIN_GRACE = 2.0  # seconds the device may take to finish after the buffer's time is up
EARLY_END = 0.5  # the device stopping this many seconds early means it failed
SILENCE_BEFORE = 1.0  # on interrupt, seconds before the position to silence (clock slack)
SILENCE_AFTER = 5.0  # ... and after it (far more than simpleaudio's 0.1 s write block)


def _simpleaudio() -> ModuleType:
    try:
        import simpleaudio
    except ImportError as err:
        raise AudioDeviceError(NO_SIMPLEAUDIO) from err
    module: ModuleType = simpleaudio
    return module


def checked(pcm: npt.NDArray[np.int16], rate: int) -> npt.NDArray[np.int16]:
    """A buffer simpleaudio can read and we may silence in place (copied only if we must)."""
    if rate not in SUPPORTED_RATES:
        rates = ", ".join(str(r) for r in sorted(SUPPORTED_RATES))
        raise ValueError(f"cannot play at {rate} Hz; the player supports {rates}")
    if pcm.dtype != np.int16 or not (pcm.ndim == 1 or (pcm.ndim == 2 and pcm.shape[1] == 2)):
        raise ValueError(
            f"the player needs mono or stereo int16 samples, got {pcm.dtype} {pcm.shape}"
        )
    if pcm.nbytes > _MAX_BYTES:
        hours = pcm.shape[0] / rate / 3600
        raise ValueError(f"a {hours:.1f}-hour session is too long to play in one piece")
    if pcm.flags.c_contiguous and pcm.flags.writeable:
        return pcm
    return np.array(pcm, dtype=np.int16, order="C", copy=True)


@contextlib.contextmanager
def _stderr_captured() -> Iterator[list[str]]:
    """Keep what the sound libraries print on fd 2 while a stream opens out of the user's
    terminal (alsa-lib's own lines go to :mod:`matcue.playback.alsa_notes`, for the whole
    session; this is for anything else, while the device is being opened).

    The lines are collected, so a failure can carry them as a note for ``--debug``.
    """
    lines: list[str] = []
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield lines
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(sink.read().decode("utf-8", "replace").splitlines())


def _start(sa: Any, buf: npt.NDArray[np.int16], rate: int) -> Handle:
    alsa_notes.install()  # before the first stream: its playback thread must not print
    with _stderr_captured() as lines:
        try:
            channels = 1 if buf.ndim == 1 else int(buf.shape[1])
            handle: Handle = sa.play_buffer(buf, channels, 2, rate)
            return handle
        except Exception as err:
            failure = err
        except BaseException:  # Ctrl-C while starting: we may not have a handle to stop
            with contextlib.suppress(Exception):
                sa.stop_all()
            raise
    for line in lines:
        failure.add_note(line)
    raise AudioDeviceError(NO_DEVICE) from failure


class Handle(Protocol):
    """One buffer playing on the device."""

    def is_playing(self) -> bool: ...
    def stop(self) -> None: ...


class Device(Protocol):
    """Where sound goes: ``play`` starts ``buf`` (int16, mono or ``(frames, 2)``) at once and
    returns its handle. It may read ``buf`` until the handle stops playing."""

    def play(self, buf: Pcm, rate: int) -> Handle: ...


class Simpleaudio:
    """The real device: simpleaudio through ALSA (to PulseAudio or PipeWire where they run).

    Made lazily: importing simpleaudio happens here, so a missing package is one sentence."""

    def __init__(self) -> None:
        self._sa = _simpleaudio()

    def play(self, buf: Pcm, rate: int) -> Handle:
        if buf.shape[0] == 0:
            raise ValueError("simpleaudio crashes on an empty buffer; never play one")
        return _start(self._sa, checked(buf, rate), rate)
