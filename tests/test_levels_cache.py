"""The levels cache: a render through it is the same PCM as one without it, a second render
reads every entry back instead of levelling again, and a damaged entry is noticed and rebuilt."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from matcue.audio import SESSION_LEVELS, Levels, loudness, measuring_ahead, render
from matcue.audio.clip import Clip
from matcue.audio.levels_cache import LevelsCache, clip_digest, levels_key
from matcue.audio.music import load_music
from test_export_loudness import RATE, session
from test_sound_options import write_music

# the module (``matcue.audio.render`` is also the name of the function the package exports)
render_module = importlib.import_module("matcue.audio.render")


def entries(cache: LevelsCache) -> list[Path]:
    return sorted(cache.directory.rglob("*.lvl"))


def test_cached_and_uncached_renders_are_the_same_pcm(tmp_path: Path) -> None:
    tl, lines, sounds = session()
    plain = render(tl, lines, sounds, RATE, levels=SESSION_LEVELS)
    cold = LevelsCache(tmp_path)
    first = render(tl, lines, sounds, RATE, levels=SESSION_LEVELS, levels_cache=cold)
    # a measurement and a levelled clip for each of the 6 lines and the 1 tone
    assert (cold.hits, cold.misses, len(entries(cold))) == (0, 14, 14)
    warm = LevelsCache(tmp_path)
    second = render(tl, lines, sounds, RATE, levels=SESSION_LEVELS, levels_cache=warm)
    assert (warm.hits, warm.misses) == (14, 0)
    assert np.array_equal(first, plain)
    assert np.array_equal(second, plain)


def test_another_target_makes_new_entries_and_keeps_the_measurements(tmp_path: Path) -> None:
    tl, lines, sounds = session()
    render(tl, lines, sounds, RATE, levels=SESSION_LEVELS, levels_cache=LevelsCache(tmp_path))
    quieter = Levels(loudness=-20.0, true_peak=-1.5)
    cache = LevelsCache(tmp_path)
    cached = render(tl, lines, sounds, RATE, levels=quieter, levels_cache=cache)
    assert (cache.hits, cache.misses) == (7, 7)  # the measurements are the same
    assert np.array_equal(cached, render(tl, lines, sounds, RATE, levels=quieter))


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "empty"])
def test_a_damaged_entry_is_detected_and_rebuilt(tmp_path: Path, damage: str) -> None:
    tl, lines, sounds = session()
    plain = render(tl, lines, sounds, RATE, levels=SESSION_LEVELS)
    render(tl, lines, sounds, RATE, levels=SESSION_LEVELS, levels_cache=LevelsCache(tmp_path))
    files = entries(LevelsCache(tmp_path))
    for path in files:
        data = bytearray(path.read_bytes())
        if damage == "flip":
            data[-3] ^= 0x40  # one bit of the stored samples
        elif damage == "truncate":
            data = data[: len(data) - 8]
        elif damage == "garbage":
            data = bytearray(b"not a levels entry\n") + data
        else:
            data = bytearray()
        path.write_bytes(bytes(data))
    cache = LevelsCache(tmp_path)
    again = render(tl, lines, sounds, RATE, levels=SESSION_LEVELS, levels_cache=cache)
    assert (cache.hits, cache.misses) == (0, 14)
    assert np.array_equal(again, plain)
    # rebuilt in place: the next render reads them all back
    warm = LevelsCache(tmp_path)
    assert np.array_equal(
        render(tl, lines, sounds, RATE, levels=SESSION_LEVELS, levels_cache=warm), plain
    )
    assert (warm.hits, warm.misses) == (14, 0)


def test_an_entry_round_trips_exactly(tmp_path: Path) -> None:
    cache = LevelsCache(tmp_path)
    rng = np.random.default_rng(3)
    samples = rng.standard_normal(1000)
    prof = loudness.profile(samples, RATE)
    key = levels_key("measure", "abc", RATE)
    cache.put(key, {"lufs": prof.lufs, "silent": -np.inf}, prof.cumulative)
    found = cache.get(key)
    assert found is not None
    fields, array = found
    assert fields == {"lufs": prof.lufs, "silent": -np.inf}
    assert array.dtype == np.float64 and np.array_equal(array, prof.cumulative)
    array[0] = 1.0  # writable: the renderer scales levelled clips in place
    assert cache.get(levels_key("measure", "abd", RATE)) is None


def test_an_unwritable_cache_only_costs_speed(tmp_path: Path) -> None:
    blocker = tmp_path / "root"
    blocker.write_text("a file where the cache folder should be")
    tl, lines, sounds = session()
    cache = LevelsCache(blocker)
    out = render(tl, lines, sounds, RATE, levels=SESSION_LEVELS, levels_cache=cache)
    assert np.array_equal(out, render(tl, lines, sounds, RATE, levels=SESSION_LEVELS))


def test_the_clip_digest_follows_samples_and_rate() -> None:
    samples = np.linspace(-0.5, 0.5, 100, dtype=np.float32)
    one = clip_digest(Clip(samples, RATE))
    assert one == clip_digest(Clip(samples.copy(), RATE))
    assert one != clip_digest(Clip(samples, 44100))
    changed = samples.copy()
    changed[50] += 1e-6
    assert one != clip_digest(Clip(changed, RATE))


def test_lines_measured_ahead_are_ready_for_the_render(tmp_path: Path) -> None:
    tl, lines, sounds = session()
    plain = render(tl, lines, sounds, RATE, levels=SESSION_LEVELS)
    with measuring_ahead(LevelsCache(tmp_path), RATE) as measure:
        for clip in lines.values():
            measure(clip)
            measure(clip)  # a clip seen again is measured once
    cache = LevelsCache(tmp_path)
    out = render(tl, lines, sounds, RATE, levels=SESSION_LEVELS, levels_cache=cache)
    # each line's measurement and levelled samples were there; only the tone's were not
    assert (cache.hits, cache.misses) == (12, 2)
    assert np.array_equal(out, plain)


def test_a_session_with_the_same_lines_at_another_pace_levels_nothing_again(
    tmp_path: Path,
) -> None:
    """Lines are levelled over the target whatever the session; each session turns them down
    to its own line loudness in the mix. So another pace, which moves that loudness, reads
    every line back from the cache."""
    tl, lines, sounds = session()
    render(tl, lines, sounds, RATE, levels=SESSION_LEVELS, levels_cache=LevelsCache(tmp_path))
    slower = dataclasses.replace(
        tl,
        duration=tl.duration * 1.7,
        cues=tuple(dataclasses.replace(c, t=c.t * 1.7) for c in tl.cues),
    )
    line_lufs = [
        render_module._Renderer(t, lines, sounds, RATE, SESSION_LEVELS).line_lufs
        for t in (tl, slower)
    ]
    assert line_lufs[0] != line_lufs[1]
    cache = LevelsCache(tmp_path)
    out = render(slower, lines, sounds, RATE, levels=SESSION_LEVELS, levels_cache=cache)
    assert (cache.hits, cache.misses) == (14, 0)
    assert np.array_equal(out, render(slower, lines, sounds, RATE, levels=SESSION_LEVELS))


def test_clips_let_go_between_uses_come_back_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tl, lines, sounds = session()
    plain = render(tl, lines, sounds, RATE, levels=SESSION_LEVELS)
    monkeypatch.setattr(render_module, "KEEP_BYTES", 1)  # keep nothing between uses
    cache = LevelsCache(tmp_path)
    out = render(tl, lines, sounds, RATE, levels=SESSION_LEVELS, levels_cache=cache)
    assert np.array_equal(out, plain)
    assert cache.hits > 0  # the clips let go were read back
    unlevelled = render(tl, lines, sounds, RATE)  # normalised again instead: the same too
    monkeypatch.setattr(render_module, "KEEP_BYTES", 1 << 40)
    assert np.array_equal(unlevelled, render(tl, lines, sounds, RATE))


@pytest.mark.parametrize("keep", ["kept", "let-go"])
@pytest.mark.parametrize("stereo", [False, True], ids=["mono", "stereo"])
def test_a_render_from_a_frame_is_the_whole_render_from_there_with_the_levels_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stereo: bool, keep: str
) -> None:
    """The keys' remainders (live pace, skip) render from a frame with the levels cache, the
    loudness target, stereo and music: exactly the whole render's frames from there, cold or
    warm cache, with clips kept between uses or let go and read back."""
    tl, lines, sounds = session()
    sides = ("left", None, "right")
    cues = tuple(dataclasses.replace(c, side=sides[i % 3]) for i, c in enumerate(tl.cues))
    tl = dataclasses.replace(tl, cues=cues)
    music = load_music(write_music(tmp_path / "m.wav", seconds=1.3), RATE)
    if keep == "let-go":
        monkeypatch.setattr(render_module, "KEEP_BYTES", 1)
    options: dict[str, Any] = {"levels": SESSION_LEVELS, "stereo": stereo, "music": music}
    whole = render(tl, lines, sounds, RATE, **options)
    total = whole.shape[0]
    cache = LevelsCache(tmp_path / "levels")
    first = lines["line 0"].frames
    for start in (0, 1, 7000, first + 5511, total // 2 + 3, total - 1, total):
        rest = render(tl, lines, sounds, RATE, levels_cache=cache, start=start, **options)
        assert rest.shape == whole[start:].shape, start
        assert np.array_equal(rest, whole[start:]), start
        alone = render(tl, lines, sounds, RATE, start=start, workers=0, **options)
        assert np.array_equal(alone, whole[start:]), start  # no levelling threads: the same
    assert cache.hits > 0
    blocks = render_module.render_chunks(
        tl, lines, sounds, RATE, 1009, levels_cache=cache, start=total // 3, **options
    )
    assert np.array_equal(np.concatenate(list(blocks)), whole[total // 3 :])
