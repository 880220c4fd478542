"""Loudness: matcue's own BS.1770 meter against pyloudnorm, true peak against scipy's
polyphase oversampling, the per-line limiter, and a rendered mix landing on its target."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pyloudnorm
import pytest
from scipy.signal import resample_poly

from matcue.audio import SESSION_LEVELS, Levels, limiter, loudness, render, render_chunks
from matcue.audio.clip import Clip
from matcue.audio.mix import FULL_SCALE
from matcue.timeline.model import Chapter, Cue, Pace, Timeline

RATE = 22050


def independent_true_peak(x: npt.ArrayLike, rate: int) -> float:
    """Peak of the signal oversampled to 176.4 kHz or more by scipy's polyphase filter."""
    factor = math.ceil(176400 / rate)
    return float(np.max(np.abs(resample_poly(np.asarray(x, dtype=np.float64), factor, 1))))


def speechlike(seconds: float, seed: int, rate: int = RATE) -> npt.NDArray[np.float32]:
    """Syllable-like bursts of harmonics with sharp onsets: a crest factor like espeak's."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * rate)) / rate
    pitch = 110 + 20 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    voice = sum(np.sin(k * phase) / k for k in range(1, 12))
    syllables = np.clip(np.sin(2 * np.pi * 4 * t + rng.uniform(0, 6)), 0, None) ** 3
    clicks = np.zeros_like(t)
    clicks[rng.integers(0, t.size, 12)] = 3.0
    out = voice * syllables + 0.05 * rng.standard_normal(t.size) + clicks
    return (0.2 * out / np.max(np.abs(out))).astype(np.float32)


@pytest.mark.parametrize("rate", [22050, 44100, 48000])
@pytest.mark.parametrize("kind", ["noise", "sine", "speechlike"])
def test_the_meter_agrees_with_pyloudnorm(rate: int, kind: str) -> None:
    rng = np.random.default_rng(1)
    n = 10 * rate  # a whole number of 100 ms steps: both meters see the same blocks
    if kind == "noise":
        x = 0.1 * rng.standard_normal(n)
    elif kind == "sine":
        x = 0.5 * np.sin(2 * np.pi * 997 * np.arange(n) / rate)
    else:
        x = speechlike(10, 2, rate).astype(np.float64)
    ours = loudness.loudness(x, rate)
    theirs = pyloudnorm.Meter(rate).integrated_loudness(x)
    assert ours == pytest.approx(theirs, abs=0.05)


def test_a_full_scale_997_hz_sine_reads_about_minus_3_lufs() -> None:
    x = np.sin(2 * np.pi * 997 * np.arange(48000 * 5) / 48000)
    assert loudness.loudness(x, 48000) == pytest.approx(-3.01, abs=0.05)


def test_silence_has_no_loudness() -> None:
    assert loudness.loudness(np.zeros(RATE), RATE) == -math.inf
    assert loudness.loudness(np.zeros(0), RATE) == -math.inf


def test_the_true_peak_sees_between_the_samples() -> None:
    # a sine at a quarter of the rate, sampled 45 degrees off its crests: samples reach 0.707
    x = np.sin(2 * np.pi * np.arange(4096) / 4 + np.pi / 4)
    assert float(np.max(np.abs(x))) == pytest.approx(math.sqrt(0.5))
    window = np.hanning(4096)  # fade in and out: no edge to ring at
    assert loudness.true_peak(x * window, RATE) == pytest.approx(1.0, abs=0.01)
    speech = speechlike(3, 3)
    assert loudness.true_peak(speech, RATE) == pytest.approx(
        independent_true_peak(speech, RATE), rel=0.02
    )


@pytest.mark.parametrize("target", [-23.0, -18.0, -16.0])
def test_a_line_lands_on_its_loudness_under_its_ceiling(target: float) -> None:
    line = speechlike(2.5, 4)
    ceiling = 10 ** (-3 / 20)
    out = limiter.fit_line(line, RATE, target, ceiling)
    assert pyloudnorm.Meter(RATE).integrated_loudness(out) == pytest.approx(target, abs=0.15)
    assert independent_true_peak(out, RATE) <= ceiling * 10 ** (0.05 / 20)
    assert out.shape == line.shape


def test_a_line_needing_too_much_limiting_stays_quieter_but_under_its_ceiling() -> None:
    line = speechlike(2.5, 4)  # a crest factor of 21 dB: -12 LUFS under -3 dBTP needs 28 dB
    ceiling = 10 ** (-3 / 20)
    out = limiter.fit_line(line, RATE, -12.0, ceiling)
    reached = pyloudnorm.Meter(RATE).integrated_loudness(out)
    assert -16.0 < reached < -12.5
    assert independent_true_peak(out, RATE) <= ceiling * 10 ** (0.05 / 20)


def test_the_limiter_leaves_quiet_lines_alone() -> None:
    line = speechlike(2.0, 5)
    out = limiter.fit_line(line, RATE, -30.0, 1.0)
    gain = out / np.where(line == 0, 1, line)
    assert np.allclose(gain[line != 0], gain[line != 0][0], rtol=1e-6)  # one gain throughout


@pytest.mark.parametrize("seed", range(5))
def test_the_limiter_gain_is_its_definition(seed: int) -> None:
    """The gain is the running mean of the running minimum of each sample's need (worked out
    in fit_line from the running maximum of the peaks, once for every gain it tries)."""
    rng = np.random.default_rng(seed)
    envelope = np.abs(rng.standard_normal(3000)) * rng.uniform(0.2, 3.0)
    envelope[rng.integers(0, 3000, 20)] = rng.uniform(1.0, 6.0, 20)  # sharp peaks
    ceiling = 0.8
    half = round(limiter.LIMITER_WINDOW * RATE)
    need = np.minimum(1.0, ceiling / envelope)
    padded = np.pad(need, half, constant_values=np.inf)
    least = np.array([padded[i : i + 2 * half + 1].min() for i in range(need.size)])
    padded = np.pad(least, half, mode="edge")
    expected = np.array([padded[i : i + 2 * half + 1].mean() for i in range(need.size)])
    gain = limiter.limiter_gain(envelope, RATE, ceiling)
    assert np.allclose(gain, expected, rtol=0, atol=1e-12)
    assert np.all(gain * envelope <= ceiling * (1 + 1e-9))  # never over the ceiling


def test_placed_loudness_is_the_mix_loudness() -> None:
    rate = RATE
    clips = [speechlike(1.5, 6), speechlike(0.3, 7), speechlike(3.0, 8)]
    profiles = [loudness.profile(c, rate) for c in clips]
    placements = [(0, 0.5, 0), (1, 1.0, 2 * rate), (2, 0.7, 3 * rate), (1, 0.3, 8 * rate)]
    total = 12 * rate
    mix = np.zeros(total)
    for i, gain, start in placements:
        mix[start : start + clips[i].size] += gain * clips[i]
    placed = [(profiles[i], gain, start, clips[i].size) for i, gain, start in placements]
    assert loudness.placed_loudness(placed, total, rate) == pytest.approx(
        pyloudnorm.Meter(rate).integrated_loudness(mix), abs=0.05
    )


def test_levels_reject_a_loudness_out_of_range() -> None:
    with pytest.raises(ValueError, match="loudness must be between -30 and -16 LUFS"):
        Levels(loudness=-8.0)
    with pytest.raises(ValueError, match="true peak"):
        Levels(loudness=-16.0, true_peak=1.0)
    assert Levels(loudness=-16.0).speech_peak + Levels(loudness=-16.0).tone_peak == pytest.approx(
        10 ** (-1 / 20)
    )


def session() -> tuple[Timeline, dict[str, Clip], dict[str, Clip]]:
    lines = {f"line {i}": Clip(speechlike(0.4 + 0.5 * i, 10 + i), RATE) for i in range(6)}
    t = np.arange(int(0.6 * RATE)) / RATE
    sounds = {
        "inhale": Clip((0.9 * np.sin(2 * np.pi * (300 + 400 * t) * t)).astype(np.float32), RATE)
    }
    cues: list[Cue] = []
    at = 0.0
    for rep in range(12):
        cues.append(Cue(t=at, dur=0.6, kind="tone", sound="inhale", exercise=1))
        text = f"line {rep % 6}"
        dur = lines[text].duration
        cues.append(Cue(t=at + 0.25, dur=dur, kind="speech", text=text, exercise=1))
        at += 0.25 + dur + 1.5
    tl = Timeline("t", "T", Pace(), at, (Chapter(0.0, "All"),), (), tuple(cues))
    return tl, lines, sounds


@pytest.mark.parametrize("target", [-16.0, -20.0])
def test_a_rendered_mix_lands_on_the_target(target: float) -> None:
    tl, lines, sounds = session()
    levels = Levels(loudness=target, true_peak=-1.0)
    pcm = render(tl, lines, sounds, RATE, levels=levels).astype(np.float64) / FULL_SCALE
    assert pyloudnorm.Meter(RATE).integrated_loudness(pcm) == pytest.approx(target, abs=0.5)
    assert independent_true_peak(pcm, RATE) <= 10 ** (-1 / 20) * 10 ** (0.05 / 20)
    # the tone sits under the voice: its peak is tone_db under the limiter's ceiling
    tone = pcm[: int(0.25 * RATE)]
    assert float(np.max(np.abs(tone))) < 0.3 * float(np.max(np.abs(pcm)))


def test_chunked_and_whole_renders_agree_with_a_loudness_target() -> None:
    tl, lines, sounds = session()
    whole = render(tl, lines, sounds, RATE, levels=SESSION_LEVELS)
    chunks = np.concatenate(
        list(render_chunks(tl, lines, sounds, RATE, 1000, levels=SESSION_LEVELS))
    )
    assert np.array_equal(whole, chunks)
