"""WAV export: real files, read back by soundfile and ffprobe; failures leave nothing behind."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from matcue.audio.clip import Clip
from matcue.audio.render import render, render_chunks
from matcue.audio.units import frames_to_seconds, seconds_to_frames
from matcue.errors import ExportError
from matcue.export import describe_os_error, export_wav
from matcue.timeline.model import Cue, Pace, Timeline

RATE = 48000
DURATION = 2.3456  # 112588.8 frames at 48 kHz -> 112589


def session() -> tuple[Timeline, dict[str, Clip], dict[str, Clip]]:
    t = np.arange(RATE // 2) / RATE
    speech = {"Breathe in.": Clip((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), RATE)}
    sounds = {"inhale": Clip((0.5 * np.sin(2 * np.pi * 660 * t[:24000])).astype(np.float32), RATE)}
    cues = (
        Cue(t=0.2, dur=0.5, kind="tone", sound="inhale"),
        Cue(t=0.3, dur=0.5, kind="speech", text="Breathe in."),
        Cue(t=1.8, dur=0.5, kind="tone", sound="inhale"),
    )
    tl = Timeline("test", "Test", Pace(), DURATION, (), (), cues)
    return tl, speech, sounds


def ffprobe(path: Path) -> dict[str, object]:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,sample_rate,channels,duration_ts,duration",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    stream: dict[str, object] = json.loads(out)["streams"][0]
    return stream


def test_wav_holds_exactly_the_rendered_session(tmp_path: Path) -> None:
    tl, speech, sounds = session()
    target = tmp_path / "session.wav"
    result = export_wav(render_chunks(tl, speech, sounds, RATE, chunk_frames=10000), RATE, target)

    assert result == target
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session.wav"]  # no temp file left
    info = sf.info(str(target))
    assert (info.format, info.subtype, info.samplerate, info.channels) == (
        "WAV",
        "PCM_16",
        RATE,
        1,
    )
    data, rate = sf.read(str(target), dtype="int16")
    assert rate == RATE
    assert np.array_equal(data, render(tl, speech, sounds, RATE))
    assert data.shape == (seconds_to_frames(DURATION, RATE),)


def test_ffprobe_reads_the_duration_rate_and_channels(tmp_path: Path) -> None:
    tl, speech, sounds = session()
    target = export_wav(render_chunks(tl, speech, sounds, RATE), RATE, tmp_path / "s.wav")
    stream = ffprobe(target)
    assert stream["codec_name"] == "pcm_s16le"
    assert int(str(stream["sample_rate"])) == RATE
    assert stream["channels"] == 1
    assert abs(float(str(stream["duration"])) - DURATION) <= 1 / RATE
    assert int(str(stream["duration_ts"])) == 112589


def test_an_existing_file_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out.wav"
    target.write_bytes(b"old contents")
    export_wav([np.ones(100, dtype=np.int16)], 22050, target)
    data, rate = sf.read(str(target), dtype="int16")
    assert rate == 22050 and data.shape == (100,) and np.all(data == 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]


def test_the_file_gets_ordinary_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = export_wav([np.zeros(10, dtype=np.int16)], RATE, tmp_path / "out.wav")
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644  # 0o666 & ~0o022, not a temp file's 0o600


def test_no_blocks_is_an_empty_but_valid_wav(tmp_path: Path) -> None:
    target = export_wav([], RATE, tmp_path / "empty.wav")
    assert sf.info(str(target)).frames == 0


def test_a_missing_folder_is_an_export_error(tmp_path: Path) -> None:
    target = tmp_path / "nope" / "out.wav"
    with pytest.raises(ExportError) as caught:
        export_wav([np.zeros(10, dtype=np.int16)], RATE, target)
    assert str(caught.value) == f"cannot write {target}: the folder {target.parent} does not exist"
    assert list(tmp_path.iterdir()) == []


def test_a_directory_in_the_way_is_an_export_error(tmp_path: Path) -> None:
    (tmp_path / "out.wav").mkdir()
    with pytest.raises(ExportError, match=r"out\.wav: it is a directory$"):
        export_wav([np.zeros(10, dtype=np.int16)], RATE, tmp_path / "out.wav")
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]


def interrupted_after(blocks: int) -> Iterator[npt.NDArray[np.int16]]:
    for _ in range(blocks):
        yield np.full(4096, 1000, dtype=np.int16)
    raise KeyboardInterrupt


@pytest.mark.parametrize("blocks", [0, 1, 5])
def test_ctrl_c_inside_the_blocks_leaves_nothing(tmp_path: Path, blocks: int) -> None:
    with pytest.raises(KeyboardInterrupt):
        export_wav(interrupted_after(blocks), RATE, tmp_path / "out.wav")
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_leaves_an_existing_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "out.wav"
    target.write_bytes(b"the previous export")
    with pytest.raises(KeyboardInterrupt):
        export_wav(interrupted_after(3), RATE, target)
    assert target.read_bytes() == b"the previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]


def test_a_bad_block_is_a_value_error_and_leaves_nothing(tmp_path: Path) -> None:
    blocks = [np.zeros(10, dtype=np.int16), np.zeros((10, 2), dtype=np.int16)]
    with pytest.raises(ValueError, match="mono int16"):
        export_wav(iter(blocks), RATE, tmp_path / "out.wav")
    assert list(tmp_path.iterdir()) == []


# The failures below need the operating system to refuse a write, so they run export_wav in a
# child process: one with no right to bypass file permissions, one with a file size limit.

CHILD = """
import sys
from pathlib import Path
import numpy as np
from matcue.errors import ExportError
from matcue.export import export_wav

