"""Play a rendered session through simpleaudio, from one buffer, so cues never drift.

simpleaudio plays a buffer on its own thread; we only watch the clock. The position is
``offset + (now() - t0) × rate`` (DESIGN §4): ``is_playing()`` and ``wait_done()`` can report
the end more than a second late, so they never decide timing. ``is_playing()`` is polled only
to notice a device that gave up early and to let the device finish the last block.

Stopping: simpleaudio's ``stop()`` lets the current ALSA write finish and then drains, about
0.2–0.3 s of sound after Ctrl-C. simpleaudio reads straight from our buffer (it does not copy
it), so on an interrupt we first silence the few seconds around the position, then call
``stop()``: what is left to drain is silence, and the sound ends within about 0.1 s. The
silenced frames are put back before ``play`` returns, so the caller's buffer is unchanged.

Faults are one sentence (``AudioDeviceError``). alsa-lib's own lines about them (an underrun,
a failed write when the sound server goes away) would be printed on fd 2 from simpleaudio's
playback thread; :mod:`matcue.outputs.alsa_notes` takes them instead, from the first stream on,
and only ``--debug`` shows them.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from matcue.errors import AudioDeviceError
from matcue.outputs import alsa_notes

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
_POLL = 0.02  # seconds between looks at the clock
_DRAIN_GRACE = 2.0  # seconds the device may take to finish after the buffer's time is up
_EARLY_END = 0.5  # the device stopping this many seconds early means it failed
_SILENCE_BEFORE = 1.0  # on interrupt, seconds before the position to silence (clock slack)
_SILENCE_AFTER = 5.0  # ... and after it (far more than simpleaudio's 0.1 s write block)


class _PlayObject(Protocol):
    def is_playing(self) -> bool: ...
    def stop(self) -> None: ...


@dataclass(frozen=True)
class PlayResult:
    """A session played to its end."""

    frames: int  # frames played (the whole buffer)
    rate: int
    elapsed: float  # seconds by the player's clock from start until the device finished

    @property
    def duration(self) -> float:
        """Seconds of audio played."""
        return self.frames / self.rate


@dataclass(frozen=True)
class Position:
    """Where playback is: ``offset + (now - t0) × rate`` frames into the buffer."""

    t0: float
    rate: int
    offset: int = 0

    def at(self, now: float) -> int:
        return self.offset + math.floor((now - self.t0) * self.rate)


def _simpleaudio() -> ModuleType:
    try:
        import simpleaudio
    except ImportError as err:
        raise AudioDeviceError(NO_SIMPLEAUDIO) from err
    module: ModuleType = simpleaudio
    return module


def _checked(pcm: npt.NDArray[np.int16], rate: int) -> npt.NDArray[np.int16]:
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
    terminal (alsa-lib's own lines go to :mod:`matcue.outputs.alsa_notes`, for the whole
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


def _start(sa: Any, buf: npt.NDArray[np.int16], rate: int) -> _PlayObject:
    alsa_notes.install()  # before the first stream: its playback thread must not print
    with _stderr_captured() as lines:
        try:
            channels = 1 if buf.ndim == 1 else int(buf.shape[1])
            handle: _PlayObject = sa.play_buffer(buf, channels, 2, rate)
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


def _wait_until_idle(
    handle: _PlayObject, now: Callable[[], float], sleep: Callable[[float], object]
) -> None:
    deadline = now() + _DRAIN_GRACE
    while handle.is_playing() and now() < deadline:
        sleep(_POLL)


def _interrupt(
    handle: _PlayObject,
    buf: npt.NDArray[np.int16],
    position: int,
    rate: int,
    now: Callable[[], float],
    sleep: Callable[[float], object],
) -> None:
    """Stop at once: silence what simpleaudio has not handed to the device yet, then stop."""
    lo = max(0, position - math.ceil(_SILENCE_BEFORE * rate))
    hi = min(buf.shape[0], max(lo, position + math.ceil(_SILENCE_AFTER * rate)))
    saved = buf[lo:hi].copy()
    buf[lo:hi] = 0
    try:
        handle.stop()
        _wait_until_idle(handle, now, sleep)
    finally:
        buf[lo:hi] = saved


def play(
    pcm: npt.NDArray[np.int16],
    rate: int,
    *,
    now: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] = time.sleep,
    on_start: Callable[[], object] | None = None,
) -> PlayResult:
    """Play int16 ``pcm`` (mono, or stereo as ``(frames, 2)``) at ``rate`` Hz to the end,
    blocking until the device is done.

    ``on_start`` is called once the device has accepted the buffer (e.g. to say "Playing").

    Ctrl-C (``KeyboardInterrupt``) stops the sound and is raised again. Raises
    ``AudioDeviceError`` when there is no usable output device or it gives up mid-session.
    """
    buf = _checked(pcm, rate)
    frames = int(buf.shape[0])
    if frames == 0:
        return PlayResult(frames=0, rate=rate, elapsed=0.0)  # simpleaudio crashes on empty
    handle = _start(_simpleaudio(), buf, rate)
    clock = Position(t0=now(), rate=rate)
    if on_start is not None:
        on_start()
    position = 0
    try:
        while position < frames and handle.is_playing():
            sleep(min(_POLL, (frames - position) / rate))
            position = clock.at(now())
        stopped_early = position < frames - _EARLY_END * rate
        if not stopped_early:
            _wait_until_idle(handle, now, sleep)
    except BaseException:
        _interrupt(handle, buf, position, rate, now, sleep)
        raise
    if handle.is_playing():
        handle.stop()
    if stopped_early:
        raise AudioDeviceError(DEVICE_LOST)
    return PlayResult(frames=frames, rate=rate, elapsed=now() - clock.t0)
