"""What a recording of a session sounds like, against what it should: envelopes, onsets, the lag
between the two, where a cue starts, and the dropouts a stalled player leaves.

Shared by the playback smoke tests (through ``tests/audio_helpers.py``) and ``scripts/bench.py``.
Every function takes mono int16 (or float) samples and their rate, and answers in seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Signal = npt.NDArray[np.int16] | npt.NDArray[np.float32] | npt.NDArray[np.float64]
Envelope = npt.NDArray[np.float64]

STEP = 0.001  # seconds: the envelope resolution for locating a cue
SMOOTH = 0.010  # seconds: envelope smoothing, wider than a voice's pitch period
MATCH = 0.9  # least correlation between a recording and its export around a cue


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


def envelope(x: Signal, rate: int, step: float = 0.001) -> Envelope:
    """RMS level in consecutive windows of ``step`` seconds (rounded to whole samples)."""
    n = max(1, round(step * rate))
    a = np.asarray(x, dtype=np.float64)
    a = a[: a.size // n * n].reshape(-1, n)
    rms: Envelope = np.sqrt(np.mean(a * a, axis=1))
    return rms


def exact_envelope(x: npt.NDArray[Any], rate: int, step: float) -> Envelope:
    """RMS over consecutive windows of exactly ``step`` seconds, fractional sample edges
    interpolated: at 22,050 Hz a 5 ms window is 110.25 samples, and whole-sample windows
    would drift 0.2 % from the recording's."""
    squares = np.square(np.asarray(x, dtype=np.float64))
    cumulative = np.concatenate([[0.0], np.cumsum(squares)])
    per = rate * step
    n = math.floor(squares.size / per + 1e-6)  # 220500 / 22.05 is 9999.99... in floating point
    edges = np.interp(np.arange(n + 1) * per, np.arange(cumulative.size), cumulative)
    rms: Envelope = np.sqrt(np.maximum(np.diff(edges), 0.0) / per)
    return rms


def envelope_lag(reference: Envelope, recording: Envelope, step: float) -> float:
    """Seconds by which the envelope ``recording`` lags the envelope ``reference`` (one value
    every ``step`` seconds): the peak of their normalised cross-correlation."""
    ref = (reference - reference.mean()) / reference.std()
    rec = (recording - recording.mean()) / recording.std()
    size = 1 << int(np.ceil(np.log2(ref.size + rec.size)))
    corr = np.fft.irfft(np.fft.rfft(rec, size) * np.conj(np.fft.rfft(ref, size)), size)
    lag = int(np.argmax(corr))
    if lag > size // 2:
        lag -= size
    return lag * step


def smooth(env: Envelope, seconds: float = SMOOTH, step: float = STEP) -> Envelope:
    """``env`` (one value every ``step`` seconds) smoothed over ``seconds``.

    Unsmoothed, a voice's pitch pulses (~8 ms apart) and a bell's beating make the envelope
    nearly periodic, and a match one period off looks almost as good as the true one.
    """
    width = max(1, round(seconds / step))
    smoothed: Envelope = np.convolve(env, np.ones(width) / width, mode="same")
    return smoothed


def smooth_envelope(x: Signal, rate: int) -> Envelope:
    """The RMS envelope (``STEP``), smoothed over ``SMOOTH`` seconds."""
    return smooth(envelope(x, rate, STEP))


def locate(
    reference: Envelope,
    recording: Envelope,
    t: float,
    lag: float,
    before: float = 0.03,
    after: float = 0.2,
    search: float = 0.1,
) -> tuple[float, float]:
    """Where the sound that starts at ``t`` in the reference starts in the recording.

    Both are envelopes (:func:`smooth_envelope`). The reference from ``t - before`` to
    ``t + after`` (the cue's onset, with whatever sounds around it) is slid over the recording
    within ``search`` seconds of ``t + lag``. Returns the best shift in seconds from
    ``t + lag`` (the cue starts at session time ``t + shift`` in the recording) and the
    correlation there (1: the same shape).
    """
    b, a, s = round(before / STEP), round(after / STEP), round(search / STEP)
    k = round(t / STEP)  # the cue's start in the reference; silence before the session
    padded = np.concatenate([np.zeros(b), reference[k - min(k, b) : k + a]])[-(b + a) :]
    template = padded - padded.mean()
    at = k - b + round(lag / STEP)  # where the template sits in the recording if on time
    best, best_corr = 0, -1.0
    for shift in range(-s, s + 1):
        if at + shift < 0:
            continue
        window = recording[at + shift : at + shift + template.size]
        if window.size != template.size:
            continue
        window = window - window.mean()
        norm = float(np.linalg.norm(template) * np.linalg.norm(window))
        corr = float(template @ window) / norm if norm > 0 else -1.0
        if corr > best_corr:
            best, best_corr = shift, corr
    return best * STEP, best_corr


def quiet_after(x: Signal, rate: int, t: float, level: float, hold: float = 0.05) -> float:
    """Seconds from time ``t`` in ``x`` until ``hold`` seconds in a row under ``level`` begin
    (in 5 ms windows); infinite if they never do."""
    env = envelope(x[round(t * rate) :], rate, 0.005)
    loud = env > level
    need = round(hold / 0.005)
    for k in range(env.size - need + 1):
        if not loud[k : k + need].any():
            return k * 0.005
    return float("inf")


