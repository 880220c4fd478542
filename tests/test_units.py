"""The unit converters, pinned with their arithmetic."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from matcue.audio.units import db_to_gain, frames_to_seconds, gain_to_db, seconds_to_frames


def test_seconds_to_frames_exact() -> None:
    assert seconds_to_frames(0, 48000) == 0
    assert seconds_to_frames(1, 48000) == 48000
    assert seconds_to_frames(2.5, 44100) == 110250  # 2.5 * 44100
    assert seconds_to_frames(0.1, 48000) == 4800  # 0.1 * 48000 = 4800.000000000001 in floats


def test_seconds_to_frames_rounds_to_nearest() -> None:
    assert seconds_to_frames(0.00001, 48000) == 0  # 0.48 frames -> 0
    assert seconds_to_frames(0.00002, 48000) == 1  # 0.96 frames -> 1
    assert seconds_to_frames(1.5 / 48000, 48000) == 2  # exactly 1.5 frames: a half rounds up
    assert seconds_to_frames(2.5 / 48000, 48000) == 3  # 2.5 -> 3 (not banker's 2)
    assert seconds_to_frames(1 / 3, 22050) == 7350  # 22050 / 3 = 7350.0
    assert seconds_to_frames(0.6, 22050) == 13230  # 0.6 * 22050 = 13230


def test_frames_to_seconds() -> None:
    assert frames_to_seconds(48000, 48000) == 1.0
    assert frames_to_seconds(11025, 44100) == 0.25  # 11025 / 44100
    assert frames_to_seconds(0, 8000) == 0.0


def test_round_trip_is_within_half_a_frame() -> None:
    for rate in (8000, 22050, 44100, 48000):
        for seconds in (0.0, 0.001, 0.25, 1 / 3, 59.999, 1234.5678):
            back = frames_to_seconds(seconds_to_frames(seconds, rate), rate)
            assert abs(back - seconds) <= 0.5 / rate + 1e-12  # 0.25 s * 22050 = 5512.5 -> 5513


def test_db_to_gain() -> None:
    assert db_to_gain(0) == 1.0  # 10 ** (0 / 20)
    assert db_to_gain(20) == pytest.approx(10.0)  # 10 ** (20 / 20)
    assert db_to_gain(-20) == pytest.approx(0.1)  # 10 ** (-20 / 20)
    assert db_to_gain(-6) == pytest.approx(0.501187, abs=1e-6)  # 10 ** -0.3: about half
    assert db_to_gain(-3) == pytest.approx(0.707946, abs=1e-6)  # 10 ** -0.15
    assert db_to_gain(-math.inf) == 0.0


def test_gain_to_db() -> None:
    assert gain_to_db(1.0) == 0.0  # 20 * log10(1)
    assert gain_to_db(10.0) == pytest.approx(20.0)  # 20 * log10(10)
    assert gain_to_db(0.5) == pytest.approx(-6.0206, abs=1e-4)  # 20 * log10(0.5)
    assert gain_to_db(0.0) == -math.inf
    for db in (-40.0, -12.0, -3.0, 0.0, 6.0):
        assert gain_to_db(db_to_gain(db)) == pytest.approx(db)


@pytest.mark.parametrize(
    "call",
    [
        lambda: seconds_to_frames(1.0, 0),
        lambda: seconds_to_frames(math.nan, 48000),
        lambda: seconds_to_frames(math.inf, 48000),
        lambda: frames_to_seconds(10, -1),
        lambda: gain_to_db(-0.1),
        lambda: gain_to_db(math.nan),
        lambda: db_to_gain(math.nan),
    ],
)
def test_nonsense_is_rejected(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        call()