blocks = (np.full(65536, 7, dtype=np.int16) for _ in range(int(sys.argv[2])))
try:
    export_wav(blocks, 48000, Path(sys.argv[1]))
except ExportError as err:
    print(err)
    sys.exit(1)
print("written")
"""


def without_root_override(cmd: list[str]) -> list[str]:
    """``cmd`` as it must run so that file permissions apply (root normally bypasses them)."""
    if os.geteuid() != 0:
        return cmd
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("running as root, this test needs setpriv (util-linux) to drop the override")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}", *cmd]


def test_an_unwritable_folder_is_an_export_error(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        child = subprocess.run(
            without_root_override([sys.executable, "-c", CHILD, str(folder / "out.wav"), "3"]),
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        folder.chmod(0o755)
    assert child.returncode == 1, child.stderr
    assert child.stdout == f"cannot write {folder / 'out.wav'}: permission denied\n"
    assert child.stderr == ""
    assert list(folder.iterdir()) == []


def test_running_out_of_space_midway_is_an_export_error(tmp_path: Path) -> None:
    """A file size limit makes the disk refuse writes partway through, like a full disk."""
    limit = 300_000  # bytes: the write fails within the 3rd of 10 blocks of 128 KiB
    script = (
        "import resource, signal\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n" + CHILD
    )
    target = tmp_path / "out.wav"
    child = subprocess.run(
        [sys.executable, "-c", script, str(target), "10"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert child.returncode == 1, child.stderr
    assert child.stdout == f"cannot write {target}: the file is too large for this file system\n"
    assert child.stderr == ""  # no traceback printed from inside libsndfile
    assert list(tmp_path.iterdir()) == []


def test_the_same_child_writes_fine_without_the_limit(tmp_path: Path) -> None:
    target = tmp_path / "out.wav"
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(target), "10"], capture_output=True, text=True
    )
    assert (child.returncode, child.stdout) == (0, "written\n")
    assert sf.info(str(target)).frames == 10 * 65536
    assert frames_to_seconds(sf.info(str(target)).frames, RATE) == pytest.approx(13.65333, 1e-5)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EACCES, "permission denied"),
        (errno.EROFS, "the file system is read-only"),
        (errno.EIO, "input/output error"),
    ],
)
def test_os_errors_read_as_one_sentence(code: int, reason: str) -> None:
    err = OSError(code, os.strerror(code))
    assert describe_os_error(Path("out.wav"), err) == f"cannot write out.wav: {reason}"
