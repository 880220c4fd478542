"""Background music: read in blocks, mixed under the session, ducked while the voice speaks.

The file is decoded with soundfile in blocks, mixed down to mono and resampled to the session's
rate by linear interpolation (numpy only) as it is read (:mod:`matcue.audio.music_file`), and
brought to a modest level: its RMS at ``MUSIC_RMS_DB`` with its peak at most ``MUSIC_PEAK_DB``.
Music of up to ``HELD_SECONDS`` (at the session's rate) is held in memory, levelled as a whole;
longer music stays in its file and is decoded again as the session plays it, levelled by the
part the session needs (its first ``frames``), so memory stays small whatever the file. When a
live pace change makes the session longer, :func:`reach` measures the music it now plays too:
the gain only ever goes down (a louder part ahead is brought to the same limits, a quieter one
plays at the level already heard). The renderer loops it (or cuts it) to the session's length
and lowers it by ``DUCK_DB`` while any spoken line sounds, with ``DUCK_RAMP`` ramps that finish
before the line starts and begin after it ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from matcue.audio.files import quiet_stderr, soundfile_module
from matcue.audio.music_file import MusicReader
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
HELD_SECONDS = 5 * 60.0
"""Music up to this long is held in memory (at 22,050 Hz, 5.3 MB a minute, and twice that in
float64 while it is levelled)."""
READ_FRAMES = 1 << 16
"""Frames (at the session's rate) levelled or copied at a time when the music is read."""


@dataclass(frozen=True)
class Streamed:
    """Music that stays in its file: the open reader, and its gain and levelled peak."""

    reader: MusicReader
    gain: float
    peak: float
    measured: int  # the frames (from the start) the gain was measured over


@dataclass(frozen=True, eq=False)
class Music:
    """One loop of the music, mono float32 at ``rate`` at its mix level: ``samples`` when held
    in memory, else read from ``streamed`` as it is played."""

    samples: npt.NDArray[np.float32]
    rate: int
    streamed: Streamed | None = None

    @property
    def frames(self) -> int:
        """The length of one loop."""
        return self.streamed.reader.frames if self.streamed else int(self.samples.shape[0])

    @property
    def peak(self) -> float:
        if self.streamed is not None:
            return self.streamed.peak
        return float(np.max(np.abs(self.samples))) if self.samples.size else 0.0

    def block(self, start: int, frames: int) -> npt.NDArray[np.float32]:
        """Frames ``[start, start + frames)`` of the music looped forever."""
        n = self.frames
        if n == 0 or frames <= 0:
            return np.zeros(max(frames, 0), dtype=np.float32)
        if self.streamed is None:
            index = (np.arange(start, start + frames) % n).astype(np.intp)
            out: npt.NDArray[np.float32] = self.samples[index]
            return out
        gain = np.float32(self.streamed.gain)
        parts = []
        at, left = start % n, frames
        while left > 0:
            take = min(left, n - at)
            parts.append(self.streamed.reader.read(at, at + take) * gain)
            at, left = 0, left - take
        return np.concatenate(parts).astype(np.float32, copy=False)


def level(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``samples`` at the music's mix level (silence stays silence)."""
    if samples.size == 0:
        return samples
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    gain = _gain(rms, float(np.max(np.abs(samples))))
    if gain == 0.0:
        return np.zeros_like(samples)
    return (samples * np.float32(gain)).astype(np.float32)


def _gain(rms: float, peak: float) -> float:
    """The gain that brings music of this RMS and peak to its mix level (0: silence)."""
    if rms <= 1e-9 or peak <= 0:
        return 0.0
    return min(db_to_gain(MUSIC_RMS_DB) / rms, db_to_gain(MUSIC_PEAK_DB) / peak)


def load_music(path: Path, rate: int, frames: int | None = None) -> Music:
    """Open ``path`` for mixing at ``rate`` Hz under a session of ``frames`` frames (None: as
    long as the music); InputError (one sentence) if it cannot be."""
    sf = soundfile_module()
    if path.is_dir():
        raise InputError(f"the music {path} is a folder; give an audio file in it")
    if not path.is_file():
        raise InputError(f"there is no music file {path}; give an existing audio file")
    reader: MusicReader | None = None
    try:
        with quiet_stderr():
            sound = sf.SoundFile(str(path))
            reader = MusicReader(sound, rate)
            if sound.frames > MAX_MUSIC_SECONDS * reader.file_rate:
                raise InputError(f"the music file {path} is longer than three hours")
            if reader.frames == 0 or reader.file_rate <= 0:
                raise InputError(f"the music file {path} holds no sound")
            if reader.frames <= HELD_SECONDS * rate:
                samples = level(_read_all(reader))
                reader.close()
                return Music(samples=samples, rate=rate)
            streamed = _measure(reader, reader.frames if frames is None else frames)
    except InputError:
        if reader is not None:
            reader.close()
        raise
    except Exception:  # libsndfile: unknown format, corrupt file, unreadable
        if reader is not None:
            reader.close()
        raise InputError(
            f"cannot read the music file {path}: it is not audio that matcue can decode "
            "(use WAV, FLAC, Ogg or MP3)"
        ) from None
    return Music(samples=np.zeros(0, dtype=np.float32), rate=rate, streamed=streamed)


def _read_all(reader: MusicReader) -> npt.NDArray[np.float32]:
    """The whole music at the session's rate, read block by block."""
    out = np.empty(reader.frames, dtype=np.float32)
    for at in range(0, reader.frames, READ_FRAMES):
        stop = min(reader.frames, at + READ_FRAMES)
        out[at:stop] = reader.read(at, stop)
    return out


def _measure(reader: MusicReader, frames: int) -> Streamed:
    """The gain :func:`level` would give the music's first ``frames`` frames (at most one
    loop), measured block by block."""
    stop = max(1, min(frames, reader.frames))
    energy, peak = 0.0, 0.0
    for at in range(0, stop, READ_FRAMES):
        block = reader.read(at, min(stop, at + READ_FRAMES))
        energy += float(np.sum(np.square(block, dtype=np.float64)))
        peak = max(peak, float(np.max(np.abs(block))))
    gain = _gain(math.sqrt(energy / stop), peak)
    return Streamed(reader, gain, peak * gain, stop)


def reach(music: Music, frames: int) -> Music:
    """``music`` for a session now ``frames`` frames long (after a live pace change): music
    held in memory, or already measured that far, is returned as it is; else its first
    ``frames`` are measured, and the lower of the two gains is kept, so the music never plays
    over its limits (``MUSIC_RMS_DB``, ``MUSIC_PEAK_DB``) and never jumps up at the change."""
    held = music.streamed
    if held is None or held.measured >= min(frames, held.reader.frames):
        return music
    longer = _measure(held.reader, frames)
    if longer.gain < held.gain:
        return replace(music, streamed=longer)
    raw_peak = longer.peak / longer.gain if longer.gain > 0 else 0.0
    kept = replace(held, peak=raw_peak * held.gain, measured=longer.measured)
    return replace(music, streamed=kept)


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
