"""Option values a hostile user gives, answered in one sentence (exit 2) with nothing written:
a folder path as ``-o`` (a trailing slash), a folder as ``--music``, and a value thousands of
characters long, which a message shows as its first 60 characters and "…"."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from audio_helpers import matcue

MATCUE = Path(sys.executable).with_name("matcue")
ROUTINE = Path(__file__).parent / "routines" / "export" / "two-exercises.yaml"
HUGE = "a" * 5000
SHOWN = "a" * 60 + "…"


def test_an_output_with_a_trailing_slash_is_refused(speech_cache: Path, tmp_path: Path) -> None:
    done = matcue("export", ROUTINE, "-o", "y.mp3/", cache=speech_cache, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "matcue: the output y.mp3/ is a folder path; give a file name such as y.mp3\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_folder_given_as_music_is_named_a_folder(speech_cache: Path, tmp_path: Path) -> None:
    (tmp_path / "songs").mkdir()
    done = matcue(
        "export", ROUTINE, "-o", "s.wav", "--music", "songs", cache=speech_cache, cwd=tmp_path
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "matcue: the music songs is a folder; give an audio file in it\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["songs"]


def test_a_huge_value_is_shown_shortened_in_matcue_s_message(
    speech_cache: Path, tmp_path: Path
) -> None:
    done = matcue("plan", ROUTINE, "--lang", HUGE, cache=speech_cache, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        f"matcue: --lang must be a language code like en, pl or cs, not '{SHOWN}'\n"
    )


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("plan", ROUTINE, "--pace", HUGE), 2),  # click's message
        (("plan", ROUTINE, f"--rate={HUGE}"), 2),
        (("plan", HUGE), 1),  # the system's: the file name is too long
        (("export", ROUTINE, "-o", HUGE + ".wav"), 1),
    ],
)
def test_a_huge_value_is_never_echoed_in_full(
    args: tuple[str | Path, ...], code: int, speech_cache: Path, tmp_path: Path
) -> None:
    done = matcue(*args, cache=speech_cache, cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert "a" * 61 not in done.stderr
    assert SHOWN in done.stderr
    assert len(done.stderr) < 600
    assert "Traceback" not in done.stderr
