"""The keys, end to end, as smoke tests: the real ``matcue play`` with its stdin a pseudo-terminal,
playing into the private PulseAudio null sink while parec records it. Only what needs the real
device and a real terminal is here: pause silences the sound within 300 ms and resume goes on
with the interrupted phase, and the pain stop silences it at once and is logged. What every
key does to the session is tested in virtual time (tests/test_session.py and its neighbours).

Where the session is in the recording: the start bell rings at session time 0, so the first
onset in the recording is the session's start (``lag``); a key sent ``d`` seconds after
"Playing …" arrived lands at recording time ``lag + d`` (it errs early by the moment the
message takes to arrive, which only makes a sound seem to go on longer after a key).
What the session should sound like comes from the same compile and render, in this process,
from the same speech cache.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from audio_helpers import PLAYING_TIMEOUT, SHORT_SESSION, Match, clean_take, match
from conftest import PulseServer, Recording
from matcue import api
from matcue.playback import transport as tp
from matcue.store import paths
from matcue.timeline import Timeline
from measure import bursts, onsets, quiet_after
from pulse import MATCUE, KeyTake, keyed_play, player_env

ROUTINE = SHORT_SESSION
RATE = 22050
QUIET_WITHIN = 0.300  # seconds from a pause or pain-stop key to silence
QUIET = 0.01  # of the recording's peak: silence
MATCH = 0.8  # least r of a match() for "this is that part of the session" (another: ~0.7)
ATTEMPTS = 3  # takes of a test, when the machine disturbed the ones before

# a test that plays may play three takes (see audio_helpers.clean_take)
pytestmark = [pytest.mark.audio, pytest.mark.timeout(PLAYING_TIMEOUT)]


@dataclass(frozen=True)
class Reference:
    timeline: Timeline  # as ``matcue play`` compiles it on a terminal (the keys line on)
    pcm: npt.NDArray[np.int16]  # at RATE
    env: dict[str, str]


@pytest.fixture(scope="module")
def reference(
    pulse: PulseServer, speech_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Reference:
    """The session as ``matcue play`` makes it on a terminal (the keys line in its intro), made
    through the library, with the shared speech cache."""
    cache = speech_cache
    where = paths.folders(
        {
            paths.CACHE_ENV: str(cache),
            paths.CONFIG_ENV: str(cache.parent / "no-config" / "config.toml"),
            paths.DATA_ENV: str(cache.parent / "no-history"),
        }
    )
    session = api.plan(ROUTINE, keys=True, folders=where)
    env = player_env(pulse, cache, tmp_path_factory.mktemp("keys-home"))
    return Reference(session.timeline, api.render(session), env)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def clean(
    take: Callable[[], KeyTake], data: Path | None, check: Callable[[KeyTake], object]
) -> KeyTake:
    """The first ``take()`` that passes ``check``; one that fails it while the machine
    disturbed it is played again (see ``clean_take``), and its history (in ``data``) goes."""

    def forget() -> None:
        if data is not None:
            shutil.rmtree(data, ignore_errors=True)

    return clean_take(take, ATTEMPTS, check, before_retry=forget)


def history(env: dict[str, str], data: Path) -> list[dict[str, object]]:
    done = subprocess.run(
        [str(MATCUE), "history", "--json"],
        env={**env, "MATCUE_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    sessions: list[dict[str, object]] = json.loads(done.stdout)["sessions"]
    return sessions


def find(take: KeyTake, piece: npt.NDArray[np.int16], lo: float, hi: float) -> Match:
    """Where ``piece`` (session PCM at RATE) sounds in the recording between recording times
    ``lo`` and ``hi``, dropouts and all (:func:`audio_helpers.match`)."""
    return match(piece, RATE, take.recording, take.rate, lo, hi)


def quiet_from(take: KeyTake, t: float) -> float:
    """The first recording time at or after ``t`` from which 50 ms are silent."""
    level = QUIET * float(np.abs(take.recording.astype(np.float64)).max())
    return t + quiet_after(take.recording, take.rate, t, level / 2)


def piece(ref: Reference, t: float, seconds: float = 1.5) -> npt.NDArray[np.int16]:
    return ref.pcm[round(t * RATE) : round((t + seconds) * RATE)]


def test_pause_is_silent_at_once_and_resume_replays_the_interrupted_phase(
    reference: Reference, recorder: Callable[[], Recording], data_dir: Path
) -> None:
    env = {**reference.env, "MATCUE_DATA_DIR": str(data_dir)}

    def heard(take: KeyTake) -> None:
        assert take.code == 0, take.stderr
        assert take.stderr.startswith("Playing Short session"), take.stderr
        lag = take.lag
        (paused, _), (resumed, _), _ = take.keys
        # silent within 300 ms: from then until the resume key, at most the short pause tone
        level = QUIET * float(np.abs(take.recording.astype(np.float64)).max())
        gap = take.recording[take.at(lag + paused + QUIET_WITHIN) : take.at(lag + resumed)]
        sounding = bursts(np.where(np.abs(gap) >= level, gap, 0), take.rate, fraction=0.0001)
        assert sum(b.duration for b in sounding) <= 0.15, sounding
        # resume: "Resuming. Three. Two. One." and the interrupted phase from its start
        tl = reference.timeline
        phase = tl.phases[tp.phase_index(tl, paused)]
        found = find(take, piece(reference, phase.t), lag + resumed, lag + resumed + 8.0)
        after = found.start - (lag + resumed)
        print(f"resume: the phase began {after:.3f} s after the key (r={found.r:.2f})")
        assert found.r >= MATCH, found
        assert 1.5 <= after <= 5.0, found  # after the spoken countdown

    script = [(2.5, b" "), (4.5, b" "), (10.0, b"q")]
    clean(lambda: keyed_play(recorder, env, ROUTINE, script), data_dir, heard)


def test_pain_stop_is_silent_at_once_and_logged(
    reference: Reference, recorder: Callable[[], Recording], data_dir: Path
) -> None:
    env = {**reference.env, "MATCUE_DATA_DIR": str(data_dir)}

    def heard(take: KeyTake) -> None:
        assert take.code == 0, take.stderr
        assert take.stderr.startswith("Playing Short session"), take.stderr
        stopped = take.keys[0][0]
        assert quiet_from(take, take.lag + stopped) - (take.lag + stopped) <= QUIET_WITHIN
        # then the calm line, after the silence
        calm = onsets(take.recording[take.at(take.lag + stopped + QUIET_WITHIN) :], take.rate)
        assert calm, "the pain-stop line was not heard"

    clean(lambda: keyed_play(recorder, env, ROUTINE, [(2.5, b"x")]), data_dir, heard)
    sessions = history(reference.env, data_dir)
    assert [s["ending"] for s in sessions] == ["pain"]


def test_ctrl_backslash_ends_the_session_like_ctrl_c_with_the_place_saved(
    reference: Reference, recorder: Callable[[], Recording], data_dir: Path
) -> None:
    """Ctrl-\\ (SIGQUIT from the terminal) while playing: the sound stops, "Stopped.", exit
    130, a history row and a resume point, as Ctrl-C (the terminal put back: test_signals)."""
    from matcue.store.history import resume_point
    from matcue.store.paths import DB_NAME

    env = {**reference.env, "MATCUE_DATA_DIR": str(data_dir)}

    def heard(take: KeyTake) -> None:
        assert take.code == 130, take.stderr
        assert take.stderr.startswith("Playing Short session"), take.stderr
        assert take.stderr.endswith("\nStopped.\n"), take.stderr
        assert "Traceback" not in take.stderr

    def take() -> KeyTake:  # (no media-keys note before "Playing …")
        keys = [(1.5, b"\x1c")]  # typed on matcue's controlling terminal: SIGQUIT
        return keyed_play(recorder, env, ROUTINE, keys, ["--no-media-keys"], controlling=True)

    clean(take, data_dir, heard)
    sessions = history(reference.env, data_dir)
    assert [s["ending"] for s in sessions] == ["interrupted"]
    point = resume_point("short-session", data_dir / DB_NAME)
    assert point is not None and point.exercise >= 1
