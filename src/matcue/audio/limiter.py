"""A spoken line brought to a loudness under a true-peak ceiling, and a tone to a true peak.

- :func:`limiter_gain`: a look-ahead limiter's gain, never more than the true peak allows;
- :func:`fit_line` and :func:`fit_peak`: a clip at a loudness under a ceiling, or at a peak.

Pure numpy on one clip at a time, measured with :mod:`matcue.audio.loudness`.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from matcue.audio.loudness import (
    OVERSAMPLE,
    Floats,
    Spectrum,
    gated,
    k_weighted,
    oversampled,
    spectrum,
    true_peak,
)

LIMITER_WINDOW = 0.008  # seconds: look-ahead, attack and release of the limiter
ROUNDS = 12  # at most, of loudness measurements in fit_line
MAX_BOOST = 12.0  # dB: the most gain into the limiter that fit_line adds to reach its loudness
TOLERANCE = 0.1  # LU: fit_line's aim


def _running_min(x: Floats, half: int) -> Floats:
    """``min(x[i - half : i + half + 1])`` for every ``i`` (van Herk / Gil-Werman, O(n))."""
    width = 2 * half + 1
    n = x.size
    padded = np.pad(x, (half, half + (-(n + 2 * half)) % width), constant_values=np.inf)
    blocks = padded.reshape(-1, width)
    forward = np.minimum.accumulate(blocks, axis=1).reshape(-1)
    backward = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].reshape(-1)
    out: Floats = np.minimum(backward[:n], forward[width - 1 : width - 1 + n])
    return out


def _running_mean(x: Floats, half: int) -> Floats:
    width = 2 * half + 1
    n = x.size
    # [0, cumsum(x padded with its edge values)] in one buffer
    sums: Floats = np.empty(n + 2 * half + 1)
    sums[0] = 0.0
    sums[1 : half + 1] = x[0]
    sums[half + 1 : half + 1 + n] = x
    sums[half + 1 + n :] = x[-1]
    np.cumsum(sums[1:], out=sums[1:])
    out: Floats = sums[width:] - sums[:-width]
    out /= width
    return out


def _envelope(up: npt.NDArray[np.float32]) -> Floats:
    """For each sample, the true peak from the sample before to the one after, given the
    signal oversampled (its absolute values are taken in place)."""
    np.abs(up, out=up)
    ahead = up[0::OVERSAMPLE]  # the peak of [n, n + 1)
    for k in range(1, OVERSAMPLE):
        ahead = np.maximum(ahead, up[k::OVERSAMPLE])
    if ahead.size == 0:
        return ahead.astype(np.float64)
    out: Floats = np.maximum(ahead, np.concatenate(([0.0], ahead[:-1])))
    return out


def _running_max(x: Floats, half: int) -> Floats:
    """``max(x[i - half : i + half + 1])`` for every ``i``."""
    return -_running_min(-x, half)


def _limiting(reach: Floats, scale: float, ceiling: float, half: int) -> Floats:
    """The limiter's gain for a signal scaled by ``scale`` whose highest true peak within
    ``half`` samples of each sample is ``reach`` (see :func:`limiter_gain`)."""
    if reach.size == 0 or float(reach.max()) * scale <= ceiling:
        return np.ones_like(reach)
    # the need (min(1, ceiling / peak)) falls as the peak grows, so the least need within
    # reach of a sample is the need of the highest peak within reach
    need = reach * scale
    np.maximum(need, 1e-12, out=need)
    np.divide(ceiling, need, out=need)
    np.minimum(need, 1.0, out=need)
    return _running_mean(need, half)


def limiter_gain(envelope: Floats, rate: int, ceiling: float) -> Floats:
    """The gain that keeps a signal with this true-peak ``envelope`` under ``ceiling``.

    Each sample needs ``min(1, ceiling / envelope)``; the gain is the running mean, over the
    limiter window, of the running minimum of that need, so it is never more than any sample
    within reach needs: it starts falling one window before a peak and recovers one window
    after it, with no step anywhere.
    """
    half = max(1, round(LIMITER_WINDOW * rate))
    return _limiting(_running_max(envelope, half), 1.0, ceiling, half)


def fit_line(
    samples: npt.ArrayLike,
    rate: int,
    lufs: float,
    ceiling: float,
    *,
    weighted: Floats | None = None,
    level: float | None = None,
    spec: Spectrum | None = None,
) -> Floats:
    """A spoken line at ``lufs`` LUFS with its true peak at most ``ceiling`` (linear).

    Limiting takes loudness away, more so the harder it works, so the gain before the limiter
    is found in a few steps. The limiter's gain changes far more slowly than the
    K-weighting filter's memory and than the oversampled signal between two samples, so each
    step weights the K-weighted and oversampled line by the gain instead of filtering and
    oversampling again. A silent line stays silent; a line that would need more than
    ``MAX_BOOST`` dB into the limiter (a short word with sharp peaks) stays a little quieter.
    ``weighted``: the line through :func:`k_weighted`, ``level``: its loudness (as
    :func:`loudness` gives it) and ``spec``: its :func:`spectrum`, if already worked out.
    """
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    if spec is None and weighted is None:
        spec = spectrum(x, rate)
    kx = k_weighted(x, rate, spec=spec) if weighted is None else weighted
    if level is None:
        level = gated(kx, rate)
    if not math.isfinite(level):
        return np.zeros_like(x)
    up = np.abs(oversampled(x, rate, spec=spec))
    half = max(1, round(LIMITER_WINDOW * rate))
    # the highest true peak within the limiter's reach of each sample: the same whatever the
    # gain, so each step below is a few array operations (taking the absolute value again in
    # _envelope changes nothing)
    reach = _running_max(_envelope(up), half)
    top_reach = float(reach.max()) if reach.size else 0.0
    # scale * min(1, ceiling / (reach * scale)) is min(scale, ceiling / reach), and the
    # limiter's gain, a running mean of that, is one array operation and a mean per step
    allowed = ceiling / np.maximum(reach, 1e-12)

    def gain_at(gain_db: float) -> tuple[Floats, float]:
        scale = 10.0 ** (gain_db / 20.0)
        if top_reach * scale <= ceiling:  # no limiting at all
            gain = np.full_like(reach, scale)
        else:
            gain = _running_mean(np.minimum(allowed, scale), half)
        return gain, gated(kx, rate, gain)

    # Loudness grows with the gain before the limiter, ever more slowly: bracket the target
    # between a gain that falls short and one that reaches it, then close in (regula falsi,
    # Illinois variant), within ROUNDS measurements in all and MAX_BOOST of limiting.
    plain = lufs - level  # no limiting would land exactly here, so this one falls short
    low = plain
    gain, got = gain_at(low)
    best, best_miss = gain, abs(got - lufs)
    low_got, high, high_got = got, math.nan, math.nan
    slope = 1.0  # dB of loudness per dB of gain, as last seen
    for _ in range(ROUNDS - 1):
        if best_miss <= TOLERANCE:
            break
        if math.isnan(high):  # no bracket yet: step over the target, up to the cap
            guess = min(low + 1.5 * (lufs - low_got) / slope, plain + MAX_BOOST)
            if guess <= low:
                break  # limited as hard as allowed: the line stays a little quieter
        else:
            guess = low + (high - low) * (lufs - low_got) / (high_got - low_got)
        trial, got = gain_at(guess)
        if abs(got - lufs) < best_miss:
            best, best_miss = trial, abs(got - lufs)
        if got < lufs:
            slope = max((got - low_got) / (guess - low), 0.05)
            low, low_got = guess, got
            if not math.isnan(high):
                high_got = lufs + (high_got - lufs) / 2  # Illinois: don't let one end stick
        else:
            high, high_got = guess, got
    gain = best
    # the true peak of the result: the oversampled line under the gain, itself interpolated
    # (row k of ``rows`` is the line from sample k to k + 1)
    rows = up.reshape(-1, OVERSAMPLE)
    g = gain.astype(np.float32)
    step = np.diff(g, append=g[-1:]) / np.float32(OVERSAMPLE)
    top = max(float(np.max(rows[:, j] * (g + step * np.float32(j)))) for j in range(OVERSAMPLE))
    out: Floats = x * gain
    if top > ceiling:  # a smooth gain can leave a hair over between samples
        out *= ceiling / top
    return out


def fit_peak(samples: npt.ArrayLike, rate: int, peak: float) -> Floats:
    """``samples`` scaled so that their true peak is ``peak`` (a silent clip stays silent)."""
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    top = true_peak(x, rate)
    return x * (peak / top) if top > 0 else np.zeros_like(x)
