"""Background music: decoded once, mixed under the session, ducked while the voice speaks.

The file is decoded with soundfile, mixed down to mono, resampled to the session's rate by
linear interpolation (numpy only) and brought to a modest level: its RMS at ``MUSIC_RMS_DB``
with its peak at most ``MUSIC_PEAK_DB``. The renderer loops it (or cuts it) to the session's
length and lowers it by ``DUCK_DB`` while any spoken line sounds, with ``DUCK_RAMP`` ramps
that finish before the line starts and begin after it ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from matcue.audio.files import mono, quiet_stderr, resample, soundfile_module
from matcue.audio.units import db_to_gain
from matcue.errors import InputError

MUSIC_RMS_DB = -30.0
"""The music's RMS level in dBFS between spoken lines (the voice sits near -16 LUFS)."""
MUSIC_PEAK_DB = -14.0
"""The music's sample peak never passes this, whatever its RMS."""
DUCK_DB = -12.0
"""How much the music is lowered while the voice speaks."""
DUCK_RAMP = 0.15
"""Seconds of each ramp down before a line and up after it."""
MAX_MUSIC_SECONDS = 3 * 3600.0


@dataclass(frozen=True, eq=False)
class Music:
    """One loop of the music: mono float32 at ``rate``, already at its mix level."""

    samples: npt.NDArray[np.float32]
    rate: int

    @property
    def peak(self) -> float:
        return float(np.max(np.abs(self.samples))) if self.samples.size else 0.0

    def block(self, start: int, frames: int) -> npt.NDArray[np.float32]:
        """Frames ``[start, start + frames)`` of the music looped forever."""
        n = self.samples.shape[0]
        if n == 0 or frames <= 0:
            return np.zeros(max(frames, 0), dtype=np.float32)
        index = (np.arange(start, start + frames) % n).astype(np.intp)
        out: npt.NDArray[np.float32] = self.samples[index]
        return out


def level(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``samples`` at the music's mix level (silence stays silence)."""
    if samples.size == 0:
        return samples
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    peak = float(np.max(np.abs(samples)))
    if rms <= 1e-9 or peak <= 0:
        return np.zeros_like(samples)
    gain = min(db_to_gain(MUSIC_RMS_DB) / rms, db_to_gain(MUSIC_PEAK_DB) / peak)
    return (samples * np.float32(gain)).astype(np.float32)


def load_music(path: Path, rate: int) -> Music:
    """Decode ``path`` for mixing at ``rate`` Hz; InputError (one sentence) if it cannot be."""
    sf = soundfile_module()
    if path.is_dir():
        raise InputError(f"the music {path} is a folder; give an audio file in it")
    if not path.is_file():
        raise InputError(f"there is no music file {path}; give an existing audio file")
    try:
        with quiet_stderr(), sf.SoundFile(str(path)) as f:
            file_rate = int(f.samplerate)
            if f.frames > MAX_MUSIC_SECONDS * file_rate:
                raise InputError(f"the music file {path} is longer than three hours")
            data = f.read(dtype="float32", always_2d=True)
    except InputError:
        raise
    except Exception:  # libsndfile: unknown format, corrupt file, unreadable
        raise InputError(
            f"cannot read the music file {path}: it is not audio that matcue can decode "
            "(use WAV, FLAC, Ogg or MP3)"
        ) from None
    if data.shape[0] == 0 or file_rate <= 0:
        raise InputError(f"the music file {path} holds no sound")
    channel = np.nan_to_num(mono(data), nan=0.0, posinf=0.0, neginf=0.0)
    samples = level(resample(np.ascontiguousarray(channel), file_rate, rate))
    return Music(samples=samples, rate=rate)


def duck_envelope(
    start: int, frames: int, speech: list[tuple[int, int]], rate: int
) -> npt.NDArray[np.float32]:
    """Gains for frames ``[start, start + frames)``: 1 between lines, ``DUCK_DB`` while a
    line ``[a, b)`` of ``speech`` sounds, with linear ramps just outside each line."""
    env = np.ones(frames, dtype=np.float32)
    low = db_to_gain(DUCK_DB)
    ramp = max(1, math.ceil(DUCK_RAMP * rate))
    stop = start + frames
    for a, b in speech:
        if b + ramp <= start or a - ramp >= stop:
            continue
        t = np.arange(start, stop, dtype=np.float64)
        # 1 far from the line, low inside it, linear over `ramp` frames on either side
        before = np.clip((a - t) / ramp, 0.0, 1.0)
        after = np.clip((t - (b - 1)) / ramp, 0.0, 1.0)
        distance = np.maximum(before, after)
        gains = (low + (1.0 - low) * distance).astype(np.float32)
        np.minimum(env, gains, out=env)
    return env
