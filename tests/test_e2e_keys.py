"""The keys, end to end: the real ``matcue play`` with its stdin a pseudo-terminal, playing into
the private PulseAudio null sink while parec records it.

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

from audio_helpers import (
    MATCUE,
    PLAYING_TIMEOUT,
    SHORT_SESSION,
    KeyTake,
    Match,
    bursts,
    clean_take,
    envelope,
    keyed_play,
    match,
    onsets,
    player_env,
    start_matcue,
    without_alsa_notes,
)
from conftest import PulseServer, Recording
from matcue.audio import SESSION_LEVELS, render
from matcue.audio.tones import load_sounds
from matcue.playback import transport as tp
from matcue.routine import load_routine
from matcue.store import history as history_module
from matcue.store.paths import DB_NAME
from matcue.timeline import Pace, Timeline, compile, spoken
from matcue.voice import Pyttsx3Voice, VoiceSettings

ROUTINE = SHORT_SESSION
RATE = 22050
QUIET_WITHIN = 0.300  # seconds from a pause or pain-stop key to silence
QUIET = 0.01  # of the recording's peak: silence
MATCH = 0.8  # least r of a match() for "this is that part of the session" (another: ~0.7)
ATTEMPTS = 4

# a test that plays waits for calm and may play four takes (see audio_helpers.clean_take)
pytestmark = [pytest.mark.audio, pytest.mark.timeout(PLAYING_TIMEOUT)]


@dataclass(frozen=True)
class Reference:
    timeline: Timeline  # as ``matcue play`` compiles it on a terminal (the keys line on)
    pcm: npt.NDArray[np.int16]  # at RATE
    env: dict[str, str]
    cache: Path


def as_played(timeline: Timeline, voice: Pyttsx3Voice) -> npt.NDArray[np.int16]:
    """``timeline`` rendered at RATE as ``matcue play`` renders it (the session's levels)."""
    clips = voice.clips({c.text for c in timeline.cues if c.text})
    return render(timeline, clips, load_sounds(RATE), RATE, levels=SESSION_LEVELS)


@pytest.fixture(scope="module")
def reference(pulse: PulseServer, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    cache = tmp_path_factory.getbasetemp() / "speech-cache"  # shared with the other e2e tests
    cache.mkdir(exist_ok=True)
    voice = Pyttsx3Voice(VoiceSettings(), cache_dir=cache)
    tl = compile(load_routine(ROUTINE), Pace(), lambda t: voice.clip(t).duration, keys=True)
    pcm = as_played(tl, voice)
    env = player_env(pulse, cache, tmp_path_factory.mktemp("keys-home"))
    return Reference(tl, pcm, env, cache)


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
    env = envelope(take.recording[take.at(t) :], take.rate, 0.005)
    loud = env > level / 2
    for k in range(env.size - 10):
        if not loud[k : k + 10].any():
            return t + k * 0.005
    return float("inf")


def piece(ref: Reference, t: float, seconds: float = 1.5) -> npt.NDArray[np.int16]:
    return ref.pcm[round(t * RATE) : round((t + seconds) * RATE)]


def test_pause_is_silent_at_once_and_resume_replays_the_interrupted_phase(
    reference: Reference, recorder: Callable[[], Recording], data_dir: Path
) -> None:
    env = {**reference.env, "MATCUE_DATA_DIR": str(data_dir)}

    def heard(take: KeyTake) -> None:
        assert take.code == 0, take.stderr
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
    clean(lambda: keyed_play(recorder, env, script), data_dir, heard)


def test_next_skips_to_the_next_exercise(
    reference: Reference, recorder: Callable[[], Recording], data_dir: Path
) -> None:
    env = {**reference.env, "MATCUE_DATA_DIR": str(data_dir)}
    first = tp.exercise_start(reference.timeline, 1)  # "Next: Tilt."

    def heard(take: KeyTake) -> None:
        assert take.code == 0, take.stderr
        lag = take.lag
        skipped = take.keys[0][0]
        found = find(take, piece(reference, first, 1.2), lag + skipped, lag + skipped + 4.0)
        after = found.start - (lag + skipped)
        print(f"skip: the exercise began {after:.3f} s after the key (r={found.r:.2f})")
        assert found.r >= MATCH, found
        assert after <= 0.8, found  # the confirmation tone, then the exercise

    clean(lambda: keyed_play(recorder, env, [(2.0, b"n"), (5.0, b"q")]), data_dir, heard)


def test_faster_shortens_the_rest_of_the_session_as_planned(
    reference: Reference, recorder: Callable[[], Recording], data_dir: Path
) -> None:
    env = {**reference.env, "MATCUE_DATA_DIR": str(data_dir)}
    script = [(1.0 + 0.1 * i, b"+") for i in range(10)]  # pace 200
    old = reference.timeline
    voice = Pyttsx3Voice(VoiceSettings(), cache_dir=reference.cache)
    new = compile(load_routine(ROUTINE), Pace(200), lambda t: voice.clip(t).duration, keys=True)
    # "Pace two hundred." as the player says it (at the session's levels), then a gap
    said = spoken(("Pace two hundred.",), lambda t: voice.clip(t).duration)
    line_pcm = as_played(said, voice)
    line = said.duration
    start = tp.exercise_start(old, 2)

    def heard(take: KeyTake) -> None:
        """Where the pace line and what follows it are heard, each measured from a landmark a
        few seconds before it (a stall elsewhere in the take does not move them)."""
        assert take.code == 0, take.stderr
        # the recording time of the session's start point (it begins with words, not the bell)
        first = take.lag  # the first sound: the exercise's first words, just after its start
        begins = find(take, piece(reference, start), max(0.0, first - 1.0), first + 2.5)
        assert begins.r >= MATCH, f"the start point: {begins}"
        lag = begins.start
        # the splice: "Pace two hundred." at a phase boundary of the old timeline after the key
        last = take.keys[-1][0]
        boundaries = range(tp.phase_index(old, start + last) + 1, len(old.phases) - 1)
        latest = old.phases[boundaries[-1]].t - start
        paced = find(take, line_pcm, lag + last, lag + latest + line + 1.0)
        assert paced.r >= MATCH, f"the pace line at {paced.start - lag:.3f} s: {paced}"
        # The player keeps time by its clock and starts the spliced sound as a new stream, so
        # the line comes on time even after a dropout (which only delayed the old sound, and
        # whose end the splice then cuts): measured from the start point, not from the sound
        # before it.
        at = paced.start - lag  # seconds after the start point
        k = min(boundaries, key=lambda k: abs(old.phases[k].t - start - at))
        print(
            f"pace line at {at:.3f} s (r={paced.r:.2f}): phase {k} ({old.phases[k].kind}) "
            f"begins at {old.phases[k].t - start:.3f} s"
        )
        assert abs(old.phases[k].t - start - at) <= 0.1, (at, k)
        # then the new timeline from phase k on: the first phase it moves by half a second or
        # more (a shorter hold before it) begins where the new timeline puts it
        j = next(
            j
            for j in range(k + 1, len(old.phases))
            if abs((new.phases[j].t - new.phases[k].t) - (old.phases[j].t - old.phases[k].t)) >= 0.5
        )
        planned = paced.start + line + new.phases[j].t - new.phases[k].t
        was = paced.start + line + old.phases[j].t - old.phases[k].t  # had the pace stayed
        begun = find(take, piece(reference, old.phases[j].t), planned - 1.0, was + 1.0)
        print(
            f"phase {j} ({old.phases[j].kind}) {begun.start - planned:+.3f} s from planned, "
            f"r={begun.r:.2f}"
        )
        assert begun.r >= MATCH, f"phase {j}: {begun}"
        assert abs(begun.start - planned) <= 0.1, (begun.start - paced.start, planned, was)
        # and the end bell (with the second before it: a decaying bell alone matches itself
        # shifted) comes sooner than at the old pace, though the pace is spoken
        bell_old = next(c.t for c in old.cues if c.sound == "end")
        unchanged = bell_old - start
        bell = find(take, piece(reference, bell_old - 1.0, 2.0), begun.start, lag + unchanged + 1.0)
        rang = bell.at(1.0) - lag
        print(f"end bell at {rang:.3f} s (r={bell.r:.2f}); unchanged {unchanged:.3f} s")
        assert bell.r >= 0.7  # the levels differ a little: this take ends at another pace
        assert rang < unchanged - 1.0

    clean(lambda: keyed_play(recorder, env, script, ("--from", "2")), data_dir, heard)
    sessions = history(reference.env, data_dir)
    assert sessions[-1]["ending"] == "finished" and sessions[-1]["pace"] == 200
    assert sessions[-1]["exercises"] == 2 and sessions[-1]["reps"] == 4  # right and left, twice


def test_pain_stop_is_silent_at_once_and_logged(
    reference: Reference, recorder: Callable[[], Recording], data_dir: Path
) -> None:
    env = {**reference.env, "MATCUE_DATA_DIR": str(data_dir)}

    def heard(take: KeyTake) -> None:
        assert take.code == 0, take.stderr
        stopped = take.keys[0][0]
        assert quiet_from(take, take.lag + stopped) - (take.lag + stopped) <= QUIET_WITHIN
        # then the calm line, after the silence
        calm = onsets(take.recording[take.at(take.lag + stopped + QUIET_WITHIN) :], take.rate)
        assert calm, "the pain-stop line was not heard"

    clean(lambda: keyed_play(recorder, env, [(2.5, b"x")]), data_dir, heard)
    sessions = history(reference.env, data_dir)
    assert [s["ending"] for s in sessions] == ["pain"]


def test_quit_exits_0_leaves_a_resume_point_and_history_lists_it(
    reference: Reference, recorder: Callable[[], Recording], data_dir: Path
) -> None:
    env = {**reference.env, "MATCUE_DATA_DIR": str(data_dir)}

    def quit_cleanly(take: KeyTake) -> None:
        assert take.code == 0, take.stderr

    clean(
        lambda: keyed_play(recorder, env, [(1.0, b"n"), (1.5, b"n"), (3.0, b"q")]),
        data_dir,
        quit_cleanly,
    )
    sessions = history(reference.env, data_dir)
    assert [s["ending"] for s in sessions] == ["quit"]
    table = subprocess.run(
        [str(MATCUE), "history"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "short-session" in table and "quit" in table
    assert "Current streak: 1 day." in table
    # --resume starts at the second exercise (played without a terminal: straight through)
    tl = reference.timeline
    child, line = start_matcue(["play", str(ROUTINE), "--resume"], env)
    child.send_signal(2)
    child.communicate(timeout=30)
    left = round(tl.duration - tp.exercise_start(tl, 2))
    assert (
        line == f"Playing Short session ({left // 60}:{left % 60:02d}, pace 100). Ctrl-C stops.\n"
    )
    # a place quit at another pace (as after pressing - or +) resumes at that pace ...
    history_module.save_resume("short-session", 2, 80.0, data_dir / DB_NAME)
    voice = Pyttsx3Voice(VoiceSettings(), cache_dir=reference.cache)
    slower = compile(load_routine(ROUTINE), Pace(percent=80.0), lambda t: voice.clip(t).duration)
    left = round(slower.duration - tp.exercise_start(slower, 2))
    for extra, pace, shown in (([], 80, left), (["--pace", "100"], 100, None)):
        child, line = start_matcue(["play", str(ROUTINE), "--resume", *extra], env)
        child.send_signal(2)
        child.communicate(timeout=30)
        assert line.endswith(f", pace {pace}). Ctrl-C stops.\n"), line
        if shown is not None:
            assert f"({shown // 60}:{shown % 60:02d}, pace" in line
    # ... unless --pace is given (checked above); a damaged saved place only warns
    history_module.save_resume("short-session", 2, 9999.0, data_dir / DB_NAME)
    child, line = start_matcue(["play", str(ROUTINE), "--resume"], env)
    child.send_signal(2)
    child.communicate(timeout=30)
    damaged = "the saved place of short-session is damaged; playing from the start"
    assert line == f"matcue: warning: {damaged}.\n"


def test_every_key_answers_and_an_unwritable_history_only_warns(
    reference: Reference, recorder: Callable[[], Recording], tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")  # the data folder is a file: the history cannot be written
    env = {**reference.env, "MATCUE_DATA_DIR": str(blocked)}
    script = [
        (1.0, b"?"),  # the key list ...
        (2.0, b"\x1b[C"),  # ... cut short by the right arrow: the first exercise
        (3.0, b"s"),  # where am I
        (6.0, b"-"),  # slower
        (6.5, b"z"),  # unknown: a soft tone
        (7.0, b"\x1b[D"),  # left arrow: back to the start of this exercise
        (8.0, b"r"),  # nothing to repeat yet
        (9.5, b"q"),
    ]

    def answered(take: KeyTake) -> None:
        assert take.code == 0, take.stderr
        assert "Traceback" not in take.stderr
        lines = without_alsa_notes(take.stderr).splitlines()
        warning = [x for x in lines if x.startswith("matcue:")]
        assert len(warning) == 1, take.stderr
        assert warning[0].startswith("matcue: warning: the session history at ")
        assert warning[0].endswith("; the session was not recorded.")
        # something is heard after every key
        level = QUIET * float(np.abs(take.recording.astype(np.float64)).max())
        for sent, key in take.keys:
            start = take.at(take.lag + sent)
            window = take.recording[start : start + take.at(0.6)]
            assert np.abs(window.astype(np.float64)).max() >= level, f"silence after {key!r}"

    clean(lambda: keyed_play(recorder, env, script), None, answered)


def test_a_stereo_session_with_music_pauses_resumes_and_stops_under_the_keys(
    reference: Reference, recorder: Callable[[], Recording], data_dir: Path, tmp_path: Path
) -> None:
    """``--stereo --music`` under the keys: two-channel streams whose pause and pain stop
    silence both ears (the music too) at once, and a live pace change on the way."""
    import soundfile as sf

    t = np.arange(3 * 44100) / 44100
    music = tmp_path / "hum.wav"
    sf.write(music, np.stack([np.sin(2 * np.pi * 220 * t)] * 2, axis=1) * 0.5, 44100)
    env = {**reference.env, "MATCUE_DATA_DIR": str(data_dir)}
    script = [(2.0, b" "), (3.0, b" "), (4.0, b"+"), (7.0, b"x")]
    args = ("--stereo", "--music", str(music), "--level", "gentle")

    def heard(take: KeyTake) -> None:
        assert take.code == 0, take.stderr
        assert "Traceback" not in take.stderr and "warning" not in take.stderr, take.stderr
        paused, resumed, _, stopped = (k[0] for k in take.keys)
        assert quiet_from(take, take.lag + paused) - (take.lag + paused) <= QUIET_WITHIN
        # sound again after the resume ("Resuming. Three. Two. One." and the session)
        again = take.recording[take.at(take.lag + resumed + 0.2) : take.at(take.lag + stopped)]
        assert again.size and float(np.abs(again.astype(np.float64)).max()) > 0
        assert quiet_from(take, take.lag + stopped) - (take.lag + stopped) <= QUIET_WITHIN

    clean(lambda: keyed_play(recorder, env, script, args), data_dir, heard)
    sessions = history(reference.env, data_dir)
    assert [s["ending"] for s in sessions] == ["pain"]
    assert sessions[-1]["pace"] in (80, 90)  # gentle is pace 80; "+" made it 90 if spliced
