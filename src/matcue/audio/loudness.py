"""Loudness and true peak of short clips, and a session's loudness from its placed clips.

A session is a few hundred known clips placed in silence, so its loudness is set clip by clip
instead of by measuring the whole mix: every spoken line is brought to one loudness (ITU-R
BS.1770-4, in LUFS) with its peaks limited to a true-peak ceiling (:mod:`matcue.audio.limiter`),
and tones are set by their true peak, a fixed amount under the voice. The renderer
(:mod:`matcue.audio.render`) works out from the clips' energy profiles how loud the placed
clips make the whole session (:func:`placed_loudness`) and aims the lines so that the session
lands on the target; the export tests check it on whole files with an independent meter.

Everything here is pure numpy on one clip at a time (seconds, not hours):

- :func:`k_weighted`: the BS.1770 K-weighting filter, applied through the FFT with the exact
  frequency response of its two biquads (RBJ cookbook formulas at any sample rate);
- :func:`loudness`: gated integrated loudness (400 ms blocks, 75 % overlap, -70 LUFS absolute
  and -10 LU relative gates); a clip shorter than one block is measured as one block;
- :func:`true_peak`: the peak of the clip oversampled 4x (band-limited interpolation through
  the FFT), as BS.1770-4's true-peak meter;
- :func:`profile`, :func:`placed_energy` and :func:`placed_loudness`: a session's loudness
  from its placed clips.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]

BLOCK = 0.4  # seconds: a gating block
STEP = 0.1  # seconds: 75 % overlap
ABSOLUTE_GATE = -70.0  # LUFS
RELATIVE_GATE = -10.0  # LU under the ungated mean
OFFSET = -0.691  # dB: BS.1770's constant, so a 997 Hz full-scale sine reads -3.01 LUFS
OVERSAMPLE = 4  # true peak: the signal between samples, at four times the rate (BS.1770-4)
PROFILE_HOP = 0.01  # seconds: the resolution of an energy profile


def _biquad(kind: str, gain_db: float, q: float, fc: float, rate: int) -> tuple[Floats, Floats]:
    """Numerator and denominator of one RBJ-cookbook biquad."""
    a = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * fc / rate
    cos, alpha = math.cos(w0), math.sin(w0) / (2.0 * q)
    if kind == "high_shelf":
        s = 2.0 * math.sqrt(a) * alpha
        b = [
            a * ((a + 1) + (a - 1) * cos + s),
            -2.0 * a * ((a - 1) + (a + 1) * cos),
            a * ((a + 1) + (a - 1) * cos - s),
        ]
        den = [
            (a + 1) - (a - 1) * cos + s,
            2.0 * ((a - 1) - (a + 1) * cos),
            (a + 1) - (a - 1) * cos - s,
        ]
    else:  # high_pass
        b = [(1 + cos) / 2.0, -(1 + cos), (1 + cos) / 2.0]
        den = [1.0 + alpha, -2.0 * cos, 1.0 - alpha]
    return np.array(b), np.array(den)


@lru_cache(maxsize=32)
def _k_response(n_fft: int, rate: int) -> npt.NDArray[np.complex64]:
    """The K-weighting filter's frequency response on the ``rfft`` grid of ``n_fft`` points."""
    z = np.exp(-1j * np.pi * np.arange(n_fft // 2 + 1) / (n_fft / 2))  # e^{-jw}
    response: npt.NDArray[np.complex128] = np.ones_like(z)
    for stage in (("high_shelf", 4.0, 1 / math.sqrt(2), 1500.0), ("high_pass", 0.0, 0.5, 38.0)):
        b, a = _biquad(*stage, rate=rate)
        response *= (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
    return response.astype(np.complex64)


def _fft_size(n: int) -> int:
    """The smallest of 8, 9, 10, 12 or 15 times a power of two that is >= ``n``: a size the FFT
    handles fast, at most a quarter over ``n``, and few of them (few filter responses to keep).
    """
    if n <= 8:
        return max(1, n)
    power = 1 << max(0, (n - 1).bit_length() - 4)  # n <= 16 * power
    return min(m * power for m in (8, 9, 10, 12, 15, 16) if m * power >= n)


@dataclass(frozen=True, eq=False)
class Spectrum:
    """A clip's real FFT (float32), zero-padded by at least a quarter second: the K-weighting
    filter and the oversampling both start from it, so a clip is transformed forward once."""

    values: npt.NDArray[np.complex64]
    n_fft: int
    frames: int


def spectrum(samples: npt.ArrayLike, rate: int) -> Spectrum:
    """The :class:`Spectrum` of ``samples``.

    The K-weighting filter's impulse response dies out within a few milliseconds, and the
    band-limited interpolation of the edges within a few dozen samples: a quarter second of
    zeros after the clip (before it too, on the FFT's circle) keeps the circular wrap-around
    out of both.
    """
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    n_fft = _fft_size(x.size + rate // 4)
    values: npt.NDArray[np.complex64] = np.fft.rfft(x, n_fft).astype(np.complex64, copy=False)
    return Spectrum(values, n_fft, int(x.size))


def k_weighted(samples: npt.ArrayLike, rate: int, *, spec: Spectrum | None = None) -> Floats:
    """``samples`` through the K-weighting filter (pre-filter and RLB high-pass of BS.1770).

    ``spec``: the samples' :func:`spectrum`, if already worked out.
    """
    spec = spectrum(samples, rate) if spec is None else spec
    if spec.frames == 0:
        return np.zeros(0)
    weighted = spec.values * _k_response(spec.n_fft, rate)
    out: Floats = np.fft.irfft(weighted, spec.n_fft)[: spec.frames].astype(np.float64)
    return out


def _to_lufs(mean_square: float) -> float:
    return OFFSET + 10.0 * math.log10(mean_square) if mean_square > 0 else -math.inf


def _energy(y: Floats, gain: Floats | None = None) -> Floats:
    """``[0, cumsum((y * gain) ** 2)]``: the energy of ``y`` (times ``gain``) from its start to
    every sample, in one buffer (the same numbers as the plain expression, bit for bit)."""
    energy: Floats = np.empty(y.size + 1)
    energy[0] = 0.0
    body = energy[1:]
    if gain is None:
        np.multiply(y, y, out=body)
    else:
        np.multiply(y, gain, out=body)
        np.multiply(body, body, out=body)
    np.cumsum(body, out=body)
    return energy


def gated(y: Floats, rate: int, gain: Floats | None = None) -> float:
    """Gated loudness of an already K-weighted signal ``y`` (times ``gain``, if given)."""
    if y.size == 0:
        return -math.inf
    block = round(BLOCK * rate)
    if y.size <= block:
        z = y if gain is None else y * gain
        return _to_lufs(float(np.mean(z * z)))
    return _gated_energy(_energy(y, gain), rate)


def _gated_energy(energy: Floats, rate: int) -> float:
    """Gated loudness of a K-weighted signal longer than a block, from :func:`_energy`."""
    size = energy.size - 1
    block, step = round(BLOCK * rate), round(STEP * rate)
    starts = np.arange(0, size - block + 1, step)
    z = (energy[starts + block] - energy[starts]) / block
    z = z[z > 10.0 ** ((ABSOLUTE_GATE - OFFSET) / 10.0)]
    if z.size == 0:
        return -math.inf
    relative = 10.0 ** ((_to_lufs(float(z.mean())) + RELATIVE_GATE - OFFSET) / 10.0)
    return _to_lufs(float(z[z > relative].mean()))


def loudness(samples: npt.ArrayLike, rate: int) -> float:
    """Integrated loudness in LUFS (BS.1770-4 gating); ``-inf`` for silence."""
    return gated(k_weighted(samples, rate), rate)


def oversampled(
    samples: npt.ArrayLike, rate: int, *, spec: Spectrum | None = None
) -> npt.NDArray[np.float32]:
    """``samples`` band-limited-interpolated to ``OVERSAMPLE`` times the rate (float32).

    Sample ``k`` of the result is at time ``k / OVERSAMPLE`` in input samples, so every
    ``OVERSAMPLE``-th value is an input sample and the ones between are the signal between.
    ``spec``: the samples' :func:`spectrum`, if already worked out.
    """
    spec = spectrum(samples, rate) if spec is None else spec
    if spec.frames == 0:
        return np.zeros(0, dtype=np.float32)
    up = np.fft.irfft(spec.values, spec.n_fft * OVERSAMPLE).astype(np.float32, copy=False)
    up *= np.float32(OVERSAMPLE)
    out: npt.NDArray[np.float32] = up[: spec.frames * OVERSAMPLE]
    return out


def true_peak(samples: npt.ArrayLike, rate: int) -> float:
    """The largest absolute value between and at the samples (1.0 = full scale)."""
    up = oversampled(samples, rate)
    return float(np.max(np.abs(up))) if up.size else 0.0


@dataclass(frozen=True, eq=False)
class Profile:
    """A clip's K-weighted energy, summed from its start to every ``hop`` frames (and its end).

    It answers "how much energy between frames ``a`` and ``b``" for any ``a``, ``b`` to within
    a hop's interpolation, which is all that 400 ms gating blocks need, for about a hundredth
    of the memory of the clip.
    """

    cumulative: Floats  # cumulative[i]: energy of frames [0, min(i * hop, frames))
    hop: int
    frames: int
    lufs: float  # the clip's own integrated loudness

    def energy(self, start: npt.NDArray[np.int64], end: npt.NDArray[np.int64]) -> Floats:
        """Energy of frames ``[start, end)`` of the clip (vectorised; bounds clipped)."""
        grid = np.minimum(np.arange(self.cumulative.size) * self.hop, self.frames)
        lo = np.interp(np.clip(start, 0, self.frames), grid, self.cumulative)
        hi = np.interp(np.clip(end, 0, self.frames), grid, self.cumulative)
        out: Floats = hi - lo
        return out


def profile(samples: npt.ArrayLike, rate: int, *, weighted: Floats | None = None) -> Profile:
    """The energy profile of a clip (see :class:`Profile`); ``weighted``: the clip through
    :func:`k_weighted`, if already worked out."""
    y = k_weighted(samples, rate) if weighted is None else weighted
    hop = max(1, round(PROFILE_HOP * rate))
    energy = _energy(y)
    marks = np.minimum(np.arange(0, y.size + hop, hop), y.size)
    lufs = _gated_energy(energy, rate) if y.size > round(BLOCK * rate) else gated(y, rate)
    return Profile(energy[marks], hop, int(y.size), lufs)


def placed_energy(
    placements: Iterable[tuple[Profile, float, int, int]], frames: int, rate: int
) -> Floats:
    """The K-weighted energy of every 400 ms gating block of clips placed in ``frames`` of
    silence, from their profiles.

    Each placement is ``(profile, gain, start, length)``: the clip's first ``length`` frames,
    times ``gain``, from frame ``start``. Block energies add up as the clips' energies do; where
    two clips overlap, their cross term is left out (it averages out for unrelated sounds).
    Placements of the same profile are worked out together, a few array operations per clip.
    """
    block, step = round(BLOCK * rate), round(STEP * rate)
    n_blocks = 1 if frames <= block else (frames - block) // step + 1
    width = min(block, max(frames, 1))
    groups: dict[int, tuple[Profile, list[tuple[float, int, int]]]] = {}
    for prof, gain, start, length in placements:
        groups.setdefault(id(prof), (prof, []))[1].append((gain, start, length))
    energy = np.zeros(n_blocks)
    for prof, uses in groups.values():
        gains, starts, lengths = (np.array(column) for column in zip(*uses, strict=True))
        starts = starts.astype(np.int64)
        lengths = lengths.astype(np.int64)
        first = np.maximum(0, -((block - 1 - starts) // step))  # ceil((start - block + 1) / step)
        last = np.minimum(n_blocks - 1, (starts + lengths - 1) // step)
        counts = np.maximum(last - first + 1, 0)
        total = int(counts.sum())
        if total == 0:
            continue
        # every (placement, block) pair, flattened: the block index and the placement's values
        owner = np.repeat(np.arange(counts.size), counts)
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        js = first[owner] + offsets
        start, length = starts[owner], lengths[owner]
        lo = np.maximum(js * step - start, 0)
        hi = np.minimum(js * step + width - start, length)
        weights = (gains * gains)[owner] * prof.energy(lo, hi)
        energy += np.bincount(js, weights=weights, minlength=n_blocks)
    return energy


def blocks_loudness(energy: Floats, frames: int, rate: int) -> float:
    """Integrated loudness (BS.1770 gating) of a session of ``frames`` from the energy of its
    gating blocks (:func:`placed_energy`)."""
    width = min(round(BLOCK * rate), max(frames, 1))
    z = energy / width
    z = z[z > 10.0 ** ((ABSOLUTE_GATE - OFFSET) / 10.0)]
    if z.size == 0:
        return -math.inf
    relative = 10.0 ** ((_to_lufs(float(z.mean())) + RELATIVE_GATE - OFFSET) / 10.0)
    return _to_lufs(float(z[z > relative].mean()))


def placed_loudness(
    placements: Iterable[tuple[Profile, float, int, int]], frames: int, rate: int
) -> float:
    """Integrated loudness of clips placed in ``frames`` of silence, from their profiles (see
    :func:`placed_energy`): the whole session's loudness at the cost of a few numbers per clip
    use."""
    return blocks_loudness(placed_energy(placements, frames, rate), frames, rate)
