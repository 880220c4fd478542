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
from pathlib import Path

from matcue.audio.clip import Clip, readonly_clip
from matcue.audio.files import read_mono16, write_mono16
from matcue.errors import RuntimeFailure

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
        clip = read_mono16(self.path_for(key))
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

    def _write(self, path: Path, clip: Clip) -> None:
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_mono16(tmp, clip)
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
