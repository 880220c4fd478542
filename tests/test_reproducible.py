"""What the README promises about getting the same samples again (Export formats, "The same
samples again"): the same text and settings give the same samples whatever was spoken before,
in this process or another, because each line is made in a fresh espeak-ng (see the notes at
the top of matcue.voice.pyttsx3_voice). So a session is the same file from an empty cache,
from a warm one, and from a cache another routine filled with some of its lines.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from audio_helpers import matcue
from matcue.voice import Pyttsx3Voice, VoiceSettings

ROUTINES = Path(__file__).parent / "routines"
ROUTINE = ROUTINES / "good" / "design-example.yaml"
ROUTINE_A = ROUTINES / "cli" / "short-session.yaml"  # Tilt, Knee hug, Bird dog
ROUTINE_B = ROUTINES / "export" / "two-exercises.yaml"  # Tilt, Knee hug: many of A's lines

LINE = "Breathe out slowly, and let your lower back sink into the mat."
FINGERPRINT = """\
import hashlib, sys
from pathlib import Path
from matcue.voice import Pyttsx3Voice, VoiceSettings
clip = Pyttsx3Voice(VoiceSettings(rate=140), cache_dir=Path(sys.argv[1])).clip(sys.argv[2])
print(hashlib.sha256(clip.samples.tobytes()).hexdigest())
"""


def fingerprint(voice: Pyttsx3Voice, history: list[str]) -> str:
    """The sha256 of LINE's samples, made by ``voice`` right after it spoke ``history``."""
    for text in history:
        voice.clip(text)
    return hashlib.sha256(voice.clip(LINE).samples.tobytes()).hexdigest()


def test_a_line_is_the_same_samples_whatever_was_spoken_before(tmp_path: Path) -> None:
    short = ["In.", "Rest.", "Hold."]
    long = [
        "Lie on your back with your knees bent and your feet flat on the floor.",
        "Slowly roll your knees to the left, then back to the middle, and breathe.",
    ]
    first = fingerprint(Pyttsx3Voice(VoiceSettings(rate=140), cache_dir=tmp_path / "a"), short)
    # another voice spoke in between, at another rate, and this history is another one
    Pyttsx3Voice(VoiceSettings(rate=220), cache_dir=tmp_path / "x").clip(long[0])
    second = fingerprint(Pyttsx3Voice(VoiceSettings(rate=140), cache_dir=tmp_path / "b"), long)
    alone = subprocess.run(
        [sys.executable, "-c", FINGERPRINT, str(tmp_path / "c"), LINE],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert second == first
    assert alone.stdout.strip() == first  # a fresh process that spoke nothing before


def test_a_session_from_an_empty_cache_is_the_same_file_every_time(tmp_path: Path) -> None:
    files = []
    for take, cache in enumerate(["first", "second", "first"]):  # the last from a warm cache
        out = tmp_path / f"take-{take}.wav"
        done = matcue("export", ROUTINE, "-o", out, "--quiet", cache=tmp_path / cache, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        files.append(out.read_bytes())
    assert len(files[0]) > 1_000_000  # a whole session, not an empty file
    assert files[1] == files[0]  # another empty cache, another process
    assert files[2] == files[0]  # the cache the first take filled


def test_a_session_after_another_into_one_cache_is_the_file_it_gives_alone(tmp_path: Path) -> None:
    def export(routine: Path, cache: str, name: str) -> bytes:
        out = tmp_path / name
        done = matcue("export", routine, "-o", out, "--quiet", cache=tmp_path / cache, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return out.read_bytes()

    export(ROUTINE_A, "shared", "a.wav")  # makes B's shared lines after lines B does not have
    after_a = export(ROUTINE_B, "shared", "b-after-a.wav")
    alone = export(ROUTINE_B, "alone", "b-alone.wav")
    assert len(alone) > 500_000
    assert after_a == alone
