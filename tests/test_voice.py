"""Speech through the real pyttsx3 + espeak-ng, and its disk cache."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from matcue.audio.clip import Clip
from matcue.errors import InputError, SpeechEngineError
from matcue.store import paths
from matcue.voice import (
    CACHE_VERSION,
    Pyttsx3Voice,
    SpeechCache,
    VoiceInfo,
    VoiceSettings,
    cache_key,
    default_cache_dir,
    engine_renders,
    list_voices,
)
from matcue.voice import pyttsx3_voice as pv
from matcue.voice.pyttsx3_voice import ENGINE_NAME, INSTALL_ESPEAK, KEEP_LEAD, KEEP_TAIL

SHORT = ["In.", "Out.", "Five.", "Four.", "Three.", "Two.", "One.", "Hold.", "Rest.", "Begin."]
MEDIUM = [
    "Breathe in.",
    "Breathe out slowly.",
    "Switch sides.",
    "Last one.",
    "Rep seven.",
    "Next: Pelvic tilt.",
    "Lift your tailbone.",
    "Lower it slowly.",
    "Relax your shoulders.",
    "Three, two, one, begin.",
]
LONG = [
    "Lie on your back with your knees bent and your feet flat on the floor.",
    "Kneel on all fours with your hands under your shoulders and knees under your hips.",
    "Reach your right arm and left leg long, keeping your head, back and limbs in one line.",
    "Stop at once if you feel sharp pain, numbness or tingling in your legs.",
    "Let your knees fall slowly to the left while both shoulders stay on the mat.",
    "Press your lower back gently into the floor and feel your belly tighten a little.",
    "Roll onto your side, rest your head on your arm and bend both knees forward.",
    "Breathe in through your nose and let your belly rise, then breathe out through your mouth.",
    "Slide your heels away until your legs are long, then draw them back one at a time.",
    "Sit tall at the front of your chair with both feet flat and your hands on your thighs.",
]
EXTRA = [
    "Well done.",
    "Hold for ten seconds.",
    "Keep breathing.",
    "Take a short rest.",
    "Curl up slowly, one vertebra at a time, and come back to the start.",
    "Gently.",
    "Good.",
    "Press the space bar to pause, the right arrow to skip, or q to stop.",
    "Two more.",
    "Bring both knees towards your chest and hug them with your arms.",
]
PHRASES = SHORT + MEDIUM + LONG + EXTRA  # 40 distinct lines, short and long interleaved below
ORDER = [p for group in zip(SHORT, LONG, MEDIUM, EXTRA, strict=True) for p in group]


def words(text: str) -> int:
    return len(re.findall(r"[A-Za-z']+", text))


@pytest.fixture(scope="module")
def first_pass(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pyttsx3Voice, dict[str, Clip]]:
    """All 40 phrases rendered fresh, alternating short and long lines."""
    voice = Pyttsx3Voice(VoiceSettings(rate=150), cache_dir=tmp_path_factory.mktemp("first"))
    return voice, {text: voice.clip(text) for text in ORDER}


def test_forty_phrases_are_each_rendered_non_empty_and_plausible(
    first_pass: tuple[Pyttsx3Voice, dict[str, Clip]],
) -> None:
    voice, clips = first_pass
    assert len(clips) == 40
    assert voice.renders == 40
    for text, clip in clips.items():
        assert clip.samples.dtype == np.float32
        assert clip.samples.ndim == 1
        assert clip.frames > 0
        assert np.abs(clip.samples).max() > 0.05, text
        # the rate is whatever the WAV header says (espeak-ng writes 22050 Hz today)
        assert clip.rate == sf.info(str(voice.cache_path(text))).samplerate
        # 150 wpm is 0.4 s a word; allow a wide band around it
        estimate = words(text) * 0.4
        assert 0.3 * estimate <= clip.duration <= 2.5 * estimate + 0.3, (text, clip.duration)


def test_durations_follow_text_length_so_no_clip_holds_another_line(
    first_pass: tuple[Pyttsx3Voice, dict[str, Clip]],
) -> None:
    _, clips = first_pass
    lengths = np.array([words(t) for t in ORDER], dtype=float)
    durations = np.array([clips[t].duration for t in ORDER])
    assert np.corrcoef(lengths, durations)[0, 1] > 0.95
    longest_short = max(clips[t].duration for t in SHORT)
    shortest_long = min(clips[t].duration for t in LONG)
    assert shortest_long > 5 * longest_short


def test_rendering_again_from_scratch_gives_the_same_durations(
    first_pass: tuple[Pyttsx3Voice, dict[str, Clip]], tmp_path: Path
) -> None:
    first_voice, first = first_pass
    before = engine_renders()
    # Same order, and reversed: each line is made in a fresh espeak-ng, so a line's samples do
    # not depend on the lines spoken before it (a stale previous line would show up too).
    fresh = Pyttsx3Voice(VoiceSettings(rate=150), cache_dir=tmp_path / "same")
    for text in ORDER:
        again = fresh.clip(text)
        assert again.rate == first[text].rate
        assert np.array_equal(again.samples, first[text].samples), text
    backwards = Pyttsx3Voice(VoiceSettings(rate=150), cache_dir=tmp_path / "reversed")
    for text in reversed(ORDER):
        assert np.array_equal(backwards.clip(text).samples, first[text].samples), text
    assert fresh.renders == backwards.renders == 40
    assert engine_renders() >= before + 80
    assert first_voice.cache_path(ORDER[0]) != fresh.cache_path(ORDER[0])


def test_a_cached_line_is_not_rendered_again(
    first_pass: tuple[Pyttsx3Voice, dict[str, Clip]],
) -> None:
    voice, clips = first_pass
    before = engine_renders()
    same = voice.clip("Lie on your back with your knees bent and your feet flat on the floor.")
    assert same is clips[LONG[0]]  # memory hit
    # a new voice over the same folder reads the disk entries instead of rendering
    other = Pyttsx3Voice(VoiceSettings(rate=150), cache_dir=voice.cache.root)
    for text in ORDER:
        clip = other.clip(text)
        assert clip.rate == clips[text].rate
        assert np.array_equal(clip.samples, clips[text].samples)  # 16-bit source: lossless
    assert other.renders == 0
    assert engine_renders() == before


def test_a_warm_process_starts_no_helper(
    first_pass: tuple[Pyttsx3Voice, dict[str, Clip]], tmp_path: Path
) -> None:
    # Every line is made in a helper process started on the first line the cache misses: a
    # process whose lines are all cached starts none.
    voice, _ = first_pass
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from matcue.voice import Pyttsx3Voice, VoiceSettings, pyttsx3_voice as pv
        voice = Pyttsx3Voice(VoiceSettings(rate=150), cache_dir=Path({str(voice.cache.root)!r}))
        voice.clips({ORDER!r})
        print(voice.renders, pv.engine_renders(), pv.helper_starts())
        other = Pyttsx3Voice(VoiceSettings(rate=150), cache_dir=Path({str(tmp_path)!r}))
        other.clip("A line nobody spoke before.")
        print(other.renders, pv.engine_renders(), pv.helper_starts())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[:2] == ["0 0 0", "1 1 1"]


def test_cache_files_are_content_addressed(
    first_pass: tuple[Pyttsx3Voice, dict[str, Clip]],
) -> None:
    voice, clips = first_pass
    files = sorted((voice.cache.root / "speech").rglob("*.wav"))
    assert len(files) == 40
    assert not list((voice.cache.root / "speech").rglob("*.tmp"))
    text = "Five."
    key = hashlib.sha256(
        f'["{ENGINE_NAME}","{voice.voice_id}",150,1.0,"{text}",{CACHE_VERSION}]'.encode()
    ).hexdigest()
    assert key == cache_key(ENGINE_NAME, voice.voice_id, 150, 1.0, text)
    path = voice.cache.root / "speech" / key[:2] / f"{key}.wav"
    assert voice.cache_path(text) == path
    data, rate = sf.read(str(path), dtype="float32")
    assert rate == clips[text].rate
    assert np.array_equal(data, clips[text].samples)


def test_every_setting_changes_the_key() -> None:
    base = cache_key("e", "gmw/en", 150, 1.0, "In.")
    assert (
        len(
            {
                base,
                cache_key("f", "gmw/en", 150, 1.0, "In."),
                cache_key("e", "gmw/en-us", 150, 1.0, "In."),
                cache_key("e", "gmw/en", 151, 1.0, "In."),
                cache_key("e", "gmw/en", 150, 0.5, "In."),
                cache_key("e", "gmw/en", 150, 1.0, "Out."),
                cache_key("e", "gmw/en", 150, 1.0, "In.", version=CACHE_VERSION + 1),
            }
        )
        == 7
    )
    assert cache_key("e", "gmw/en", 150, 1.0, "In.") == base


@pytest.mark.parametrize("damage", ["truncate", "header-only", "garbage", "empty"])
def test_a_damaged_cache_entry_is_rebuilt(tmp_path: Path, damage: str) -> None:
    text = "Slide your heels away until your legs are long, then draw them back."
    voice = Pyttsx3Voice(VoiceSettings(), cache_dir=tmp_path)
    good = voice.clip(text)
    path = voice.cache_path(text)
    size = path.stat().st_size
    raw = path.read_bytes()
    if damage == "truncate":
        with path.open("r+b") as f:
            f.truncate(size // 2)
    elif damage == "header-only":
        path.write_bytes(raw[:44])
    elif damage == "garbage":
        path.write_bytes(b"RIFF this is not audio" * 10)
    else:
        path.write_bytes(b"")

    fresh = Pyttsx3Voice(VoiceSettings(), cache_dir=tmp_path)  # empty memory cache
    rebuilt = fresh.clip(text)
    assert fresh.renders == 1
    assert rebuilt.duration == pytest.approx(good.duration, abs=0.03)
    assert path.stat().st_size == pytest.approx(size, abs=2000)
    assert sf.info(str(path)).frames == rebuilt.frames


def test_slow_speech_is_clearly_longer_than_fast_speech(tmp_path: Path) -> None:
    line = "Let your knees fall slowly to the left while both shoulders stay on the mat."
    slow = Pyttsx3Voice(VoiceSettings(rate=90), cache_dir=tmp_path).clip(line)
    fast = Pyttsx3Voice(VoiceSettings(rate=220), cache_dir=tmp_path).clip(line)
    # 220/90 = 2.4 in theory; espeak-ng's pauses do not all scale
    assert slow.duration > 1.8 * fast.duration
    # and back again: a rate change must take effect every time, not only the first
    assert Pyttsx3Voice(VoiceSettings(rate=90), cache_dir=tmp_path / "b").clip(
        line
    ).duration == pytest.approx(slow.duration, abs=0.03)


def test_stdout_stays_empty_while_rendering(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    voice = Pyttsx3Voice(VoiceSettings(rate=170), cache_dir=tmp_path)
    voice.clips(["Quiet, please.", "Nothing on the terminal.", "Quiet, please."])
    assert voice.renders == 2
    out, err = capfd.readouterr()
    assert out == ""
    assert err == ""


def test_clips_renders_only_the_misses(tmp_path: Path) -> None:
    voice = Pyttsx3Voice(VoiceSettings(rate=160), cache_dir=tmp_path)
    voice.clip("Hug your knees.")
    voice.clip("Rock gently.")
    texts = ["Hug your knees.", "Rock gently.", "Let go.", "Rest.", "Let go.", "Hug your knees."]
    result = voice.clips(texts)
    assert list(result) == ["Hug your knees.", "Rock gently.", "Let go.", "Rest."]
    assert voice.renders == 4
    assert all(c.frames > 0 for c in result.values())


def test_clips_are_trimmed_to_a_few_ms_of_silence(
    first_pass: tuple[Pyttsx3Voice, dict[str, Clip]],
) -> None:
    _, clips = first_pass
    for text in ("In.", LONG[0]):
        clip = clips[text]
        level = np.abs(clip.samples)
        loud = np.flatnonzero(level > 0.01 * level.max())
        # espeak-ng may start speaking at once; if not, only KEEP_LEAD of silence is left
        assert loud[0] <= round(KEEP_LEAD * clip.rate)
        assert clip.frames - 1 - loud[-1] == pytest.approx(KEEP_TAIL * clip.rate, abs=1)


def test_cached_clips_cannot_be_modified_in_place(
    first_pass: tuple[Pyttsx3Voice, dict[str, Clip]],
) -> None:
    _, clips = first_pass
    with pytest.raises(ValueError):
        clips["In."].samples[0] = 1.0


def test_the_cache_folder_comes_from_the_edge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``$MATCUE_CACHE_DIR`` is read at the edge (store.paths) and the folder passed in: the
    voice stage itself reads no environment variable."""
    monkeypatch.setenv("MATCUE_CACHE_DIR", str(tmp_path / "env-cache"))
    folder = paths.cache_dir()
    assert folder == tmp_path / "env-cache"
    voice = Pyttsx3Voice(VoiceSettings(), cache_dir=folder)
    voice.clip("From the environment.")
    assert voice.cache_path("From the environment.").is_file()
    assert voice.cache_path("From the environment.").is_relative_to(tmp_path / "env-cache")
    assert default_cache_dir() != tmp_path / "env-cache"


