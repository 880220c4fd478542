"""Exports that must not happen, or must not leave anything behind.

Existing files are refused without --force (exit 2, untouched); a Ctrl-C or a full disk in
the middle of an export leaves no file at all (exit 130 / 1); bad options and a missing PyAV are
one sentence; the progress bar shows on a terminal only; huge blocks reach libsndfile in pieces.
"""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from audio_helpers import cli_env, matcue
from matcue.errors import ExportError, InputError
from matcue.export import ExportOptions, Tags, export_session
from matcue.export.formats import FORMATS, encoding
from matcue.timeline.model import Chapter, Cue, Pace, Phase, Timeline

MATCUE = Path(sys.executable).with_name("matcue")
ROUTINE = Path(__file__).parent / "routines" / "export" / "two-exercises.yaml"
RATE = 22050
TAGS = Tags(title="T", album="A", artist="matcue", date="2025-01-01", comment="pace 100 %")


@pytest.fixture(scope="session")
def warm(speech_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The speech cache with every line of the routine in it (so no test below writes there)."""
    done = matcue("plan", ROUTINE, cache=speech_cache, cwd=tmp_path_factory.mktemp("warm"))
    assert done.returncode == 0, done.stderr
    return speech_cache


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- existing files ------------------------------------------------------------------------------


def test_an_existing_file_is_refused_without_force(warm: Path, tmp_path: Path) -> None:
    (tmp_path / "s.mp3").write_bytes(b"my old session")
    done = matcue("export", ROUTINE, "-o", "s.mp3", "--subtitles", "vtt", cache=warm, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "matcue: s.mp3 already exists; add --force to replace it\n"
    assert (tmp_path / "s.mp3").read_bytes() == b"my old session"
    assert names(tmp_path) == ["s.mp3"]


def test_an_existing_sidecar_is_refused_and_nothing_is_written(warm: Path, tmp_path: Path) -> None:
    (tmp_path / "s.cue").write_text("old")
    done = matcue("export", ROUTINE, "-o", "s.flac", "--cue-sheet", cache=warm, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "matcue: s.cue already exists; add --force to replace it\n"
    assert names(tmp_path) == ["s.cue"]
    assert (tmp_path / "s.cue").read_text() == "old"


def test_an_existing_split_track_is_refused(warm: Path, tmp_path: Path) -> None:
    (tmp_path / "s-03-knee-hug.wav").write_bytes(b"x")
    done = matcue("export", ROUTINE, "-o", "s.wav", "--split", cache=warm, cwd=tmp_path)
    assert done.returncode == 2
    assert "s-03-knee-hug.wav already exists; add --force" in done.stderr
    assert names(tmp_path) == ["s-03-knee-hug.wav"]


def test_force_replaces_the_files(warm: Path, tmp_path: Path) -> None:
    (tmp_path / "s.wav").write_bytes(b"old")
    (tmp_path / "s.srt").write_text("old")
    done = matcue(
        "export", ROUTINE, "-o", "s.wav", "--subtitles", "srt", "--force", cache=warm, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert sf.info(str(tmp_path / "s.wav")).frames > 0
    assert (tmp_path / "s.srt").read_text().startswith("1\n00:00:00,")
    assert names(tmp_path) == ["s.srt", "s.wav"]


# --- interrupted and failing exports -------------------------------------------------------------


def test_ctrl_c_during_an_export_leaves_nothing(warm: Path, tmp_path: Path) -> None:
    """SIGINT once the export has begun writing (a temporary file exists): exit 130, no file."""
    child = subprocess.Popen(
        [str(MATCUE), "export", ROUTINE, "-o", "s.opus", "--pace", "40", "--labels"],
        cwd=tmp_path,
        env=cli_env(warm),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while not any(p.name.endswith(".part") for p in tmp_path.iterdir()):
            assert child.poll() is None, child.communicate()
            time.sleep(0.005)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, err
    assert err.endswith("Stopped.\n")
    assert "Traceback" not in err
    assert names(tmp_path) == []


FULL_DISK_CHILD = """
import resource, signal, sys
from pathlib import Path
import numpy as np
from matcue.errors import ExportError
from matcue.export import ExportOptions, Tags, export_session
from matcue.export.formats import FORMATS, encoding
from matcue.timeline.model import Chapter, Pace, Timeline

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))  # a disk full partway through
frames = 20 * 22050
tl = Timeline("t", "T", Pace(), 20.0, (Chapter(0.0, "A"), Chapter(10.0, "B")), (), ())
noise = (np.random.default_rng(0).standard_normal(frames) * 3000).astype(np.int16)
target = Path(sys.argv[1])
options = ExportOptions(target, encoding(FORMATS[target.suffix], None, None), chapters_json=True)
tags = Tags("T", "A", "matcue", "2025-01-01", "c")
try:
    blocks = (noise[i : i + 65536] for i in range(0, frames, 65536))
    export_session(tl, blocks, 22050, options, tags, {})
