"""A music file read in blocks: mixed down to mono and resampled to the session's rate as it is
read, so that memory stays small whatever the file's length, rate and channels.

The samples are the ones :func:`matcue.audio.files.mono` and :func:`~matcue.audio.files.resample`
give for the whole file at once, frame for frame: each output frame is interpolated from the same
two source frames at the same position (``index * file_rate / rate``).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import numpy.typing as npt

from matcue.audio.files import mono

READ_FRAMES = 1 << 16
"""Source frames decoded at a time (at 96 kHz and 8 channels, 2 MB of float32)."""


def resampled_frames(frames: int, file_rate: int, rate: int) -> int:
    """The length at ``rate`` of ``frames`` at ``file_rate``, as :func:`resample` makes it."""
    return frames if file_rate == rate else round(frames * rate / file_rate)


class MusicReader:
    """One open music file (a ``soundfile.SoundFile``), read as mono at ``rate``; frames are
    numbered at ``rate``. Reading where the last read stopped decodes on without seeking; reads
    are serialised, so one reader serves any thread."""

    def __init__(self, sound: Any, rate: int) -> None:
        self.sound = sound
        self.file_rate = int(sound.samplerate)
        self.file_frames = int(sound.frames)
        self.rate = rate
        self.frames = resampled_frames(self.file_frames, self.file_rate, rate)
        self._lock = threading.Lock()
        self._start = 0  # source frame of _held[0]; the file is positioned at its end
        self._held: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)
        self.sound.seek(0)

    def _source(self, lo: int, hi: int) -> npt.NDArray[np.float32]:
        """Source frames ``[lo, hi)``, mono, non-finite samples as 0."""
        end = self._start + self._held.size
        if not self._start <= lo <= end:
            self.sound.seek(lo)
            self._start, self._held, end = lo, np.zeros(0, dtype=np.float32), lo
        if hi > end:
            parts = [self._held[lo - self._start :]]
            while end < hi:
                data = self.sound.read(
                    max(min(READ_FRAMES, self.file_frames - end), 0),
                    dtype="float32",
                    always_2d=True,
                )
                if data.shape[0] == 0:
                    break  # the file ended early (a header that promised more)
                parts.append(np.nan_to_num(mono(data), nan=0.0, posinf=0.0, neginf=0.0))
                end += data.shape[0]
            self._start, self._held = lo, np.concatenate(parts).astype(np.float32, copy=False)
        return self._held[lo - self._start : hi - self._start]

    def read(self, start: int, stop: int) -> npt.NDArray[np.float32]:
        """Frames ``[start, stop)`` at ``rate`` (within ``0..frames``), mono float32."""
        if stop <= start:
            return np.zeros(0, dtype=np.float32)
        with self._lock:
            if self.file_rate == self.rate:
                got = self._source(start, stop)
                return np.array(got, dtype=np.float32)
            positions = np.arange(start, stop, dtype=np.float64) * (self.file_rate / self.rate)
            lo = int(positions[0])
            hi = min(self.file_frames, int(positions[-1]) + 2)
            source = self._source(lo, hi)
            where = np.arange(lo, lo + source.size, dtype=np.float64)
            if source.size == 0:
                return np.zeros(stop - start, dtype=np.float32)
            out = np.interp(positions, where, source.astype(np.float64))
            return out.astype(np.float32)

    def close(self) -> None:
        with self._lock:
            self.sound.close()
