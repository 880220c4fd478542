"""The speech cache holds its clips as int16 (half the memory of float32), and what the rest of
matcue sees of them is exactly the float32 samples soundfile reads from the entry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from matcue.audio.clip import Clip, Int16Clip, readonly_clip
from matcue.audio.levels_cache import clip_digest
from matcue.voice.cache import SpeechCache

RATE = 22050
KEY = "cd" + "1" * 62


def speechlike(frames: int) -> np.ndarray:
    rng = np.random.default_rng(5)
    return (0.6 * np.sin(np.arange(frames) / 7.0) + 0.1 * rng.standard_normal(frames)).astype(
        np.float32
    )


def test_a_clip_read_back_is_int16_and_gives_the_floats_soundfile_reads(tmp_path: Path) -> None:
    SpeechCache(tmp_path).put(KEY, Clip(speechlike(30_000), RATE))
    clip = SpeechCache(tmp_path).get(KEY)
    assert isinstance(clip, Int16Clip)
    assert clip.pcm.dtype == np.int16 and clip.pcm.nbytes == 2 * 30_000
    floats, rate = sf.read(SpeechCache(tmp_path).path_for(KEY), dtype="float32")
    assert rate == RATE and clip.rate == RATE
    assert clip.samples.dtype == np.float32
    assert clip.samples.tobytes() == floats.tobytes()
    assert clip.frames == 30_000 and clip.duration == pytest.approx(30_000 / RATE)
    # the levels cache keys on the float32 samples: the same entries as a float32 clip's
    assert clip_digest(clip) == clip_digest(Clip(floats, RATE))


def test_its_samples_cannot_be_modified_in_place(tmp_path: Path) -> None:
    SpeechCache(tmp_path).put(KEY, Clip(speechlike(1000), RATE))
    clip = SpeechCache(tmp_path).get(KEY)
    assert clip is not None
    with pytest.raises(ValueError):
        clip.samples[0] = 1.0
    assert isinstance(clip, Int16Clip)
    with pytest.raises(ValueError):
        clip.pcm[0] = 1


def test_only_floats_that_are_exactly_int16_are_held_as_int16() -> None:
    exact = np.array([-1.0, -0.5, 0.0, 3 / 32768, 32767 / 32768], dtype=np.float32)
    held = readonly_clip(exact, RATE)
    assert isinstance(held, Int16Clip)
    assert held.samples.tobytes() == exact.tobytes()
    for inexact in ([0.1, 0.2], [1.0], [np.nan]):
        clip = readonly_clip(np.array(inexact, dtype=np.float32), RATE)
        assert not isinstance(clip, Int16Clip)
        assert clip.samples.tobytes() == np.array(inexact, dtype=np.float32).tobytes()
