"""Sound files in and out: soundfile (libsndfile) loaded when first needed, 16-bit WAV through
the standard library, and the mono mixdown and resampling every decoded file goes through.

The tones (:mod:`matcue.audio.tones`), the music (:mod:`matcue.audio.music`), the speech
engine's output and the speech cache's entries are all read here; export writes through
:func:`soundfile_module` too.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import wave
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import numpy.typing as npt

from matcue.audio.clip import Clip, Int16Clip
from matcue.errors import RuntimeFailure


def soundfile_module() -> ModuleType:
    """The ``soundfile`` module, or a RuntimeFailure that says how to get it."""
    try:
        import soundfile
    except (ImportError, OSError) as exc:  # OSError: the libsndfile library itself is missing
        raise RuntimeFailure(
            "Reading and writing audio needs the soundfile package and libsndfile: "
            "install them with `pip install soundfile`."
        ) from exc
    module: ModuleType = soundfile
    return module


def mono(data: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``(frames, channels)`` samples as one channel: the mean of the channels."""
    out: npt.NDArray[np.float32] = (
        data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0]
    )
    return out


def resample(
    samples: npt.NDArray[np.float32], from_rate: int, to_rate: int
) -> npt.NDArray[np.float32]:
    """``samples`` at ``to_rate`` by linear interpolation; length scales to the nearest frame."""
    if from_rate == to_rate or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    n_out = round(samples.size * to_rate / from_rate)
    positions = np.arange(n_out, dtype=np.float64) * (from_rate / to_rate)
    source = np.arange(samples.size, dtype=np.float64)
    return np.interp(positions, source, samples.astype(np.float64)).astype(np.float32)


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Keep the decoders' own notes (printed by C code on fd 2) off the user's terminal."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def read_wav(path: Path) -> Clip | None:
    """The file's audio at its real rate (from the header), mono float32; None if unreadable."""
    if not path.is_file():
        return None
    clip = _read_pcm16(path)
    if clip is not None:
        return clip
    sf = soundfile_module()
    try:
        data, file_rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError):
        return None
    return Clip(samples=np.ascontiguousarray(mono(data), dtype=np.float32), rate=int(file_rate))


def _read_pcm16(path: Path) -> Clip | None:
    """A 16-bit PCM WAV (what pyttsx3 writes) read with the standard library: the same samples
    as soundfile gives (``k / 32768``), without its set-up per file; None for any other file,
    which soundfile reads."""
    try:
        with wave.open(str(path), "rb") as f:
            if f.getsampwidth() != 2 or f.getcomptype() != "NONE":
                return None
            channels, file_rate = f.getnchannels(), f.getframerate()
            frames = np.frombuffer(f.readframes(f.getnframes()), dtype="<i2")
    except (wave.Error, EOFError, OSError, ValueError):
        return None
    if channels < 1 or file_rate <= 0 or frames.size % channels:
        return None
    data = frames.astype(np.float32) * np.float32(1.0 / 32768.0)
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1, dtype=np.float32)
    return Clip(samples=np.ascontiguousarray(data, dtype=np.float32), rate=int(file_rate))


def pcm16(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.int16]:
    """``samples`` as 16-bit PCM, as libsndfile converts float32 (and as the cache's entries
    have always been written): scaled by 32768, rounded down, clipped to the 16-bit range."""
    scaled = np.floor(np.asarray(samples, dtype=np.float32).reshape(-1) * np.float32(32768.0))
    pcm: npt.NDArray[np.int16] = np.clip(scaled, -32768, 32767).astype("<i2")
    return pcm


def read_mono16(path: Path) -> Int16Clip | None:
    """The mono 16-bit WAV at ``path`` (as :func:`write_mono16` writes it) as an
    :class:`Int16Clip` over read-only samples; None if it is missing, not a mono 16-bit WAV,
    or shorter than its header says (truncated)."""
    try:
        with wave.open(str(path), "rb") as f:
            mono16 = f.getnchannels() == 1 and f.getsampwidth() == 2
            rate, frames = f.getframerate(), f.getnframes()
            data = f.readframes(frames) if mono16 else b""
    except (wave.Error, EOFError, OSError, ValueError):
        return None
    if not mono16 or rate <= 0 or len(data) != 2 * frames:
        return None
    pcm = np.frombuffer(data, dtype="<i2")  # over immutable bytes: read-only
    return Int16Clip(pcm, rate)


def write_mono16(path: Path, clip: Clip) -> None:
    """``clip`` as a mono 16-bit WAV at ``path`` (:func:`pcm16`); OSError if it cannot be."""
    body = pcm16(clip.samples).tobytes()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(clip.rate)
        out.writeframes(body)