def test_unknown_voice_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        Pyttsx3Voice(VoiceSettings(voice="x"), cache_dir=tmp_path)
    assert str(err.value) == "no voice 'x'; run `matcue voices` to list them"


def test_bad_settings_and_empty_lines_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="between 80 and 450"):
        Pyttsx3Voice(VoiceSettings(rate=40), cache_dir=tmp_path)
    with pytest.raises(InputError, match="volume"):
        Pyttsx3Voice(VoiceSettings(volume=1.5), cache_dir=tmp_path)
    with pytest.raises(InputError, match="language 'zz'"):
        Pyttsx3Voice(VoiceSettings(language="zz"), cache_dir=tmp_path)
    with pytest.raises(InputError, match="empty"):
        Pyttsx3Voice(VoiceSettings(), cache_dir=tmp_path).clip("  ")


def test_list_voices_has_english_and_language_picks_a_voice(tmp_path: Path) -> None:
    voices = list_voices()
    assert all(isinstance(v, VoiceInfo) for v in voices)
    assert len({v.id for v in voices}) == len(voices) > 10
    english = [v for v in voices if any(lang.startswith("en") for lang in v.languages)]
    assert english
    assert "gmw/en" in {v.id for v in english}

    default = Pyttsx3Voice(VoiceSettings(language="en"), cache_dir=tmp_path)
    assert default.voice_id == "gmw/en"
    american = Pyttsx3Voice(VoiceSettings(language="en-US"), cache_dir=tmp_path)
    assert american.voice_id == "gmw/en-us"
    chosen = Pyttsx3Voice(VoiceSettings(voice="gmw/en-us"), cache_dir=tmp_path)
    assert chosen.voice_id == "gmw/en-us"
    german = Pyttsx3Voice(VoiceSettings(language="de"), cache_dir=tmp_path)
    assert german.clip("Atme ein.").frames > 0
    assert default.cache_path("Hello.") != american.cache_path("Hello.")


