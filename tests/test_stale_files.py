"""Caches and temporary files never brick matcue (issue 19).

A speech-cache entry whose samples or header were changed fails its checksum and is made
again; a levels-cache entry with a valid checksum but absurd header fields is a miss; a cache
that cannot be written warns, naming the path that blocks it, and the speech is made in
memory; a temporary file a killed process left (an export's ``.part``, a cache's ``.tmp``) is
removed by a later export or cache write, never one a live process owns.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from matcue.audio.clip import Clip
from matcue.audio.files import pcm16
from matcue.audio.leftovers import PART, TMP, sweep_folder
from matcue.audio.levels_cache import LevelsCache
from matcue.cli import Environment, main
from matcue.export.staging import Staging
from matcue.store.paths import Folders
from matcue.voice.cache import SpeechCache, entry_bytes, read_entry

ROUTINE = str(Path(__file__).parent / "routines" / "cli" / "short-session.yaml")
KEY = "ab" + "0" * 62
RATE = 22050


def speechlike() -> Clip:
    t = np.arange(RATE // 2, dtype=np.float32)
    return Clip((0.5 * np.sin(t / 9.0)).astype(np.float32), RATE)


# -- the speech cache's checksum ---------------------------------------------------------------


def damaged(raw: bytes, how: str) -> bytes:
    data_at = raw.index(b"data") + 8
    size = struct.unpack("<I", raw[data_at - 4 : data_at])[0]
    rng = np.random.default_rng(1)
    if how == "zeroed":
        return raw[:data_at] + bytes(size) + raw[data_at + size :]
    if how == "noise":
        return raw[:data_at] + rng.bytes(size) + raw[data_at + size :]
    rate_at = raw.index(b"fmt ") + 12  # the header's rate: 22,050 Hz -> 8,000 Hz
    return raw[:rate_at] + struct.pack("<I", 8000) + raw[rate_at + 4 :]


@pytest.mark.parametrize("how", ["zeroed", "noise", "rate"])
def test_a_changed_speech_entry_fails_its_checksum_and_is_made_again(
    tmp_path: Path, how: str
) -> None:
    cache = SpeechCache(tmp_path)
    clip = cache.put(KEY, speechlike())
    path = cache.path_for(KEY)
    assert read_entry(path) is not None
    path.write_bytes(damaged(path.read_bytes(), how))
    assert read_entry(path) is None
    assert SpeechCache(tmp_path).get(KEY) is None  # a miss: the caller speaks it again
    SpeechCache(tmp_path).put(KEY, clip)
    again = SpeechCache(tmp_path).get(KEY)
    assert again is not None and np.array_equal(again.pcm, pcm16(clip.samples))  # type: ignore[attr-defined]


def test_an_entry_is_still_a_wav_any_reader_plays() -> None:
    import soundfile as sf

    raw = entry_bytes(speechlike())
    samples, rate = sf.read(io.BytesIO(raw), dtype="float32")
    assert rate == RATE and samples.size == RATE // 2


def test_an_entry_of_an_older_matcue_without_a_checksum_is_a_miss(tmp_path: Path) -> None:
    import soundfile as sf

    cache = SpeechCache(tmp_path)
    cache.path_for(KEY).parent.mkdir(parents=True)
    sf.write(cache.path_for(KEY), speechlike().samples, RATE, subtype="PCM_16")
    assert cache.get(KEY) is None


# -- the levels cache: a valid checksum, absurd fields -------------------------------------------


@pytest.mark.parametrize(
    "count", ["10" + "0" * 11, "10000000000000000000", "1e400", "1e12", '"12"', "true", "-1"]
)
def test_a_levels_entry_with_absurd_header_fields_is_a_miss(tmp_path: Path, count: str) -> None:
    cache = LevelsCache(tmp_path)
    body = np.zeros(4, dtype="<f4").tobytes()
    head = f'{{"fields":{{}},"dtype":"<f4","count":{count},"crc32":{zlib.crc32(body)}}}'
    path = cache.path_for(KEY)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"matcue-levels 1\n" + head.encode() + b"\n" + body)
    assert cache.get(KEY) is None
    cache.put(KEY, {"a": 1}, np.zeros(4, dtype=np.float32))  # overwritten, then read
    found = cache.get(KEY)
    assert found is not None and found[0] == {"a": 1}


@pytest.mark.parametrize("header", ['["a"]', '"text"', '{"dtype":["<f4"]}', "1e400"])
def test_a_levels_entry_with_a_header_of_the_wrong_types_is_a_miss(
    tmp_path: Path, header: str
) -> None:
    cache = LevelsCache(tmp_path)
    path = cache.path_for(KEY)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"matcue-levels 1\n" + header.encode() + b"\n")
    assert cache.get(KEY) is None


# -- a cache that cannot be written --------------------------------------------------------------


def plan(tmp_path: Path, cache: Path) -> tuple[int, str]:
    err = io.StringIO()
    where = Folders(tmp_path / "c.toml", tmp_path / "data", cache, True)
    env = Environment(io.StringIO(), err, stdin_is_tty=False, folders=where)
    return main(["plan", ROUTINE], env), err.getvalue()


def test_a_cache_folder_that_is_a_file_warns_naming_it_and_the_plan_is_made(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    cache.write_text("not a folder")
    status, err = plan(tmp_path, cache)
    assert status == 0
    assert err == (
        f"matcue: warning: the speech cache cannot be written: {cache} is a file where a folder "
        "should be; move it away, or set MATCUE_CACHE_DIR to a writable folder; the speech is "
        "made in memory this time\n"
    )


def test_a_file_where_the_speech_folder_should_be_is_named(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "speech").write_text("")
    status, err = plan(tmp_path, cache)
    assert status == 0
    assert err.startswith(
        f"matcue: warning: the speech cache cannot be written: {cache / 'speech'} is a file "
        "where a folder should be; move it away"
    )
    assert err.count("\n") == 1


@pytest.fixture
def unwritable(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody can write in, root included (CI runs as root): as a user, a folder
    without the write bit; as root, a read-only tmpfs mounted there."""
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o500)
    if os.geteuid() != 0:
        yield folder
        return
    mount = ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)]
    done = subprocess.run(mount, capture_output=True, text=True)
    assert done.returncode == 0, f"cannot mount a read-only folder for the test: {done.stderr}"
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_an_unwritable_cache_folder_is_named(tmp_path: Path, unwritable: Path) -> None:
    cache = unwritable
    status, err = plan(tmp_path, cache)
    assert status == 0
    assert err.startswith("matcue: warning: the speech cache cannot be written: the folder ")


