"""The renderer: hand-built timelines, synthetic clips, exact sample positions."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pytest

from audio_helpers import dominant_frequency
from matcue.audio import Levels, render, render_chunks
from matcue.audio.clip import Clip
from matcue.audio.levelling import resampled_length
from matcue.audio.mix import FULL_SCALE
from matcue.audio.units import db_to_gain, gain_to_db, seconds_to_frames
from matcue.timeline.model import Cue, Pace, Timeline

# the package re-exports render(), which hides the module of the same name
render_module = importlib.import_module("matcue.audio.render")

RATE = 48000
FADE = seconds_to_frames(Levels().fade, RATE)  # 0.005 s * 48000 = 240 frames


def timeline(cues: Sequence[Cue], duration: float) -> Timeline:
    return Timeline(
        routine="test",
        title="Test",
        pace=Pace(),
        duration=duration,
        chapters=(),
        phases=(),
        cues=tuple(sorted(cues, key=lambda c: c.t)),
    )


def speech_cue(t: float, dur: float, text: str) -> Cue:
    return Cue(t=t, dur=dur, kind="speech", text=text)


def tone_cue(t: float, dur: float, sound: str) -> Cue:
    return Cue(t=t, dur=dur, kind="tone", sound=sound)


def dc(seconds: float, rate: int = RATE, value: float = 0.5) -> Clip:
    """A constant clip: after the fades every sample of it is exactly its level."""
    return Clip(np.full(seconds_to_frames(seconds, rate), value, dtype=np.float32), rate)


def sine(seconds: float, freq: float, rate: int = RATE, amp: float = 0.5) -> Clip:
    n = seconds_to_frames(seconds, rate)
    return Clip((amp * np.sin(2 * np.pi * freq * np.arange(n) / rate)).astype(np.float32), rate)


def square(seconds: float, freq: float, rate: int = RATE) -> Clip:
    """Full scale: the loudest input a clip can be."""
    return Clip(np.sign(sine(seconds, freq, rate, 1.0).samples).astype(np.float32), rate)


def nonzero_span(pcm: npt.NDArray[np.int16]) -> tuple[int, int]:
    idx = np.nonzero(pcm)[0]
    return int(idx[0]), int(idx[-1]) + 1


DEFAULT = Levels()


def speech_level(levels: Levels = DEFAULT) -> int:
    return round(levels.speech_peak * FULL_SCALE)  # 10 ** (-3 / 20) * 32767 = 23197


def tone_level(levels: Levels = DEFAULT) -> int:
    return round(levels.tone_peak * FULL_SCALE)  # 10 ** (-15 / 20) * 32767 = 5833


@pytest.mark.parametrize(
    ("duration", "rate", "frames"),
    [
        (1.0, 48000, 48000),
        (2.3456, 48000, 112589),  # 2.3456 * 48000 = 112588.8 -> 112589
        (2.3456, 22050, 51720),  # 2.3456 * 22050 = 51720.48 -> 51720
        (61.25, 44100, 2701125),  # 61.25 * 44100
        (0.00001, 8000, 0),  # 0.08 frames -> 0
    ],
)
def test_length_is_the_duration_in_frames(duration: float, rate: int, frames: int) -> None:
    cues = [tone_cue(0.0, duration, "tick")] if frames else []
    pcm = render(timeline(cues, duration), {}, {"tick": dc(0.001, rate)}, rate)
    assert pcm.dtype == np.int16
    assert pcm.shape == (frames,)
    assert frames == seconds_to_frames(duration, rate)


def test_no_cues_is_silence() -> None:
    pcm = render(timeline([], 3.0), {}, {}, RATE)
    assert pcm.shape == (3 * RATE,)
    assert not pcm.any()


@pytest.mark.parametrize("t", [0.0, 0.25, 0.1234567, 1.99])
def test_a_clip_lands_at_its_sample_offset(t: float) -> None:
    clip = dc(0.2)
    pcm = render(timeline([speech_cue(t, 0.5, "hello")], 3.0), {"hello": clip}, {}, RATE)
    start = seconds_to_frames(t, RATE)
    assert nonzero_span(pcm) == (start, start + clip.frames)


def test_every_clip_lands_at_its_offset_speech_and_tones() -> None:
    cues = [
        tone_cue(0.5, 0.6, "inhale"),
        speech_cue(0.5, 1.0, "Breathe in."),
        tone_cue(2.0, 0.7, "exhale"),
        speech_cue(2.125, 1.0, "Breathe out."),
        tone_cue(3.3337, 0.06, "tick"),
    ]
    speech = {"Breathe in.": dc(0.8), "Breathe out.": dc(0.9)}
    sounds = {"inhale": dc(0.6), "exhale": dc(0.7), "tick": dc(0.06)}
    pcm = render(timeline(cues, 4.0), speech, sounds, RATE)
    for cue in cues:
        clip = speech[cue.text] if cue.text else sounds[cue.sound or ""]
        start = seconds_to_frames(cue.t, RATE)
        end = start + clip.frames
        # alone, or on top of an earlier clip: the sample before differs from the first one
        assert pcm[start] != pcm[start - 1]
        assert pcm[end - 1] != pcm[end] or end == pcm.shape[0]
    # the quiet gaps between them are silent
    assert not pcm[: seconds_to_frames(0.5, RATE)].any()
    assert not pcm[seconds_to_frames(1.3, RATE) : seconds_to_frames(2.0, RATE)].any()
    assert not pcm[seconds_to_frames(3.025, RATE) : seconds_to_frames(3.3337, RATE)].any()
    assert not pcm[seconds_to_frames(3.3937, RATE) :].any()


def test_a_clip_longer_than_its_cue_is_cut_at_the_cue_end() -> None:
    pcm = render(timeline([tone_cue(1.0, 0.3, "rest")], 2.0), {}, {"rest": dc(0.9)}, RATE)
    assert nonzero_span(pcm) == (48000, 48000 + 14400)  # 0.3 s * 48000 = 14400 frames
    # and still fades out at the cut
    assert abs(int(pcm[48000 + 14400 - 1])) < tone_level() // 100


def test_a_clip_past_the_session_end_is_cut_at_the_end() -> None:
    # the cue ends exactly at the session end; rounding must not write past it
    pcm = render(timeline([tone_cue(0.99999, 0.00001, "x")], 1.0), {}, {"x": dc(0.1)}, RATE)
    assert pcm.shape == (RATE,)


def test_fades_ramp_each_edge_linearly() -> None:
    n = FADE
    clip = dc(0.1)  # 4800 frames
    pcm = render(timeline([speech_cue(0.5, 0.5, "x")], 1.0), {"x": clip}, {}, RATE)
    seg = pcm[24000 : 24000 + clip.frames].astype(np.int64)
    ramp = np.arange(1, n + 1) / (n + 1)  # 1/241 ... 240/241: never 0, never 1
    expected_in = np.rint(np.float32(speech_level() / FULL_SCALE) * ramp * FULL_SCALE)
    assert np.abs(seg[:n] - expected_in).max() <= 1
    assert np.abs(seg[-n:] - expected_in[::-1]).max() <= 1
    assert np.all(np.diff(seg[:n]) >= 0) and np.all(np.diff(seg[-n:]) <= 0)
    assert np.all(seg[n:-n] == speech_level())
    assert 0 < seg[0] < speech_level() // 100  # about 1/241 of the level


def test_a_clip_shorter_than_two_fades_is_faded_over_its_halves() -> None:
    clip = dc(0.004)  # 192 frames < 2 * 240
    pcm = render(timeline([tone_cue(0.0, 0.1, "tick")], 0.1), {}, {"tick": clip}, RATE)
    seg = pcm[: clip.frames].astype(np.int64)
    assert nonzero_span(pcm) == (0, 192)
    assert np.all(np.diff(seg[:96]) >= 0) and np.all(np.diff(seg[96:]) <= 0)
    assert seg[95] == seg[96] and seg.max() < tone_level()


def test_speech_is_normalised_to_its_level_whatever_the_input_level() -> None:
    speech = {"quiet": sine(0.5, 300, amp=0.05), "loud": sine(0.5, 300, amp=0.99)}
    cues = [speech_cue(0.0, 0.6, "quiet"), speech_cue(1.0, 0.6, "loud")]
    pcm = render(timeline(cues, 2.0), speech, {}, RATE)
    assert abs(int(np.abs(pcm[:RATE]).max()) - speech_level()) <= 1
    assert abs(int(np.abs(pcm[RATE:]).max()) - speech_level()) <= 1


@pytest.mark.parametrize("levels", [Levels(), Levels(speech_db=-1.0, tone_db=-18.0)])
def test_tones_sit_under_speech_by_the_configured_amount(levels: Levels) -> None:
    speech = {"Rep one.": sine(0.5, 200, amp=0.3)}
    sounds = {"move": sine(0.45, 880, amp=0.9)}
    cues = [tone_cue(0.0, 0.45, "move"), speech_cue(1.0, 0.5, "Rep one.")]
    pcm = render(timeline(cues, 2.0), speech, sounds, RATE, levels=levels)
    tone_peak = int(np.abs(pcm[:RATE]).max())
    speech_peak = int(np.abs(pcm[RATE:]).max())
    assert gain_to_db(speech_peak / FULL_SCALE) == pytest.approx(levels.speech_db, abs=0.01)
    assert gain_to_db(tone_peak / speech_peak) == pytest.approx(levels.tone_db, abs=0.01)


def test_resampled_clips_keep_their_pitch_and_length() -> None:
    clip = sine(0.5, 440, rate=22050)  # 11025 frames at 22050 Hz
    pcm = render(timeline([speech_cue(0.25, 0.75, "x")], 1.0), {"x": clip}, {}, RATE)
    length = resampled_length(clip.frames, 22050, RATE)
    assert length == 24000  # 11025 / 22050 * 48000
    start = 12000  # 0.25 s * 48000
    assert nonzero_span(pcm)[0] in (start, start + 1)  # a sine starts at 0: the 1st may be 0
    assert nonzero_span(pcm)[1] <= start + length
    assert nonzero_span(pcm)[1] >= start + length - 2
    assert dominant_frequency(pcm[start : start + length], RATE) == pytest.approx(440, abs=2)


def _spy_on_limiter(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the loudest sample each block had before the safety limiter."""
    peaks: list[float] = []
    Spans = list[tuple[int, int]]
    original: Callable[[npt.NDArray[np.float32], Spans], npt.NDArray[np.int16]] = (
        render_module.to_pcm
    )

    def spy(mix: npt.NDArray[np.float32], spans: Spans) -> npt.NDArray[np.int16]:
        # only the frames in spans are mixed in this block: the rest is stale and silent
        peaks.extend(float(np.abs(mix[lo:hi] * FULL_SCALE).max(initial=0.0)) for lo, hi in spans)
        return original(mix, spans)

    monkeypatch.setattr(render_module, "to_pcm", spy)
    return peaks


