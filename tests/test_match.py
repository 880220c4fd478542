"""The yardsticks of dropouts: ``audio_helpers.match`` (the keys smoke tests) finds an expected
sound in a recording that has dropouts (silences a stalled player left) in it, and tells another
sound from it; ``measure.find_dropouts`` (``scripts/bench.py --dropouts``) finds each dropout and
its length.

The sounds are real: espeak-ng's lines after matcue's own inhale tone, as a session plays them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from audio_helpers import match, resample
from matcue.audio.tones import load_sound
from matcue.voice import Pyttsx3Voice, VoiceSettings
from measure import find_dropouts

RATE = 22050  # the lines' and the tone's
SINK = 48000  # the recording's, as the null sink's
LEAD = 0.4  # seconds of silence before the sound in a recording


def cue(voice: Pyttsx3Voice, text: str) -> npt.NDArray[np.int16]:
    """The inhale tone, a quarter second later the line: one cue, at RATE."""
    tone = load_sound("inhale", RATE).samples
    line = voice.clip(text).samples
    out = np.zeros(round(0.25 * RATE) + line.size, dtype=np.float32)
    out[: tone.size] += tone
    out[round(0.25 * RATE) :] += line
    return np.round(out / np.abs(out).max() * 20000).astype(np.int16)


def recorded(sound: npt.NDArray[np.int16], *, gaps: dict[float, float]) -> npt.NDArray[np.int16]:
    """``sound`` as the sink records it: resampled to SINK, after LEAD seconds of silence,
    with a silence of ``gaps[t]`` seconds put in at the sound's second ``t``, and a second of
    silence after it."""
    heard = resample(sound, RATE, SINK)
    parts, done = [np.zeros(round(LEAD * SINK))], 0
    for t, seconds in sorted(gaps.items()):
        parts += [heard[done : round(t * SINK)], np.zeros(round(seconds * SINK))]
        done = round(t * SINK)
    parts += [heard[done:], np.zeros(SINK)]
    return np.round(np.concatenate(parts)).astype(np.int16)


@pytest.fixture(scope="module")
def voice(speech_cache: Path) -> Pyttsx3Voice:
    return Pyttsx3Voice(VoiceSettings(), cache_dir=speech_cache)


def test_a_sound_is_found_where_it_starts_with_no_dropouts(voice: Pyttsx3Voice) -> None:
    sound = cue(voice, "Breathe in. Hug your right knee.")
    found = match(sound, RATE, recorded(sound, gaps={}), SINK, 0.0, 4.0)
    assert found.start == pytest.approx(LEAD, abs=0.006)
    assert found.r >= 0.97
    assert found.gaps == pytest.approx(0.0, abs=0.006)
    assert found.skipped_loud == 0.0


def test_dropouts_are_taken_out_and_everything_after_them_is_late_by_them(
    voice: Pyttsx3Voice,
) -> None:
    sound = cue(voice, "Breathe in. Hug your right knee.")
    gaps = {0.6: 0.15, 1.0: 0.25, 1.4: 0.1}  # within words and between them
    found = match(sound, RATE, recorded(sound, gaps=gaps), SINK, 0.0, 5.0)
    assert found.start == pytest.approx(LEAD, abs=0.006)
    assert found.r >= 0.95
    assert found.gaps == pytest.approx(0.5, abs=0.02)
    assert found.skipped_loud <= 0.01
    assert found.at(0.5) == pytest.approx(LEAD + 0.5, abs=0.01)
    assert found.at(1.2) == pytest.approx(LEAD + 1.2 + 0.4, abs=0.02)
    # unfound, the same recording compared whole loses its likeness: the reason for match()
    plain = np.corrcoef(
        np.abs(recorded(sound, gaps=gaps)[: round((LEAD + 1.8) * SINK)].astype(float))[::480],
        np.abs(recorded(sound, gaps={})[: round((LEAD + 1.8) * SINK)].astype(float))[::480],
    )[0, 1]
    assert plain < found.r


def test_another_line_after_the_same_tone_does_not_match(voice: Pyttsx3Voice) -> None:
    heard = recorded(cue(voice, "Short session. About one minute."), gaps={0.8: 0.2})
    expected = cue(voice, "Breathe in. Hug your right knee.")
    found = match(expected, RATE, heard, SINK, 0.0, 5.0)
    assert found.r < 0.8  # test_e2e_keys.MATCH


def test_sound_that_is_not_expected_inside_the_match_is_counted(voice: Pyttsx3Voice) -> None:
    """A dropout is silent; a player that plays something extra in the middle is not."""
    sound = cue(voice, "Breathe in. Hug your right knee.")
    extra = cue(voice, "Short session.")[round(0.3 * RATE) : round(0.6 * RATE)]  # 0.3 s of words
    t = round(1.0 * RATE)
    found = match(
        sound,
        RATE,
        recorded(np.concatenate([sound[:t], extra, sound[t:]]), gaps={}),
        SINK,
        0.0,
        5.0,
    )
    assert found.skipped_loud >= 0.1, found  # of its 0.3 s, the words' own pauses aside
    assert found.gaps == pytest.approx(0.3, abs=0.02)


def test_a_window_too_short_for_the_sound_is_an_error(voice: Pyttsx3Voice) -> None:
    sound = cue(voice, "Breathe in.")
    with pytest.raises(AssertionError, match="too short to search"):
        match(sound, RATE, recorded(sound, gaps={}), SINK, 0.0, 0.2)


def test_the_bench_finds_each_dropout_and_how_long_it_was(voice: Pyttsx3Voice) -> None:
    """Two cues with a pause between them; a dropout in a line, and one in the pause (not heard
    there: the next cue comes late by it, and the silence before it shows so)."""
    first, second = cue(voice, "Breathe in. Hug your right knee."), cue(voice, "Short session.")
    session = np.concatenate([first, np.zeros(RATE // 2, dtype=np.int16), second])
    pause = first.size / RATE + 0.2  # session seconds inside the pause
    clean = find_dropouts(session, RATE, recorded(session, gaps={}), SINK)
    assert clean.found == ()
    assert clean.start_lag == pytest.approx(LEAD, abs=0.002)
    assert clean.delay == pytest.approx(0.0, abs=0.006)
    heard = find_dropouts(session, RATE, recorded(session, gaps={1.0: 0.1, pause: 0.15}), SINK)
    assert [d.silent for d in heard.found] == pytest.approx([0.1, 0.15], abs=0.011)
    assert [d.delay for d in heard.found] == pytest.approx([0.1, 0.15], abs=0.006)
    # where the recording fell silent: at the stall, or where a quiet stretch before it began
    assert 0.5 < heard.found[0].at <= 1.005 and 1.2 < heard.found[1].at <= pause + 0.005
    assert heard.longest == pytest.approx(0.15, abs=0.011)
    assert heard.delay == pytest.approx(0.25, abs=0.006)
