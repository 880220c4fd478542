"""Tiny pure unit converters: seconds <-> frames, decibels <-> linear gain.

Everything that turns a time into a sample position goes through :func:`seconds_to_frames`, so
the renderer, the player and the exporters agree to the frame.
"""

from __future__ import annotations

import math


def _check_rate(rate: int) -> None:
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, got {rate!r}")


def seconds_to_frames(seconds: float, rate: int) -> int:
    """``seconds`` at ``rate`` Hz -> the nearest whole frame (an exact half rounds up)."""
    _check_rate(rate)
    if not math.isfinite(seconds):
        raise ValueError(f"seconds must be finite, got {seconds!r}")
    return math.floor(seconds * rate + 0.5)


def frames_to_seconds(frames: int, rate: int) -> float:
    """``frames`` at ``rate`` Hz -> seconds."""
    _check_rate(rate)
    return frames / rate


def db_to_gain(db: float) -> float:
    """Decibels -> linear amplitude gain (0 dB -> 1.0, -inf dB -> 0.0)."""
    if math.isnan(db):
        raise ValueError("decibels must not be NaN")
    return float(10.0 ** (db / 20.0))


def gain_to_db(gain: float) -> float:
    """Linear amplitude gain -> decibels (1.0 -> 0 dB, 0.0 -> -inf dB)."""
    if math.isnan(gain) or gain < 0:
        raise ValueError(f"gain must be zero or positive, got {gain!r}")
    if gain == 0:
        return -math.inf
    return 20.0 * math.log10(gain)
