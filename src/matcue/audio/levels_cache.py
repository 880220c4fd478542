"""A content-addressed disk cache of the loudness work done on clips.

Bringing a spoken line to its loudness under a true-peak ceiling takes a few FFTs and a search
(:func:`matcue.audio.limiter.fit_line`), a few milliseconds a line: seconds for a session. The
results depend only on the clip's samples and a few numbers, so they are kept on disk next to
the speech cache (``<root>/levels/ab/abcdef….lvl``) and an export of a session whose lines were
levelled before does almost none of that work again. Two kinds of entries:

- a clip's *measurements* at a rate: its energy profile (:class:`~matcue.audio.loudness.Profile`)
  and, for a tone, its true peak;
- a clip's *levelled samples*: the clip at the output rate, fitted to a loudness under a ceiling
  (a spoken line) or to a true peak (a tone), as float32.

A key is a sha256 over everything the result depends on: the clip's own digest (its rate and
float32 samples), the output rate, the targets, and ``LEVELS_VERSION``. An entry is a header line
(JSON: its fields, the array's dtype and length and a CRC-32 of its bytes) followed by the raw
array; an entry that is unreadable, truncated or fails its checksum counts as missing, and the
caller computes it again and overwrites it. The stored numbers are exactly the computed ones
(float bits, and floats in JSON through ``repr``), so a cached render is the same PCM as an
uncached one. Entries are written to a temporary file and renamed into place; writing is best
effort: a cache that cannot be written only makes the next export slower.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import uuid
import weakref
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from matcue.audio.clip import Clip
from matcue.audio.leftovers import TMP, sweep_folder

LEVELS_VERSION = 2
"""Bump when the loudness work changes what it computes (``loudness``'s algorithm or
constants, the renderer's resampling)."""

_MAGIC = b"matcue-levels 1\n"
_DTYPES: dict[str, np.dtype[Any]] = {"<f4": np.dtype("<f4"), "<f8": np.dtype("<f8")}


_DIGESTS: weakref.WeakKeyDictionary[Clip, str] = weakref.WeakKeyDictionary()


def clip_digest(clip: Clip) -> str:
    """The hex sha256 of a clip's rate and float32 samples: what its levels depend on.

    Remembered for clips whose samples are read-only (the speech cache's and its tones'),
    which cannot change under it."""
    known = _DIGESTS.get(clip)
    if known is not None:
        return known
    samples = np.ascontiguousarray(clip.samples, dtype=np.float32).reshape(-1)
    digest = hashlib.sha256(f"{int(clip.rate)}:{samples.size}:".encode())
    digest.update(samples.tobytes())
    hexdigest = digest.hexdigest()
    if not clip.samples.flags.writeable:
        _DIGESTS[clip] = hexdigest
    return hexdigest


def levels_key(kind: str, *fields: str | int | float) -> str:
    """The hex sha256 naming one entry: its kind, the fields it depends on, the version."""
    payload = json.dumps([kind, *fields, LEVELS_VERSION], separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _whole(value: object) -> bool:
    """Whether ``value`` is an int as JSON gives one (not a bool, float or text)."""
    return isinstance(value, int) and not isinstance(value, bool)


class LevelsCache:
    """Loudness measurements and levelled samples of clips, under ``<root>/levels/``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.directory = self.root / "levels"
        self.hits = 0  # entries read back (for tests and the benchmark)
        self.misses = 0  # entries missing or corrupt
        self._count = threading.Lock()  # the renderer levels clips in several threads
        self._swept = False  # stale temporary files removed (at the first write)

    def path_for(self, key: str) -> Path:
        """Where the entry for ``key`` lives on disk (whether or not it exists yet)."""
        return self.directory / key[:2] / f"{key}.lvl"

    def get(self, key: str) -> tuple[dict[str, Any], npt.NDArray[Any]] | None:
        """The entry's fields and (writable) array, or None if it is missing or corrupt."""
        found = self._read(self.path_for(key))
        with self._count:
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
        return found

    def put(self, key: str, fields: dict[str, Any], array: npt.NDArray[Any]) -> None:
        """Store an entry atomically; a failure to write is ignored (the cache only speeds up)."""
        data = np.ascontiguousarray(array)
        dtype = data.dtype.newbyteorder("<").str
        if dtype not in _DTYPES:
            raise ValueError(f"levels cache stores float32 or float64 arrays, not {data.dtype}")
        data = np.ascontiguousarray(data.astype(_DTYPES[dtype], copy=False).reshape(-1))
        body = data.data.cast("B")  # the array's bytes, not a copy of them
        header = {
            "fields": fields,
            "dtype": dtype,
            "count": int(data.size),
            "crc32": zlib.crc32(body),
        }
        head = _MAGIC + json.dumps(header, separators=(",", ":")).encode("utf-8") + b"\n"
        path = self.path_for(key)
        if not self._swept:  # once: what killed processes left behind
            self._swept = True
            sweep_folder(self.directory, TMP, "*/.*.tmp")
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            try:
                f = open(tmp, "wb")  # noqa: SIM115 (its folder is made only when missing)
            except FileNotFoundError:
                path.parent.mkdir(parents=True, exist_ok=True)
                f = open(tmp, "wb")  # noqa: SIM115
            with f:
                f.write(head)
                f.write(body)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)

    @staticmethod
    def _read(path: Path) -> tuple[dict[str, Any], npt.NDArray[Any]] | None:
        try:
            with open(path, "rb") as f:
                if f.readline() != _MAGIC:
                    return None
                header = json.loads(f.readline(1 << 16))
                if not isinstance(header, dict):
                    return None
                dtype = _DTYPES[header["dtype"]]
                count, crc = header["count"], header["crc32"]
                if not (_whole(count) and _whole(crc)):
                    return None  # 1e12, 1e400, "12", true: not what put wrote
                left = os.fstat(f.fileno()).st_size - f.tell()
                if not 0 <= count * dtype.itemsize == left:
                    return None  # truncated, something after the array, or an absurd count
                body = bytearray(left)
                if f.readinto(body) != len(body) or f.read(1):
                    return None
            if zlib.crc32(body) != crc:
                return None
            fields = header["fields"]
            if not isinstance(fields, dict):
                return None
        except (
            OSError,
            ValueError,
            KeyError,
            TypeError,
            UnicodeDecodeError,
            OverflowError,
            MemoryError,
            RecursionError,
        ):
            return None
        array: npt.NDArray[Any] = np.frombuffer(body, dtype=dtype)
        return fields, array
