"""Analysis helpers for audio tests: bursts and onsets, alignment, frequency.

All take mono int16 (or float) samples and a rate, and answer in seconds. A recording and its
source are compared after :func:`align` has found the constant delay between them (output
latency, recorder start), so what is checked is timing *within* the session.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Signal = npt.NDArray[np.int16] | npt.NDArray[np.float32] | npt.NDArray[np.float64]


@dataclass(frozen=True)
class Burst:
    """A stretch of sound: from the first to the last sample above the threshold."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def bursts(x: Signal, rate: int, fraction: float = 0.25, min_gap: float = 0.05) -> list[Burst]:
    """Every burst of sound in ``x``.

    A sample belongs to a burst when its magnitude reaches ``fraction`` of the loudest sample;
    bursts separated by less than ``min_gap`` seconds of quiet are one burst (so a tone's zero
    crossings do not split it).
    """
    a = np.abs(np.asarray(x, dtype=np.float64))
    if a.size == 0 or a.max() == 0:
        return []
    loud = np.nonzero(a >= fraction * a.max())[0]
    breaks = np.diff(loud) >= min_gap * rate
    starts = loud[np.r_[True, breaks]]
    ends = loud[np.r_[breaks, True]]
    return [Burst(s / rate, (e + 1) / rate) for s, e in zip(starts, ends, strict=True)]


def onsets(x: Signal, rate: int, fraction: float = 0.25, min_gap: float = 0.05) -> list[float]:
    """The start of every burst, in seconds."""
    return [b.start for b in bursts(x, rate, fraction, min_gap)]


def active_span(x: Signal, rate: int, fraction: float = 0.25) -> Burst:
    """From the first to the last sample at ``fraction`` of the peak or louder."""
    found = bursts(x, rate, fraction, min_gap=float("inf"))
    if not found:
        raise AssertionError("the signal is silent")
    return found[0]


def envelope(x: Signal, rate: int, step: float = 0.001) -> npt.NDArray[np.float64]:
    """RMS level in consecutive windows of ``step`` seconds."""
    n = max(1, round(step * rate))
    a = np.asarray(x, dtype=np.float64)
    a = a[: a.size // n * n].reshape(-1, n)
    rms: npt.NDArray[np.float64] = np.sqrt(np.mean(a * a, axis=1))
    return rms


def align(reference: Signal, recording: Signal, rate: int, step: float = 0.001) -> float:
    """Seconds by which ``recording`` lags ``reference`` (cross-correlation of envelopes).

    ``recording[t + lag]`` sounds like ``reference[t]``; resolution ``step`` seconds. Both
    envelopes are normalised, so a different playback volume does not matter.
    """
    ref = envelope(reference, rate, step)
    rec = envelope(recording, rate, step)
    if not ref.any() or not rec.any():
        raise AssertionError("cannot align a silent signal")
    ref = (ref - ref.mean()) / ref.std()
    rec = (rec - rec.mean()) / rec.std()
    size = 1 << int(np.ceil(np.log2(ref.size + rec.size)))
    corr = np.fft.irfft(np.fft.rfft(rec, size) * np.conj(np.fft.rfft(ref, size)), size)
    lag = int(np.argmax(corr))
    if lag > size // 2:
        lag -= size
    return lag * step


def onset_errors(
    planned: list[float], recording: Signal, rate: int, lag: float, fraction: float = 0.25
) -> list[float]:
    """For each planned onset, seconds from it to the nearest onset found in the recording.

    ``lag`` (from :func:`align`) is subtracted from the recording's onsets first.
    """
    found = np.array(onsets(recording, rate, fraction)) - lag
    if found.size == 0:
        raise AssertionError("no onsets in the recording")
    return [float(found[np.argmin(np.abs(found - t))] - t) for t in planned]


def dominant_frequency(x: Signal, rate: int) -> float:
    """The frequency (Hz) of the strongest spectral peak."""
    a = np.asarray(x, dtype=np.float64)
    spectrum = np.abs(np.fft.rfft(a * np.hanning(a.size)))
    return float(np.argmax(spectrum) * rate / a.size)
