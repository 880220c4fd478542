"""A content-addressed disk cache of speech clips, with an in-memory dict in front.

Each distinct line is synthesised once: its key is a sha256 over everything that changes how
it sounds (engine, voice id, rate, volume, text, ``CACHE_VERSION``), and its clip lives in
``<root>/speech/ab/abcdef….wav``: a mono 16-bit WAV with a chunk after its samples holding a
CRC-32 of its format and samples. Entries are written to a temporary file in the same folder
(its owner's pid in its name) and renamed into place, so two processes writing the same key
never leave a half-written file; the first write of a run removes the temporary files killed
processes left. A corrupt or truncated entry, or one that fails its checksum (samples zeroed
or replaced, the rate in its header rewritten), is treated as missing, and the caller renders
it again. A cache that cannot be written warns once, naming the path that blocks it, and the
clips are kept in memory.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import struct
import sys
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from matcue.audio.clip import Clip, Int16Clip, readonly_clip
from matcue.audio.files import pcm16
from matcue.audio.leftovers import TMP, sweep_folder

# Bump when the rendering pipeline changes in a way that changes the audio (trimming, format).
CACHE_VERSION = 2  # 2: each line made in a fresh espeak-ng (no carried-over state)

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


_CHUNK = b"mcsm"  # the checksum chunk after the samples: b"crc1" and a CRC-32, little-endian
Warn = Callable[[str], object]


def _stderr(text: str) -> None:
    print(f"matcue: warning: {text}", file=sys.stderr)


def entry_bytes(clip: Clip) -> bytes:
    """``clip`` as a cache entry: a mono 16-bit WAV (:func:`~matcue.audio.files.pcm16`) with a
    chunk after its samples holding a CRC-32 of its format chunk and samples."""
    data = pcm16(clip.samples).tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, int(clip.rate), 2 * int(clip.rate), 2, 16)
    check = b"crc1" + struct.pack("<I", zlib.crc32(data, zlib.crc32(fmt)))
    chunks = [b"fmt ", struct.pack("<I", 16), fmt, b"data", struct.pack("<I", len(data)), data]
    if len(data) % 2:  # never (16-bit samples), but a chunk is padded to an even length
        chunks.append(b"\0")
    chunks += [_CHUNK, struct.pack("<I", len(check)), check]
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def read_entry(path: Path) -> Int16Clip | None:
    """The clip in the entry at ``path``, or None when it is missing, unreadable, truncated, of
    another format, or its samples or format do not match its checksum (zeroed or replaced
    samples, a rewritten rate): such an entry is made again."""
    try:
        raw = memoryview(path.read_bytes())
    except (OSError, MemoryError):
        return None
    if len(raw) < 12 or bytes(raw[:4]) != b"RIFF" or bytes(raw[8:12]) != b"WAVE":
        return None
    found: dict[bytes, memoryview] = {}
    at = 12
    while at + 8 <= len(raw):
        name = bytes(raw[at : at + 4])
        (size,) = struct.unpack("<I", raw[at + 4 : at + 8])
        if at + 8 + size > len(raw):
            return None  # truncated
        found.setdefault(name, raw[at + 8 : at + 8 + size])
        at += 8 + size + (size % 2)
    fmt, data, check = found.get(b"fmt "), found.get(b"data"), found.get(_CHUNK)
    if fmt is None or data is None or check is None or len(fmt) != 16 or len(check) != 8:
        return None
    kind, channels, rate, _, _, bits = struct.unpack("<HHIIHH", fmt)
    if (kind, channels, bits) != (1, 1, 16) or rate <= 0 or len(data) % 2 or not len(data):
        return None
    if bytes(check[:4]) != b"crc1" or struct.unpack("<I", check[4:])[0] != zlib.crc32(
        data, zlib.crc32(fmt)
    ):
        return None
    pcm = np.frombuffer(bytes(data), dtype="<i2")  # over immutable bytes: read-only
    return Int16Clip(pcm, rate)


def blocking(folder: Path, entry: Path, err: OSError) -> str:
    """Why the cache ``folder`` cannot hold ``entry``, naming the path that blocks it."""
    if err.errno == errno.ENOSPC:
        return f"the disk of {folder} is full; make room"
    for part in (*reversed(entry.parents), entry.parent):
        if part.exists() and not part.is_dir():
            return f"{part} is a file where a folder should be; move it away"
    reason = (err.strerror or "it cannot be written").lower()
    return f"the folder {folder} cannot be written ({reason}); allow it"


class SpeechCache:
    """Speech clips by key: memory first, then ``<root>/speech/``. A cache that cannot be
    written keeps its clips in memory, with one warning through ``warn``."""

    def __init__(self, root: Path, warn: Warn | None = None) -> None:
        self.root = Path(root)
        self.directory = self.root / "speech"
        self.warn = warn or _stderr
        self.unwritable: str | None = None  # why the disk cache cannot be written (warned once)
        self._memory: dict[str, Clip] = {}
        self._swept = False

    def path_for(self, key: str) -> Path:
        """Where the entry for ``key`` lives on disk (whether or not it exists yet)."""
        return self.directory / key[:2] / f"{key}.wav"

    def get(
        self, key: str, min_duration: float = 0.0, max_duration: float = float("inf")
    ) -> Clip | None:
        """The cached clip, or None if it is missing, unreadable, truncated, fails its
        checksum, or is of implausible length (outside ``min_duration``..``max_duration``
        seconds)."""
        clip = self._memory.get(key)
        if clip is not None:
            return clip
        clip = read_entry(self.path_for(key))
        if clip is None or clip.frames == 0 or not min_duration <= clip.duration <= max_duration:
            return None
        self._memory[key] = clip
        return clip

    def put(self, key: str, clip: Clip) -> Clip:
        """Store ``clip`` in memory and atomically on disk; returns the (read-only) cached clip.
        A disk that cannot take it only warns (once): the clip is kept in memory."""
        stored = readonly_clip(clip.samples, clip.rate)
        if self.unwritable is None:
            self._write(self.path_for(key), stored)
        self._memory[key] = stored
        return stored

    def _write(self, path: Path, clip: Clip) -> None:
        if not self._swept:  # once: what killed processes left behind
            self._swept = True
            sweep_folder(self.directory, TMP, "*/.*.tmp")
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(entry_bytes(clip))
            os.replace(tmp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            why = blocking(self.directory, path, exc)
            self.unwritable = why
            self.warn(
                f"the speech cache cannot be written: {why}, or set {CACHE_ENV} to a writable "
                "folder; the speech is made in memory this time"
            )
        except BaseException:  # Ctrl-C: no half-written temporary file is left either
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise
