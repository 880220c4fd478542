"""A content-addressed disk cache of speech clips, with an in-memory dict in front.

Each distinct line is synthesised once: its key is a sha256 over everything that changes how
it sounds (engine, voice id, rate, volume, text, ``CACHE_VERSION``), and its clip lives in
``<root>/speech/ab/abcdef….wav``. Entries are written to a temporary file in the same folder
and renamed into place, so two processes writing the same key never leave a half-written file.
A corrupt or truncated entry is treated as missing, and the caller renders it again.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
import wave
from pathlib import Path
from types import ModuleType

import numpy as np
import numpy.typing as npt

from matcue.errors import RuntimeFailure
from matcue.voice.base import Clip

# Bump when the rendering pipeline changes in a way that changes the audio (trimming, format).
CACHE_VERSION = 1

CACHE_ENV = "MATCUE_CACHE_DIR"  # named in the message for an unwritable cache; read by the CLI


def default_cache_dir() -> Path:
    """The platform's user cache folder for matcue, for a caller that names no folder.

    This stage reads no environment variable: the CLI resolves ``$MATCUE_CACHE_DIR`` at the
    edge (:func:`matcue.store.paths.cache_dir`) and passes the folder in.
    """
    import platformdirs

    return Path(platformdirs.user_cache_dir("matcue"))


def cache_key(
    engine: str,
    voice_id: str,
    rate: int,
    volume: float,
    text: str,
    version: int = CACHE_VERSION,
) -> str:
    """The hex sha256 naming one rendering of ``text``; any differing field gives a new key."""
    payload = json.dumps(
        [engine, voice_id, int(rate), float(volume), text, int(version)],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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


_PCM_SCALE = np.float32(1.0 / 32768.0)  # libsndfile reads 16-bit PCM as int16 / 32768


class Int16Clip(Clip):
    """A clip held as int16, half the memory of float32: for clips whose float32 samples are
    exactly ``int16 / 32768``, as every clip read back from the cache is (a two-hour session
    holds ~90 MB of its lines as float32). ``samples`` gives those float32 samples, bit for
    bit, read-only, made anew at each access: callers take it once per piece of work."""

    pcm: npt.NDArray[np.int16]

    def __init__(self, pcm: npt.NDArray[np.int16], rate: int) -> None:
        # Clip's own fields are frozen; samples is worked out from pcm instead of stored
        object.__setattr__(self, "pcm", pcm)
        object.__setattr__(self, "rate", rate)

    @property
    def samples(self) -> npt.NDArray[np.float32]:
        out = self.pcm.astype(np.float32)
        out *= _PCM_SCALE
        out.flags.writeable = False
        return out

    @property
    def frames(self) -> int:
        return int(self.pcm.shape[0])

    def __repr__(self) -> str:
        return f"Int16Clip(frames={self.frames}, rate={self.rate})"


def _as_int16(data: npt.NDArray[np.float32]) -> npt.NDArray[np.int16] | None:
    """``data`` as the int16 values it is exactly ``int16 / 32768`` of, or None."""
    scaled = data * np.float32(32768.0)
    if scaled.size and (scaled.min() < -32768 or scaled.max() > 32767):
        return None
    with np.errstate(invalid="ignore"):  # a NaN casts to some integer: caught just below
        pcm = scaled.astype(np.int16)
    if not np.array_equal(pcm, scaled):  # a fraction (or a NaN) somewhere
        return None
    return pcm


def readonly_clip(samples: npt.ArrayLike, rate: int) -> Clip:
    """A Clip over a copy of ``samples`` (float32) that nobody can modify in place (it is
    shared): an :class:`Int16Clip` when that holds them exactly."""
    data = np.array(samples, dtype=np.float32, copy=True).reshape(-1)
    pcm = _as_int16(data)
    if pcm is not None:
        pcm.flags.writeable = False
        return Int16Clip(pcm, int(rate))
    data.flags.writeable = False
    return Clip(samples=data, rate=int(rate))


def pcm16(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.int16]:
    """``samples`` as 16-bit PCM, as libsndfile converts float32 (and as the cache's entries
    have always been written): scaled by 32768, rounded down, clipped to the 16-bit range."""
    scaled = np.floor(np.asarray(samples, dtype=np.float32).reshape(-1) * np.float32(32768.0))
    pcm: npt.NDArray[np.int16] = np.clip(scaled, -32768, 32767).astype("<i2")
    return pcm


class SpeechCache:
    """Speech clips by key: memory first, then ``<root>/speech/``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.directory = self.root / "speech"
        self._memory: dict[str, Clip] = {}

    def path_for(self, key: str) -> Path:
        """Where the entry for ``key`` lives on disk (whether or not it exists yet)."""
        return self.directory / key[:2] / f"{key}.wav"

    def get(
        self, key: str, min_duration: float = 0.0, max_duration: float = float("inf")
    ) -> Clip | None:
        """The cached clip, or None if it is missing, unreadable, truncated or of implausible
        length (outside ``min_duration``..``max_duration`` seconds)."""
        clip = self._memory.get(key)
        if clip is not None:
            return clip
        clip = self._read(self.path_for(key))
        if clip is None or clip.frames == 0 or not min_duration <= clip.duration <= max_duration:
            return None
        self._memory[key] = clip
        return clip

    def put(self, key: str, clip: Clip) -> Clip:
        """Store ``clip`` in memory and atomically on disk; returns the (read-only) cached clip."""
        stored = readonly_clip(clip.samples, clip.rate)
        self._write(self.path_for(key), stored)
        self._memory[key] = stored
        return stored

    def _read(self, path: Path) -> Clip | None:
        """The entry at ``path`` as an :class:`Int16Clip`; None if it is missing, not a mono
        16-bit WAV, or shorter than its header says (truncated)."""
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

    def _write(self, path: Path, clip: Clip) -> None:
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        body = pcm16(clip.samples).tobytes()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with wave.open(str(tmp), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(clip.rate)
                out.writeframes(body)
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise RuntimeFailure(
                f"Cannot write the speech cache in {self.directory}: set {CACHE_ENV} "
                "to a writable folder."
            ) from exc
        except BaseException:  # Ctrl-C: no half-written temporary file is left either
            tmp.unlink(missing_ok=True)
            raise