def test_no_clipping_by_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    """Full-scale square waves, each tone under a line: the limiter never has work to do."""
    peaks = _spy_on_limiter(monkeypatch)
    speech = {f"line {i}": square(1.0, 150 + 10 * i) for i in range(4)}
    sounds = {"inhale": square(0.6, 500), "tick": square(0.06, 2000)}
    cues = []
    for i in range(4):
        cues += [tone_cue(i * 1.2, 0.6, "inhale"), speech_cue(i * 1.2 + 0.1, 1.05, f"line {i}")]
        cues += [tone_cue(i * 1.2 + 0.7, 0.06, "tick")]
    pcm = render(timeline(cues, 5.0), speech, sounds, RATE, levels=Levels(fade=0.0))
    assert max(peaks) <= FULL_SCALE
    expected = round((Levels().speech_peak + Levels().tone_peak) * FULL_SCALE)  # 29030
    assert abs(int(np.abs(pcm).max()) - expected) <= 1
    assert np.abs(pcm).max() < FULL_SCALE


def test_overlap_beyond_the_budget_lowers_the_mix_instead_of_clipping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two lines and a tone at once (the compiler never does this): still no clipping."""
    peaks = _spy_on_limiter(monkeypatch)
    speech = {"a": square(1.0, 100), "b": square(1.0, 100)}
    cues = [speech_cue(0.0, 1.0, "a"), speech_cue(0.0, 1.0, "b"), tone_cue(0.0, 1.0, "t")]
    levels = Levels(fade=0.0)
    pcm = render(timeline(cues, 1.0), speech, {"t": square(1.0, 100)}, RATE, levels=levels)
    assert max(peaks) <= FULL_SCALE
    assert abs(int(np.abs(pcm).max()) - FULL_SCALE) <= 1  # scaled to fit exactly


@pytest.mark.parametrize("chunk_frames", [1, 3, 97, 1000, 4096, 65536])
def test_chunks_add_up_to_the_one_shot_render(chunk_frames: int) -> None:
    rate = 8000
    speech = {"a": sine(0.3, 300, rate=22050), "b": sine(0.2, 500, rate=16000)}
    sounds = {"tick": sine(0.06, 1000, rate=rate), "bell": sine(0.5, 700, rate=44100)}
    cues = [
        tone_cue(0.0, 0.5, "bell"),
        speech_cue(0.01, 0.3, "a"),
        tone_cue(0.2, 0.06, "tick"),
        speech_cue(0.35, 0.2, "b"),
        tone_cue(0.5, 0.06, "tick"),
    ]
    tl = timeline(cues, 0.6)
    whole = render(tl, speech, sounds, rate)
    blocks = list(render_chunks(tl, speech, sounds, rate, chunk_frames))
    assert all(b.dtype == np.int16 for b in blocks)
    assert all(b.shape == (chunk_frames,) for b in blocks[:-1])
    assert 0 < blocks[-1].shape[0] <= chunk_frames
    assert np.array_equal(np.concatenate(blocks), whole)
    assert whole.shape == (4800,)  # 0.6 s * 8000


def test_chunks_at_block_boundaries_of_a_long_session() -> None:
    """A clip straddling many blocks, and blocks that start exactly where clips start."""
    cues = [speech_cue(0.0, 5.0, "long"), tone_cue(65536 / RATE, 0.5, "t")]
    speech, sounds = {"long": sine(5.0, 220)}, {"t": sine(0.5, 1000)}
    tl = timeline(cues, 6.0)
    whole = render(tl, speech, sounds, RATE)
    for size in (65536, 32768, 12345):
        assert np.array_equal(
            np.concatenate(list(render_chunks(tl, speech, sounds, RATE, size))), whole
        )


def test_between_cues_every_block_is_exact_silence() -> None:
    """Only the stretches of a block where a cue sounds are mixed; the rest is exact silence,
    also where the block before sounded at the same offsets (the mixing buffer is reused)."""
    n = 1000  # frames a block
    # block 0: a line over its frames 100..600 and a tick over 800..900; block 1: a tick over
    # its frames 300..400 only
    cues = [
        speech_cue(100 / RATE, 500 / RATE, "a"),
        tone_cue(800 / RATE, 100 / RATE, "t"),
        tone_cue((n + 300) / RATE, 100 / RATE, "t"),
    ]
    speech, sounds = {"a": sine(0.5, 300)}, {"t": sine(0.1, 1000)}
    tl = timeline(cues, 2 * n / RATE)
    first, second = render_chunks(tl, speech, sounds, RATE, n, levels=Levels(fade=0.0))
    for block, sounding in ((first, [(100, 600), (800, 900)]), (second, [(300, 400)])):
        silent = np.ones(n, dtype=bool)
        for lo, hi in sounding:
            silent[lo:hi] = False
            assert np.count_nonzero(block[lo:hi]) >= 0.9 * (hi - lo)  # a sine: some zeros
        assert not block[silent].any()
    whole = render(tl, speech, sounds, RATE, levels=Levels(fade=0.0))
    assert np.array_equal(np.concatenate([first, second]), whole)


def test_a_missing_clip_fails_before_any_audio() -> None:
    tl = timeline([speech_cue(0.0, 1.0, "Unknown line.")], 1.0)
    with pytest.raises(ValueError, match="Unknown line"):
        render_chunks(tl, {}, {}, RATE)
    with pytest.raises(ValueError, match="'gong'"):
        render_chunks(timeline([tone_cue(0.0, 1.0, "gong")], 1.0), {}, {}, RATE)


def test_silent_and_empty_clips_render_as_silence() -> None:
    cues = [speech_cue(0.0, 0.5, "hush"), tone_cue(0.5, 0.5, "none")]
    speech = {"hush": Clip(np.zeros(1000, dtype=np.float32), RATE)}
    sounds = {"none": Clip(np.zeros(0, dtype=np.float32), RATE)}
    pcm = render(timeline(cues, 1.0), speech, sounds, RATE)
    assert pcm.shape == (RATE,) and not pcm.any()


def test_levels_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        Levels(speech_db=1.0)
    with pytest.raises(ValueError):
        Levels(tone_db=3.0)
    with pytest.raises(ValueError):
        Levels(fade=-0.001)
    assert Levels().tone_peak == pytest.approx(db_to_gain(-15.0))
