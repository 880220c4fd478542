"""Music of any length, rate and channels costs little memory (issue #19): it is read in blocks,
mixed down and resampled as it is read, and only the part the session needs is measured. The
samples are the same as decoding the whole file at once gives, bit for bit."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audio_helpers import cli_env
from matcue.audio.files import mono, resample
from matcue.audio.music import HELD_SECONDS, level, load_music
from test_cli import MATCUE
from test_sound_options import HUM, write_routine

RATE = 22050
MAX_RSS_MB = 300

# the peak memory (max RSS, kB on Linux) of a command, measured in a process of its own so that
# no other child of the test run counts
MEASURE = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stderr.write(done.stderr)\n"
    "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def sparse_wav(path: Path, seconds: float, rate: int, channels: int) -> Path:
    """A 16-bit WAV of ``seconds`` of silence whose samples take no disk space (a sparse file:
    a valid header, then a hole as long as the samples)."""
    frames = round(seconds * rate)
    size = frames * channels * 2
    header = b"RIFF" + struct.pack("<I", 36 + size) + b"WAVE"
    header += b"fmt " + struct.pack(
        "<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16
    )
    header += b"data" + struct.pack("<I", size)
    with path.open("wb") as out:
        out.write(header)
        # a hum in the first second, so the music is not all silence
        t = np.arange(rate) / rate
        hum = (0.5 * np.sin(2 * np.pi * HUM * t) * 32767).astype("<i2")
        out.write(np.repeat(hum[:, None], channels, axis=1).tobytes())
        out.truncate(len(header) + size)
    return path


def reference(path: Path) -> np.ndarray:
    """The music as the whole file decoded at once made it (before it was read in blocks)."""
    data, file_rate = sf.read(str(path), dtype="float32", always_2d=True)
    channel = np.nan_to_num(mono(data), nan=0.0, posinf=0.0, neginf=0.0)
    return level(resample(np.ascontiguousarray(channel), int(file_rate), RATE))


@pytest.mark.parametrize(
    ("file_rate", "channels", "seconds", "suffix"),
    [
        (44100, 2, 3.0, ".wav"),
        (48000, 1, 2.5, ".flac"),
        (22050, 2, 1.3, ".wav"),
        (96000, 8, 4.1, ".wav"),
        (8000, 1, 1.0, ".ogg"),
    ],
)
def test_ordinary_music_is_the_same_samples(
    tmp_path: Path, file_rate: int, channels: int, seconds: float, suffix: str
) -> None:
    rng = np.random.default_rng(file_rate)
    data = rng.uniform(-0.5, 0.5, (round(seconds * file_rate), channels)).astype(np.float32)
    path = tmp_path / f"music{suffix}"
    sf.write(path, data, file_rate)
    music = load_music(path, RATE)
    assert music.streamed is None  # held in memory, levelled as a whole
    assert np.array_equal(music.samples, reference(path))


def test_long_music_is_read_as_played_with_the_same_samples(tmp_path: Path) -> None:
    seconds = HELD_SECONDS + 20
    rng = np.random.default_rng(7)
    path = tmp_path / "long.flac"
    sf.write(path, rng.uniform(-0.3, 0.3, (round(seconds * 16000), 2)).astype(np.float32), 16000)
    whole = reference(path)
    music = load_music(path, RATE)
    assert music.streamed is not None and music.frames == whole.size
    # blocks across the loop's end, and jumps back and forth
    for start, frames in [(0, 5000), (whole.size - 777, 2000), (123_456, 99_999), (17, 3)]:
        expect = whole[np.arange(start, start + frames) % whole.size]
        assert np.allclose(music.block(start, frames), expect, rtol=1e-6, atol=0)
    # levelled by the part the session needs: its first 20 seconds
    part = load_music(path, RATE, frames=20 * RATE)
    assert part.streamed is not None
    assert part.peak <= music.peak * 1.001


@pytest.mark.parametrize(
    ("seconds", "file_rate", "channels"),
    [(2 * 3600 + 59 * 60, 44100, 2), (45 * 60, 96000, 8)],
    ids=["2h59min-44k-stereo", "45min-96k-8ch"],
)
def test_a_huge_music_file_under_a_short_session_costs_little_memory(
    tmp_path: Path, seconds: float, file_rate: int, channels: int
) -> None:
    music = sparse_wav(tmp_path / "huge.wav", seconds, file_rate, channels)
    routine = write_routine(tmp_path)
    out = tmp_path / "out.wav"
    command = [str(MATCUE), "export", str(routine), "-o", str(out), "--music", str(music), "-q"]
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        env=cli_env(tmp_path / "cache"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    code, max_rss_kb = map(int, done.stdout.split())
    assert code == 0, done.stderr
    print(f"max RSS {max_rss_kb / 1024:.0f} MB")
    assert max_rss_kb / 1024 < MAX_RSS_MB, f"peak memory {max_rss_kb / 1024:.0f} MB"
    audio, _ = sf.read(out, dtype="float64")
    assert np.max(np.abs(audio)) > 0
