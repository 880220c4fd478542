"""How a session sounds (issue #6): stereo side cues, background music ducked under the voice,
speech volume, and the config file. Levels are measured in rendered and exported audio."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from audio_helpers import cli_env
from matcue.audio import render, render_chunks
from matcue.audio.clip import Clip
from matcue.audio.mix import PAN_FAR, PAN_GAINS
from matcue.audio.music import DUCK_DB, DUCK_RAMP, MUSIC_RMS_DB, load_music
from matcue.errors import InputError
from matcue.store.config import load_config, parse_value, parse_volume, save_config
from matcue.timeline import Cue, Pace, Timeline, compile
from matcue.timeline.model import Phase
from matcue.voice import Pyttsx3Voice, VoiceSettings
from test_cli import matcue

RATE = 22050

SIDED = """\
matcue: 1
title: Sided
defaults:
  get_ready: 3
  rest: 0
exercises:
  - name: Leg lift
    position: Lie on your back.
    sides: each
    reps: 2
    steps:
      - inhale: Lift your {side} leg.
      - exhale: Lower your {side} leg.
"""


def tone(seconds: float, freq: float = 440.0, amp: float = 0.5) -> Clip:
    t = np.arange(round(seconds * RATE)) / RATE
    return Clip((amp * np.sin(2 * np.pi * freq * t)).astype(np.float32), RATE)


def rms(x: npt.NDArray[Any]) -> float:
    return float(np.sqrt(np.mean(np.square(x.astype(np.float64))))) if x.size else 0.0


def frames(t: float) -> int:
    return round(t * RATE)


# -- stereo --------------------------------------------------------------------------------


def test_pan_gains_keep_each_cues_power() -> None:
    for left, right in PAN_GAINS.values():
        assert left**2 + right**2 == pytest.approx(1.0)
    assert PAN_GAINS["right"][0] == PAN_FAR and PAN_GAINS["left"][1] == PAN_FAR


def test_a_stereo_render_puts_side_cues_in_their_ear() -> None:
    cues = (
        Cue(0.5, 1.0, "speech", text="right", side="right"),
        Cue(2.0, 1.0, "speech", text="left", side="left"),
        Cue(3.5, 1.0, "speech", text="middle"),
    )
    tl = Timeline("t", "T", Pace(), 5.0, (), (Phase(0.0, 5.0, "intro"),), cues)
    speech = {name: tone(1.0) for name in ("right", "left", "middle")}
    pcm = render(tl, speech, {}, RATE, stereo=True)
    mono = render(tl, speech, {}, RATE)
    assert pcm.shape == (frames(5.0), 2) and mono.shape == (frames(5.0),)
    for cue in cues:
        part = pcm[frames(cue.t) : frames(cue.end)]
        left, right = rms(part[:, 0]), rms(part[:, 1])
        want = PAN_GAINS[cue.side]
        assert left / right == pytest.approx(want[0] / want[1], rel=0.01)
        # the same power as in mono, split between the ears
        whole = rms(mono[frames(cue.t) : frames(cue.end)])
        assert math.hypot(left, right) == pytest.approx(whole, rel=0.01)


def write_routine(tmp_path: Path, text: str = SIDED, name: str = "sided.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.getbasetemp() / "speech-cache"
    path.mkdir(exist_ok=True)
    return path


def plan(routine: Path, cache: Path, *options: str) -> dict[str, Any]:
    done = matcue("plan", routine, "--json", *options, cache=cache, cwd=routine.parent)
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_stereo_export_puts_side_cues_in_the_right_channel(tmp_path: Path, cache: Path) -> None:
    routine = write_routine(tmp_path)
    out = tmp_path / "sided.wav"
    done = matcue("export", routine, "-o", out, "--stereo", "-q", cache=cache, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    audio, rate = sf.read(out, dtype="float64", always_2d=True)
    assert (audio.shape[1], rate) == (2, RATE)
    cues = plan(routine, cache, "--export")["cues"]
    sided = [c for c in cues if c["kind"] == "speech" and c.get("side")]
    assert {c["side"] for c in sided} == {"right", "left"}
    tones = [(c["t"], c["t"] + c["dur"]) for c in cues if c["kind"] == "tone"]

    def alone(cue: dict[str, Any]) -> npt.NDArray[np.float64]:
        """The part of a spoken line after any (centred) tone under it has ended."""
        start, end = cue["t"], cue["t"] + cue["dur"]
        start = max([start, *(b for a, b in tones if a < end and b > start)])
        part: npt.NDArray[np.float64] = audio[frames(start) : frames(end)]
        return part

    measured = 0
    for cue in sided:
        part = alone(cue)
        if part.shape[0] < RATE // 10:
            continue
        measured += 1
        left, right = rms(part[:, 0]), rms(part[:, 1])
        near, far = (right, left) if cue["side"] == "right" else (left, right)
        assert near > 3 * far, cue
    assert measured >= 4
    centred = [c for c in cues if c["kind"] == "speech" and not c.get("side")]
    for cue in centred:
        part = alone(cue)
        assert rms(part[:, 0]) == pytest.approx(rms(part[:, 1]), rel=0.01)


# -- music ---------------------------------------------------------------------------------

HUM = 50.0  # Hz: the test music, far below the voice's pitch, measured by lock-in


def write_music(path: Path, seconds: float = 3.0, rate: int = 44100) -> Path:
    t = np.arange(round(seconds * rate)) / rate
    stereo = np.stack([np.sin(2 * np.pi * HUM * t)] * 2, axis=1) * 0.5
    sf.write(path, stereo, rate)
    return path


def hum_level(x: npt.NDArray[np.float64], start: float, stop: float) -> float:
    """The amplitude of the HUM component in seconds [start, stop) of ``x`` (lock-in)."""
    part = x[frames(start) : frames(stop)]
    t = np.arange(frames(start), frames(start) + part.size) / RATE
    i = np.mean(part * np.sin(2 * np.pi * HUM * t))
    q = np.mean(part * np.cos(2 * np.pi * HUM * t))
    return float(2 * math.hypot(i, q))


def quiet_windows(cues: list[dict[str, Any]], duration: float) -> list[tuple[float, float]]:
    """Stretches of at least 0.5 s where nothing sounds, away from the ducking ramps."""
    busy = sorted((c["t"], c["t"] + c["dur"]) for c in cues)
    out, cursor = [], 0.0
    for a, b in [*busy, (duration, duration)]:
        lo, hi = cursor + DUCK_RAMP + 0.05, a - DUCK_RAMP - 0.05
        if hi - lo >= 0.5:
            out.append((lo, hi))
        cursor = max(cursor, b)
    return out


def test_music_is_looped_at_a_modest_level(tmp_path: Path) -> None:
    music = load_music(write_music(tmp_path / "m.wav", seconds=1.0), RATE)
    assert music.samples.shape[0] == RATE
    assert 20 * math.log10(rms(music.samples)) == pytest.approx(MUSIC_RMS_DB, abs=0.1)
    block = music.block(RATE - 10, 20)
    assert np.array_equal(block, np.concatenate([music.samples[-10:], music.samples[:10]]))


@pytest.mark.parametrize("stereo", [False, True], ids=["mono", "stereo"])
def test_a_render_from_a_frame_is_the_whole_render_from_there(tmp_path: Path, stereo: bool) -> None:
    """What the keys' live pace change relies on: ``render(start=)`` gives exactly the whole
    render's frames from ``start`` on, panned and with the music going on (not restarting),
    ducked the same, wherever ``start`` falls (in a line, in a duck ramp, in a block)."""
    music = load_music(write_music(tmp_path / "m.wav", seconds=1.3), RATE)
    cues = (
        Cue(0.5, 1.0, "speech", text="right", side="right"),
        Cue(1.8, 0.2, "tone", sound="tick"),
        Cue(2.2, 1.0, "speech", text="left", side="left"),
        Cue(3.6, 0.8, "speech", text="middle"),
    )
    tl = Timeline("t", "T", Pace(), 5.0, (), (Phase(0.0, 5.0, "intro"),), cues)
    speech = {"right": tone(1.0), "left": tone(1.0, 550.0), "middle": tone(0.8, 330.0)}
    sounds = {"tick": tone(0.2, 880.0)}
    whole = render(tl, speech, sounds, RATE, stereo=stereo, music=music)
    assert whole.shape == ((frames(5.0), 2) if stereo else (frames(5.0),))
    ramp = frames(0.5 - DUCK_RAMP / 2)
    for start in (0, 1, frames(0.9), ramp, frames(1.8) + 7, frames(2.25), frames(4.9), frames(5.0)):
        rest = render(tl, speech, sounds, RATE, start=start, stereo=stereo, music=music)
        assert rest.shape == whole[start:].shape, start
        assert np.array_equal(rest, whole[start:]), start
    # and in small blocks that do not line up with the whole render's
    blocks = list(
        render_chunks(
            tl, speech, sounds, RATE, 997, start=frames(1.234), stereo=stereo, music=music
        )
    )
    assert np.array_equal(np.concatenate(blocks), whole[frames(1.234) :])


def test_music_is_ducked_under_speech_in_the_export(tmp_path: Path, cache: Path) -> None:
    routine = write_routine(tmp_path)
    music = write_music(tmp_path / "music.flac")
    out = tmp_path / "with-music.wav"
    done = matcue("export", routine, "-o", out, "--music", music, "-q", cache=cache, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    audio, _ = sf.read(out, dtype="float64")
    data = plan(routine, cache, "--export")
    speech = [c for c in data["cues"] if c["kind"] == "speech" and c["dur"] >= 0.4]
    under = [hum_level(audio, c["t"] + 0.05, c["t"] + c["dur"] - 0.05) for c in speech]
    between = [hum_level(audio, a, b) for a, b in quiet_windows(data["cues"], data["duration_s"])]
    assert len(under) >= 4 and len(between) >= 2
    ducked = 20 * math.log10(np.median(under) / np.median(between))
    assert ducked == pytest.approx(DUCK_DB, abs=1.5)
    # between the lines the music sits well under the voice
    assert 20 * math.log10(np.median(between) / math.sqrt(2)) == pytest.approx(
        MUSIC_RMS_DB, abs=3.0
    )


@pytest.mark.parametrize("content", [None, b"not audio at all"])
def test_a_missing_or_unreadable_music_file_is_one_sentence(
    tmp_path: Path, cache: Path, content: bytes | None
) -> None:
    routine = write_routine(tmp_path)
    music = tmp_path / "song.mp3"
    if content is not None:
        music.write_bytes(content)
    done = matcue(
        "export", routine, "-o", tmp_path / "x.wav", "--music", music, cache=cache, cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.startswith("matcue: ") and done.stderr.count("\n") == 1, done.stderr
    assert "music file" in done.stderr
    assert not (tmp_path / "x.wav").exists()
    with pytest.raises(InputError):
        load_music(music, RATE)


# -- voice volume and rate ------------------------------------------------------------------


def test_volume_is_part_of_the_voice_and_its_cache_key(tmp_path: Path) -> None:
    loud = Pyttsx3Voice(VoiceSettings(volume=1.0), cache_dir=tmp_path)
    soft = Pyttsx3Voice(VoiceSettings(volume=0.4), cache_dir=tmp_path)
    line = "Breathe in slowly."
    assert loud.key(line) != soft.key(line)
    assert rms(soft.clip(line).samples) < 0.7 * rms(loud.clip(line).samples)


def test_a_slow_voice_grows_the_timeline_without_overlap(tmp_path: Path) -> None:
    from matcue.routine import parse_routine

    routine = parse_routine(SIDED, "sided.yaml")
    lengths = {}
    for rate in (90, 300):
        voice = Pyttsx3Voice(VoiceSettings(rate=rate), cache_dir=tmp_path)
        tl = compile(routine, Pace(), lambda text, v=voice: v.clip(text).duration)  # type: ignore[misc]
        speech = [c for c in tl.cues if c.kind == "speech"]
        assert all(b.t >= a.end + 0.25 - 1e-9 for a, b in itertools.pairwise(speech))
        lengths[rate] = tl.duration
    assert lengths[90] > lengths[300] + 5


def test_volume_accepts_a_fraction_or_a_percentage() -> None:
    assert parse_volume("0.5") == 0.5
    assert parse_volume("80%") == pytest.approx(0.8)
    assert parse_volume("1") == 1.0
    for bad in ("loud", "-1", "150%", "1.2", "80"):  # a bare number over 1: which was meant?
        with pytest.raises(InputError):
            parse_volume(bad)


# -- config file -----------------------------------------------------------------------------


def test_config_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "config.toml"
    assert load_config(path) == {}
    values = {
        "voice": 'gmw/en-GB "rp"',
        "rate": 140,
        "volume": 0.8,
        "level": "gentle",
        "pace": 90.0,
        "count": "tones",
        "breath_words": "first",
        "stereo": True,
    }
    save_config(values, path)
    assert load_config(path) == values
    assert path.read_text(encoding="utf-8") == (  # through tomli-w, as it was written by hand
        "# matcue settings: `matcue config` shows them, `matcue config set` changes them.\n"
        'voice = "gmw/en-GB \\"rp\\""\n'
        "rate = 140\n"
        "volume = 0.8\n"
        'level = "gentle"\n'
        "pace = 90.0\n"
        'count = "tones"\n'
        'breath_words = "first"\n'
        "stereo = true\n"
    )
    assert parse_value("rate", "141") == 141
    with pytest.raises(InputError, match="rate must be from 80 to 450"):
        parse_value("rate", "20")
    with pytest.raises(InputError, match="unknown setting 'colour'"):
        parse_value("colour", "red")
    path.write_text("rate = [1\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_config(path)
    path.write_text("colour = 'red'\n", encoding="utf-8")  # another version's: kept, ignored
    warned: list[str] = []
    assert load_config(path, warned.append) == {}
    assert warned == [
        f"the config file {path} has settings this version of matcue does not know "
        "('colour'); they are kept and ignored"
    ]


def test_config_commands_and_the_options_that_win(tmp_path: Path, cache: Path) -> None:
    config = tmp_path / "xdg" / "matcue" / "config.toml"
    env = {**cli_env(cache), "MATCUE_CONFIG": "", "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    routine = write_routine(tmp_path)

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return matcue(*args, cache=cache, cwd=tmp_path, env=env)

    assert run("config", "set", "level", "gentle").returncode == 0
    assert run("config", "set", "breath-words", "first").returncode == 0
    assert config.is_file()
    shown = run("config").stdout
    assert f"config file: {config}" in shown
    assert "level         gentle  (config file)" in shown
    assert "rate          150  (default)" in shown
    data = json.loads(run("plan", routine, "--json").stdout)
    assert (data["settings"]["level"], data["settings"]["breath_words"]) == ("gentle", "first")
    data = json.loads(run("plan", routine, "--json", "--level", "strong", "--pace", "50").stdout)
    assert (data["settings"]["level"], data["pace"]) == ("strong", 50)
    assert run("config", "unset", "level").returncode == 0
    assert "level         standard  (default)" in run("config").stdout
    bad = run("config", "set", "rate", "fast")
    assert bad.returncode == 2 and bad.stderr.startswith("matcue: setting rate")


def test_plan_shows_the_effective_values_and_the_week(tmp_path: Path, cache: Path) -> None:
    routine = write_routine(
        tmp_path,
        SIDED.replace(
            "    reps: 2\n",
            "    reps: 2\n    progress:\n      weeks:\n        4: {reps: 3}\n",
        ),
        "growing.yaml",
    )
    done = matcue(
        "plan", routine, "--week", "4", "--breath", "4:6", "--rest", "10", cache=cache, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1] == "settings: pace 100 %, rest 10 s, breath 4:6, week 4, language en"
    assert lines[2].startswith("  1. Leg lift: 3 reps per side, breath 4.0:6.0 s")
    assert "progression from week 4" in lines[2]
    data = plan(routine, cache, "--week", "4", "--sets", "2", "--holds", "150")
    assert data["week"] == 4
    assert data["exercises"][0]["reps"] == 3 and data["exercises"][0]["sets"] == 2
    bad = matcue("plan", routine, "--breath", "4-6", cache=cache, cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("matcue: --breath must be")


def test_without_week_the_week_comes_from_the_session_history(tmp_path: Path, cache: Path) -> None:
    """The first session of the routine (any ending) in the history database, 25 days ago:
    week 4. Another routine's sessions do not count; a broken database warns, week 1."""
    import datetime

    from matcue.store import history
    from matcue.store.paths import DB_NAME

    routine = write_routine(
        tmp_path,
        SIDED.replace("title: Sided\n", "id: growing\ntitle: Sided\n").replace(
            "    reps: 2\n", "    reps: 2\n    progress:\n      weeks:\n        4: {reps: 3}\n"
        ),
        "growing.yaml",
    )
    data_dir = tmp_path / "data"
    now = datetime.datetime.now(datetime.UTC)

    def session(routine_id: str, days_ago: float, ending: history.Ending) -> None:
        started = now - datetime.timedelta(days=days_ago)
        record = history.SessionRecord(routine_id, "Sided", started, started, 100.0, 1, 2, ending)
        history.record(record, data_dir / DB_NAME)

    session("growing", 25, "pain")  # the first one: however it ended
    session("growing", 3, "finished")
    session("other", 80, "finished")  # another routine's
    env = cli_env(cache, MATCUE_DATA_DIR=str(data_dir))
    done = matcue("plan", routine, "--json", cache=cache, cwd=tmp_path, env=env)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    data = json.loads(done.stdout)
    assert data["week"] == 4 and data["exercises"][0]["reps"] == 3
    text = matcue("plan", routine, cache=cache, cwd=tmp_path, env=env).stdout
    assert "week 4" in text.splitlines()[1]
    # --week still wins
    assert plan_with(routine, cache, env, "--week", "2")["week"] == 2
    # a broken database: one warning, week 1, the plan still made
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / DB_NAME).write_bytes(b"this is not a database" * 100)
    env = cli_env(cache, MATCUE_DATA_DIR=str(broken))
    done = matcue("plan", routine, "--json", cache=cache, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["week"] == 1
    assert done.stderr.startswith("matcue: warning: ") and "using week 1" in done.stderr


def plan_with(routine: Path, cache: Path, env: dict[str, str], *options: str) -> dict[str, Any]:
    done = matcue("plan", routine, "--json", *options, cache=cache, cwd=routine.parent, env=env)
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data