def _writer(root: str, rounds: int) -> None:
    cache = SpeechCache(Path(root))
    samples = np.sin(np.arange(22050, dtype=np.float32) / 7).astype(np.float32) * 0.5
    for _ in range(rounds):
        cache.put("ab" + "0" * 62, Clip(samples=samples, rate=22050))


def test_two_processes_writing_the_same_key_leave_a_whole_file(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), 30)) for _ in range(2)]
    for p in procs:
        p.start()
    reader = SpeechCache(tmp_path)
    while any(p.is_alive() for p in procs):
        # whenever the entry is there, it is whole (fresh cache each time: no memory hit)
        clip = SpeechCache(tmp_path).get("ab" + "0" * 62)
        assert clip is None or clip.frames == 22050
        time.sleep(0.002)  # poll without hogging a core
    for p in procs:
        p.join()
        assert p.exitcode == 0
    final = reader.get("ab" + "0" * 62)
    assert final is not None
    assert final.frames == 22050
    assert sorted(os.listdir(tmp_path / "speech" / "ab")) == ["ab" + "0" * 62 + ".wav"]


def test_missing_espeak_library_says_what_to_install(tmp_path: Path) -> None:
    # A fresh interpreter in which loading libespeak-ng fails, as on a machine without it.
    script = textwrap.dedent(
        f"""
        import ctypes
        real = ctypes.cdll.LoadLibrary
        def load(name):
            if "espeak" in str(name):
                raise OSError(f"{{name}}: cannot open shared object file")
            return real(name)
        ctypes.cdll.LoadLibrary = load
        from matcue.errors import SpeechEngineError
        from matcue.voice import Pyttsx3Voice, VoiceSettings
        try:
            Pyttsx3Voice(VoiceSettings(), cache_dir={str(tmp_path)!r})
        except SpeechEngineError as err:
            print(err)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == INSTALL_ESPEAK
    assert "espeak-ng" in INSTALL_ESPEAK


def test_a_stale_or_empty_rendering_is_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race pyttsx3 has on Linux, injected: the first file read back holds the previous
    # (short) line, the second is empty; the third, real one is accepted.
    short = Pyttsx3Voice(VoiceSettings(), cache_dir=tmp_path / "a").clip("In.")
    real_attempt = pv.FreshEspeak.attempt
    bad = [short, Clip(samples=np.zeros(0, dtype=np.float32), rate=22050)]

    def flaky(helper: pv.FreshEspeak, *args: Any) -> tuple[Clip | None, str]:
        return (bad.pop(0), "") if bad else real_attempt(helper, *args)

    monkeypatch.setattr(pv.FreshEspeak, "attempt", flaky)
    before = engine_renders()
    line = "Kneel on all fours with your hands under your shoulders and knees under your hips."
    clip = Pyttsx3Voice(VoiceSettings(), cache_dir=tmp_path / "b").clip(line)
    assert engine_renders() == before + 3
    assert clip.duration > 3.0


def test_an_engine_that_never_gives_audio_is_a_speech_engine_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        pv.FreshEspeak, "attempt", lambda *_: (None, "espeak-ng wrote no readable audio")
    )
    voice = Pyttsx3Voice(VoiceSettings(), cache_dir=tmp_path)
    with pytest.raises(SpeechEngineError) as err:
        voice.clip("Never heard.")
    assert str(err.value) == (
        f"Text-to-speech failed to speak 'Never heard.' after {pv.ATTEMPTS} tries "
        "(espeak-ng wrote no readable audio); check that espeak-ng works with "
        "`espeak-ng 'hello'`."
    )
    assert not voice.cache_path("Never heard.").exists()