except ExportError as err:
    print(err)
    sys.exit(1)
"""


@pytest.mark.parametrize("fmt", ["flac", "ogg", "mp3", "opus", "m4a"])
def test_a_full_disk_is_an_export_error_and_leaves_nothing(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"s.{fmt}"
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK_CHILD, str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith(f"cannot write {target}: ")
    assert done.stdout.count("\n") == 1
    if fmt != "m4a":  # FFmpeg words it its own way; libsndfile's errors keep their errno
        assert done.stdout.endswith("the file is too large for this file system\n")
    assert done.stderr == ""  # nothing printed from inside the encoders
    assert names(tmp_path) == []


def test_an_unwritable_folder_is_an_export_error(warm: Path, tmp_path: Path) -> None:
    done = matcue("export", ROUTINE, "-o", tmp_path / "nope" / "s.ogg", cache=warm, cwd=tmp_path)
    assert done.returncode == 1
    target = tmp_path / "nope" / "s.ogg"
    assert (
        done.stderr == f"matcue: cannot write {target}: the folder {target.parent} does not exist\n"
    )


# --- options -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-o", "s.aiff"],
            "cannot export to '.aiff': use one of .wav, .flac, .ogg, .opus, .mp3, .m4a "
            "(the format follows the extension)",
        ),
        (
            ["-o", "s.wav", "--bitrate", "64"],
            "WAV has no bitrate to set: --bitrate applies to .opus, .mp3, .m4a",
        ),
        (
            ["-o", "s.ogg", "--bitrate", "64"],
            "Ogg Vorbis has no bitrate to set: --bitrate applies to .opus, .mp3, .m4a "
            "(use --quality for .ogg)",
        ),
        (
            ["-o", "s.mp3", "--quality", "5"],
            "MP3 has no quality to set: --quality applies to .ogg (use --bitrate)",
        ),
        (
            ["-o", "s.mp3", "--bitrate", "32"],
            "--bitrate for MP3 must be from 56 to 160 kbps, got 32",
        ),
        (
            ["-o", "s.ogg", "--quality", "11"],
            "--quality for Ogg Vorbis must be from 0 to 10, got 11",
        ),
    ],
)
def test_bad_settings_are_one_sentence(
    warm: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    done = matcue("export", ROUTINE, *args, cache=warm, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"matcue: {message}\n"
    assert names(tmp_path) == []


def test_a_loudness_out_of_range_is_a_usage_error(warm: Path, tmp_path: Path) -> None:
    # (louder than -16 is refused by matcue, saying why: tests/test_volume_loudness.py)
    done = matcue("export", ROUTINE, "-o", "s.wav", "--loudness=-40", cache=warm, cwd=tmp_path)
    assert done.returncode == 2
    # click's wording (typer's): acceptable only while typer is locked (<0.29)
    assert "Invalid value for '--loudness'" in done.stderr
    assert names(tmp_path) == []


def test_m4a_without_pyav_says_what_to_install(warm: Path, tmp_path: Path) -> None:
    blocked = (
        "import sys; sys.modules['av'] = None\n"  # as if PyAV were not installed
        "from matcue.cli import main\n"
        f"sys.exit(main(['export', {str(ROUTINE)!r}, '-o', 's.m4a']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocked],
        cwd=tmp_path,
        env=cli_env(warm),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "matcue: Exporting to .m4a needs PyAV, which is not installed: install matcue[m4a] "
        "(pip install 'matcue[m4a]') or pick another format.\n"
    )
    assert names(tmp_path) == []


# --- progress ------------------------------------------------------------------------------------


def on_a_terminal(*args: str | Path, cache: Path, cwd: Path) -> tuple[int, str]:
    """Run matcue with stderr on a pseudo-terminal; its exit code and what the terminal got."""
    main, side = pty.openpty()
    child = subprocess.Popen(
        [str(MATCUE), *map(str, args)],
        cwd=cwd,
        env={**cli_env(cache), "TERM": "xterm", "COLUMNS": "80"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=side,
    )
    os.close(side)
    seen = b""
    while True:
        try:
            data = os.read(main, 4096)
        except OSError:  # the child closed its end
            break
        if not data:
            break
        seen += data
    os.close(main)
    return child.wait(timeout=60), seen.decode(errors="replace")


def test_a_terminal_sees_a_progress_bar(warm: Path, tmp_path: Path) -> None:
    code, seen = on_a_terminal(
        "export", ROUTINE, "-o", "s.wav", "--pace", "30", cache=warm, cwd=tmp_path
    )
    assert code == 0
    assert "Exporting" in seen and "100 %" in seen
    assert "Wrote s.wav (" in seen


def test_quiet_silences_the_progress_bar(warm: Path, tmp_path: Path) -> None:
    code, seen = on_a_terminal(
        "export", ROUTINE, "-o", "s.wav", "--pace", "30", "--quiet", cache=warm, cwd=tmp_path
    )
    assert (code, seen) == (0, "")
    assert names(tmp_path) == ["s.wav"]


# --- in-process: every format, interrupted or failing, leaves nothing ---------------------------


def timeline(seconds: float = 3.0) -> Timeline:
    chapters = (Chapter(0.0, "Introduction"), Chapter(1.0, "Tilt"), Chapter(2.5, "Closing"))
    phases = (
        Phase(0.0, 1.0, "intro"),
        Phase(1.0, 1.5, "inhale", exercise=1, set=1, rep=1),
        Phase(2.5, seconds - 2.5, "outro"),
    )
    cues = (Cue(0.1, 0.5, "speech", text="Hello."), Cue(1.2, 0.5, "speech", text="In."))
    return Timeline("t", "T", Pace(), seconds, chapters, phases, cues)


def blocks(frames: int, then: BaseException | None = None) -> Iterator[npt.NDArray[np.int16]]:
    t = np.arange(frames) / RATE
    pcm = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    for i in range(0, frames, 4096):
        if then is not None and i >= frames // 2:
            raise then
        yield pcm[i : i + 4096]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("split", [False, True])
def test_ctrl_c_in_any_format_leaves_nothing(tmp_path: Path, fmt: str, split: bool) -> None:
    tl = timeline()
    options = ExportOptions(
        tmp_path / f"s{fmt}",
        encoding(FORMATS[fmt], None, None),
        split=split,
        subtitles="vtt",
        cue_sheet=True,
        labels=True,
        chapters_json=True,
    )
    with pytest.raises(KeyboardInterrupt):
        export_session(tl, blocks(3 * RATE, KeyboardInterrupt()), RATE, options, TAGS, {1: "Tilt"})
    assert names(tmp_path) == []
    # the thread that renders ahead of the encoder has stopped too
    assert not [t for t in threading.enumerate() if t.name == "matcue-render"]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_the_same_export_without_the_interruption_writes_everything(
    tmp_path: Path, fmt: str
) -> None:
    options = ExportOptions(
        tmp_path / f"s{fmt}", encoding(FORMATS[fmt], None, None), split=True, labels=True
    )
    written = export_session(timeline(), blocks(3 * RATE), RATE, options, TAGS, {1: "Tilt"})
    expected = [f"s-01-introduction{fmt}", f"s-02-tilt{fmt}", f"s-03-closing{fmt}"]
    assert [p.name for p in written] == [*expected, "s.m3u", "s.labels.txt"]
    assert names(tmp_path) == sorted(p.name for p in written)


def test_a_failing_rename_takes_back_the_files_already_placed(tmp_path: Path) -> None:
    (tmp_path / "s.labels.txt").mkdir()  # the last file staged cannot take its name
    options = ExportOptions(
        tmp_path / "s.flac", encoding(FORMATS[".flac"], None, None), subtitles="srt", labels=True
    )
    with pytest.raises(ExportError, match=r"s\.labels\.txt: it is a directory$"):
        export_session(timeline(), blocks(3 * RATE), RATE, options, TAGS, {})
    assert names(tmp_path) == ["s.labels.txt"]


def test_a_name_taken_during_the_export_is_refused(tmp_path: Path) -> None:
    options = ExportOptions(tmp_path / "s.wav", encoding(FORMATS[".wav"], None, None))

    def racing() -> Iterator[npt.NDArray[np.int16]]:
        yield from blocks(3 * RATE)
        (tmp_path / "s.wav").write_bytes(b"someone else's")

    with pytest.raises(InputError, match="already exists; add --force"):
        export_session(timeline(), racing(), RATE, options, TAGS, {})
    assert (tmp_path / "s.wav").read_bytes() == b"someone else's"
    assert names(tmp_path) == ["s.wav"]


CHUNKING_CHILD = """
import sys
from pathlib import Path
import numpy as np
from matcue.export import ExportOptions, Tags, export_session
from matcue.export.formats import FORMATS, encoding
from matcue.timeline.model import Pace, Timeline

frames = 5_000_000  # one block: libsndfile's Vorbis encoder crashes if handed this at once
tl = Timeline("t", "T", Pace(), frames / 22050, (), (), ())
pcm = (np.sin(np.arange(frames) * 0.05) * 3000).astype(np.int16)
tags = Tags("T", "A", "matcue", "2025-01-01", "c")
options = ExportOptions(Path(sys.argv[1]), encoding(FORMATS[".ogg"], None, None))
export_session(tl, [pcm], 22050, options, tags, {})
"""


def test_a_huge_block_reaches_the_vorbis_encoder_in_pieces(tmp_path: Path) -> None:
    target = tmp_path / "big.ogg"
    done = subprocess.run(
        [sys.executable, "-c", CHUNKING_CHILD, str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr  # -11 (a segfault) without the pieces
    assert sf.info(str(target)).frames == 5_000_000