# --- dropouts ----------------------------------------------------------------------------------

FRAME = 0.005  # seconds: the dropout finder's resolution
SILENT = 0.0001  # of the recording's loudest frame: silent (a dropout is digital silence, -80 dB)
SOUNDING = 0.002  # of the reference's loudest frame: the reference has sound there
EDGE = 1  # frames at each end of a silence that may differ (onsets, resampling)
RESUME_WINDOW = 1.0  # seconds of sound after a dropout matched to find where it resumed


@dataclass(frozen=True)
class Dropout:
    at: float  # session seconds (the reference's time) where the recording fell silent
    silent: float  # seconds of silence in the recording where the reference has sound
    delay: float  # seconds by which everything after it came later than before it


@dataclass(frozen=True)
class Dropouts:
    """The dropouts a recording has against the sound it should have (:func:`find_dropouts`)."""

    found: tuple[Dropout, ...]
    start_lag: float  # seconds: the reference's start bell to the recording's
    end_lag: float  # ... and the same at the end (the lag after the last dropout)

    @property
    def longest(self) -> float:
        return max((d.silent for d in self.found), default=0.0)

    @property
    def silent(self) -> float:
        return sum(d.silent for d in self.found)

    @property
    def delay(self) -> float:
        """Seconds by which the end came later than the start (what the dropouts added)."""
        return self.end_lag - self.start_lag


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """``(start, end)`` of every run of ``True`` in ``mask``."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0], strict=True))


def _resumed(ref: Envelope, rec: Envelope, b: int, lo: int, hi: int) -> int:
    """The offset (recording frame minus reference frame) in ``lo..hi`` under which the
    recording's sound from frame ``b`` on looks most like the reference's."""
    width = round(RESUME_WINDOW / FRAME)
    heard = rec[b : b + width]
    best, best_corr = lo, -2.0
    for off in range(lo, hi + 1):
        start = b - off
        if start < 0 or heard.size < width // 2:
            continue
        expected = ref[start : start + heard.size]
        if expected.size != heard.size:
            continue
        x, y = expected - expected.mean(), heard - heard.mean()
        norm = float(np.linalg.norm(x) * np.linalg.norm(y))
        corr = float(x @ y) / norm if norm else -1.0
        if corr > best_corr:
            best, best_corr = off, corr
    return best


def find_dropouts(reference: Signal, reference_rate: int, recording: Signal, rate: int) -> Dropouts:
    """The stretches of silence in ``recording`` where ``reference`` (the session as exported)
    has sound.

    The two are first aligned by the start bell (the first onset in each). A stall longer than
    the player's buffer leaves the device without sound, and the sound then goes on where it
    stopped: everything after comes late by the stall. So the alignment is kept up as the
    recording goes: wherever a silence in the recording has the reference sounding under it
    (allowing ``EDGE`` frames at either end), that is a dropout; its length is the sound the
    reference has under the silence, and the alignment after it is found again by matching the
    second of sound that follows (anywhere from where it was to the silence's length later).
    A dropout inside a pause of the session is not heard, but moves what follows; the next
    silence then shows it. Dropouts shorter than about three frames (15 ms) are not seen.
    """
    ref = exact_envelope(np.asarray(reference), reference_rate, FRAME)
    rec = exact_envelope(np.asarray(recording), rate, FRAME)
    if not ref.any() or not rec.any():
        raise ValueError("cannot find dropouts against a silent signal")
    sounding = ref > SOUNDING * ref.max()
    smooth_ref, smooth_rec = smooth(ref, 2 * FRAME, FRAME), smooth(rec, 2 * FRAME, FRAME)
    start_ref = onsets(reference, reference_rate, fraction=0.05)[0]
    start_rec = onsets(recording, rate, fraction=0.05)[0]
    off = round((start_rec - start_ref) / FRAME)
    first = round(start_rec / FRAME)
    found = []
    for a, b in _runs(rec < SILENT * rec.max()):
        if b <= first or a - off >= ref.size:
            continue
        lo, hi = max(0, a - off + EDGE), min(ref.size, b - off - EDGE)
        if hi <= lo or not sounding[lo:hi].any():
            continue
        under = int(np.count_nonzero(sounding[max(0, a - off) : max(0, b - off)]))
        if b >= rec.size:  # silent to the end of the recording: the rest was never played
            found.append(Dropout((a - off) * FRAME, (ref.size - (a - off)) * FRAME, 0.0))
            break
        new = _resumed(smooth_ref, smooth_rec, b, off - EDGE, off + (b - a) + EDGE)
        found.append(Dropout((a - off) * FRAME, under * FRAME, (new - off) * FRAME))
        off = new
    # the end bell (the reference's last onset) where the recording has it, measured on its own
    end_ref = onsets(reference, reference_rate, fraction=0.05)[-1]
    heard = np.array(onsets(recording, rate, fraction=0.05))
    end_rec = float(heard[np.argmin(np.abs(heard - (end_ref + off * FRAME)))])
    return Dropouts(tuple(found), start_rec - start_ref, end_rec - end_ref)