# -- temporary files left by a killed process ---------------------------------------------------


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid  # exited and reaped: no process of that id (barring reuse)


def aged(path: Path, seconds: float = 3600.0) -> Path:
    path.write_bytes(b"half")
    then = path.stat().st_mtime - seconds
    os.utime(path, (then, then))
    return path


def test_an_export_removes_stale_parts_and_keeps_a_live_one(tmp_path: Path) -> None:
    dead = aged(tmp_path / f".s.mp3.{dead_pid()}-0123abcd.part")
    live = aged(tmp_path / f".s.mp3.{os.getppid()}-0123abcd.part")  # a running process's
    fresh = tmp_path / f".s.mp3.{dead_pid()}-4567abcd.part"  # changed just now: left alone
    fresh.write_bytes(b"")
    old = aged(tmp_path / ".s.mp3.89abcdef.part", 2 * 24 * 3600)  # an older matcue's
    young = aged(tmp_path / ".t.mp3.89abcdef.part", 3600)
    mine = tmp_path / ".notes.part"  # not matcue's
    mine.write_text("mine")
    with Staging(force=True) as staging:
        staging.write_text(tmp_path / "s.txt", "x")
        staging.commit()
    assert not dead.exists() and not old.exists()
    assert live.exists() and fresh.exists() and young.exists() and mine.exists()
    assert (tmp_path / "s.txt").read_text() == "x"


def test_a_cache_write_removes_stale_tmp_files_and_keeps_a_live_one(tmp_path: Path) -> None:
    folder = tmp_path / "speech" / "cd"
    folder.mkdir(parents=True)
    dead = aged(folder / f".{'cd' * 32}.{dead_pid()}.0123abcd.tmp")
    live = aged(folder / f".{'cd' * 32}.{os.getppid()}.0123abcd.tmp")
    SpeechCache(tmp_path).put(KEY, speechlike())
    assert not dead.exists() and live.exists()
    levels = tmp_path / "levels" / "ef"
    levels.mkdir(parents=True)
    stale = aged(levels / f".{'ef' * 32}.{dead_pid()}.0123abcd.tmp")
    LevelsCache(tmp_path).put(KEY, {}, np.zeros(2, dtype=np.float32))
    assert not stale.exists()


def test_the_names_matcue_writes_are_the_names_it_sweeps(tmp_path: Path) -> None:
    with Staging(force=True) as staging:
        tmp = staging.temporary(tmp_path / "song.mp3")
        assert PART.fullmatch(tmp.name) and str(os.getpid()) in tmp.name
        assert sweep_folder(tmp_path, PART, ".*.part") == []  # its own, live
    assert TMP.fullmatch(f".{KEY}.{os.getpid()}.0123abcd.tmp")
