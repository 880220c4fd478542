"""``Clip``: a piece of mono audio, what the voice makes and the tones and the renderer use.

A spoken line, a tone and a stretch of music are all a ``Clip``: float32 samples in [-1, 1]
at a rate. :class:`Int16Clip` holds the same samples as int16 when they are exactly
``int16 / 32768`` (every clip read back from a 16-bit WAV is), in half the memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]
"""Mono audio as float32 samples, 1.0 = full scale."""


@dataclass(frozen=True, eq=False)
class Clip:
    """Mono audio: float32 samples in [-1, 1] at ``rate`` Hz."""

    samples: npt.NDArray[np.float32]
    rate: int

    @property
    def frames(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration(self) -> float:
        return self.frames / self.rate


_PCM_SCALE = np.float32(1.0 / 32768.0)  # libsndfile reads 16-bit PCM as int16 / 32768


class Int16Clip(Clip):
    """A clip held as int16, half the memory of float32: for clips whose float32 samples are
    exactly ``int16 / 32768``, as every clip read back from the cache is (a two-hour session
    holds ~90 MB of its lines as float32). ``samples`` gives those float32 samples, bit for
    bit, read-only, made anew at each access: callers take it once per piece of work."""

    pcm: npt.NDArray[np.int16]

    def __init__(self, pcm: npt.NDArray[np.int16], rate: int) -> None:
        # Clip's own fields are frozen; samples is worked out from pcm instead of stored
        object.__setattr__(self, "pcm", pcm)
        object.__setattr__(self, "rate", rate)

    @property
    def samples(self) -> npt.NDArray[np.float32]:
        out = self.pcm.astype(np.float32)
        out *= _PCM_SCALE
        out.flags.writeable = False
        return out

    @property
    def frames(self) -> int:
        return int(self.pcm.shape[0])

    def __repr__(self) -> str:
        return f"Int16Clip(frames={self.frames}, rate={self.rate})"


def _as_int16(data: npt.NDArray[np.float32]) -> npt.NDArray[np.int16] | None:
    """``data`` as the int16 values it is exactly ``int16 / 32768`` of, or None."""
    scaled = data * np.float32(32768.0)
    if scaled.size and (scaled.min() < -32768 or scaled.max() > 32767):
        return None
    with np.errstate(invalid="ignore"):  # a NaN casts to some integer: caught just below
        pcm = scaled.astype(np.int16)
    if not np.array_equal(pcm, scaled):  # a fraction (or a NaN) somewhere
        return None
    return pcm


def readonly_clip(samples: npt.ArrayLike, rate: int) -> Clip:
    """A Clip over a copy of ``samples`` (float32) that nobody can modify in place (it is
    shared): an :class:`Int16Clip` when that holds them exactly."""
    data = np.array(samples, dtype=np.float32, copy=True).reshape(-1)
    pcm = _as_int16(data)
    if pcm is not None:
        pcm.flags.writeable = False
        return Int16Clip(pcm, int(rate))
    data.flags.writeable = False
    return Clip(samples=data, rate=int(rate))


def stored_samples(clip: Clip) -> npt.NDArray[np.float32] | npt.NDArray[np.int16]:
    """The clip's samples as held: an :class:`Int16Clip`'s int16, without making its floats."""
    return clip.pcm if isinstance(clip, Int16Clip) else clip.samples
