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
import struct
import uuid
from pathlib import Path
from types import ModuleType

import numpy as np
import numpy.typing as npt

from matcue.errors import RuntimeFailure
from matcue.voice.base import Clip

# Bump when the rendering pipeline changes in a way that changes the audio (trimming, format).
CACHE_VERSION = 1

CACHE_ENV = "MATCUE_CACHE_DIR"

# Written into each entry's WAV comment; a file whose frame count disagrees was truncated.
_COMMENT_PREFIX = "matcue-speech frames="


def default_cache_dir() -> Path:
    """``$MATCUE_CACHE_DIR`` if set, else the platform's user cache folder for matcue."""
    env = os.environ.get(CACHE_ENV, "").strip()
    if env:
        return Path(env).expanduser()
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


def wav_bytes(samples: npt.NDArray[np.float32], rate: int, comment: str) -> bytes:
    """A mono 16-bit WAV of ``samples`` with ``comment`` in its INFO list, byte for byte what
    soundfile (libsndfile 1.2) writes for them, without its set-up per file: samples scale by
    32768 and round down, clipped to the 16-bit range; chunks fmt, LIST (INFO, ICMT), data."""
    scaled = np.floor(np.asarray(samples, dtype=np.float32).reshape(-1) * np.float32(32768.0))
    pcm: bytes = np.clip(scaled, -32768, 32767).astype("<i2").tobytes()
    text = comment.encode("utf-8") + b"\0"
    text += b"\0" * (len(text) % 2)
    info = b"INFO" + b"ICMT" + struct.pack("<I", len(text)) + text
    fmt = struct.pack("<HHIIHH", 1, 1, int(rate), int(rate) * 2, 2, 16)
    chunks = (
        b"fmt " + struct.pack("<I", len(fmt)) + fmt,
        b"LIST" + struct.pack("<I", len(info)) + info,
        b"data" + struct.pack("<I", len(pcm)),
    )
    head = b"".join(chunks)
    size = 4 + len(head) + len(pcm) if pcm else 36  # libsndfile's size of an empty file
    return b"RIFF" + struct.pack("<I", size) + b"WAVE" + head + pcm


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
        if not path.is_file():
            return None
        sf = soundfile_module()
        try:
            with sf.SoundFile(str(path)) as f:
                comment = f.comment or ""
                rate = int(f.samplerate)
                channels = int(f.channels)
                # 16-bit entries (all that _write makes) are kept as int16: see Int16Clip
                pcm16 = f.subtype == "PCM_16"
                data = f.read(dtype="int16" if pcm16 else "float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError, OSError, ValueError):
            return None
        if not comment.startswith(_COMMENT_PREFIX) or channels != 1 or rate <= 0:
            return None
        try:
            expected = int(comment[len(_COMMENT_PREFIX) :])
        except ValueError:
            return None
        if expected != data.shape[0]:
            return None  # truncated: libsndfile silently reads what is left
        if pcm16:
            pcm = np.ascontiguousarray(data[:, 0])
            pcm.flags.writeable = False
            return Int16Clip(pcm, rate)
        return readonly_clip(data[:, 0], rate)

    def _write(self, path: Path, clip: Clip) -> None:
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        body = wav_bytes(clip.samples, clip.rate, f"{_COMMENT_PREFIX}{clip.frames}")
        try:
            try:
                tmp_file = open(tmp, "wb")  # noqa: SIM115 (the folder may be missing)
            except FileNotFoundError:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp_file = open(tmp, "wb")  # noqa: SIM115
            with tmp_file:
                tmp_file.write(body)
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
