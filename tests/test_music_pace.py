"""Long music after a live pace change (issue #19): a slower pace plays more of the music than
was measured when the session started, and that part is measured as the session reaches it. The
gain only goes down: music that gets louder later plays at the level an export at the new pace
gives it (its RMS and peak limits hold), music that gets quieter stays at the level heard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from matcue import api
from matcue.api.model import SESSION_RATE as RATE
from matcue.api.model import Options
from matcue.audio.music import HELD_SECONDS, MUSIC_PEAK_DB, load_music, reach
from matcue.audio.units import db_to_gain

ROUTINE = Path(__file__).parent / "routines" / "cli" / "short-session.yaml"
SECONDS = int(HELD_SECONDS) + 60  # longer than music held in memory: it is streamed


def stepped(path: Path, at: float, step_db: float) -> Path:
    """Noise whose level steps by ``step_db`` at ``at`` seconds."""
    noise = np.random.default_rng(7).standard_normal(SECONDS * RATE).astype(np.float32) * 0.05
    noise[round(at * RATE) :] *= np.float32(db_to_gain(step_db))
    sf.write(str(path), noise, RATE)
    return path


@pytest.mark.parametrize("step_db", [10.0, -10.0])
def test_a_longer_session_measures_the_music_it_reaches(tmp_path: Path, step_db: float) -> None:
    path = stepped(tmp_path / "music.wav", 60.0, step_db)
    first = load_music(path, RATE, 60 * RATE)
    assert first.streamed is not None
    assert reach(first, 30 * RATE) is first  # shorter: nothing new to measure
    assert reach(first, 60 * RATE) is first
    longer = reach(first, 120 * RATE)
    assert longer.streamed is not None and longer.streamed.measured == 120 * RATE
    fresh = load_music(path, RATE, 120 * RATE).streamed  # what an export that long measures
    assert fresh is not None
    if step_db > 0:  # louder ahead: the limits of an export at that length
        assert longer.streamed.gain == fresh.gain < first.streamed.gain
        assert longer.streamed.peak <= db_to_gain(MUSIC_PEAK_DB) * 1.0001
    else:  # quieter ahead: the level already heard, no jump up
        assert longer.streamed.gain == first.streamed.gain < fresh.gain
    assert longer.streamed.peak == pytest.approx(
        float(np.max(np.abs(longer.block(0, 120 * RATE)))), rel=1e-6
    )
    assert reach(longer, 120 * RATE) is longer


def test_held_music_is_levelled_as_a_whole_once(tmp_path: Path) -> None:
    path = tmp_path / "short.wav"
    sf.write(str(path), np.full(10 * RATE, 0.1, dtype=np.float32), RATE)
    music = load_music(path, RATE, 5 * RATE)
    assert music.streamed is None and reach(music, 60 * RATE) is music


def test_after_a_live_pace_change_louder_music_plays_as_an_export_at_that_pace(
    tmp_path: Path,
) -> None:
    path = tmp_path / "music.wav"
    stepped(path, 0.0, 0.0)
    start = api.prepare(ROUTINE, Options(music=path, pace=100.0))
    stepped(path, start.timeline.duration, 10.0)  # louder just past what pace 100 plays
    start = api.prepare(ROUTINE, Options(music=path, pace=100.0))
    player = api.Player(start)
    slower = player._at_pace(50.0)  # what the '-' key compiles
    assert slower.duration > start.timeline.duration + 10
    live = player._render(slower, 0)
    exported = api.render(api.prepare(ROUTINE, Options(music=path, pace=50.0)))
    assert np.array_equal(live, exported)
