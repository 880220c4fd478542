"""What every engine does around its synthesis: a line from the speech cache, else made once,
checked for a plausible length and cached. An engine says how a line is keyed (:meth:`key`),
how long it may plausibly be (:meth:`expected`) and how it is made (:meth:`make`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from matcue.audio.clip import Clip
from matcue.errors import InputError
from matcue.voice.base import VoiceSettings
from matcue.voice.cache import SpeechCache


class CachedVoice:
    """The ``Voice`` protocol's cache side, for an engine to subclass."""

    settings: VoiceSettings
    voice_id: str
    cache: SpeechCache
    renders: int  # lines this voice sent to its engine (cache misses)

    def key(self, text: str) -> str:
        """The cache key of ``text`` in this voice."""
        raise NotImplementedError

    def expected(self, line: str) -> tuple[float, float]:
        """The shortest and longest plausible length of ``line``, in seconds: a cache entry
        outside them is made again."""
        raise NotImplementedError

    def make(self, line: str) -> Clip:
        """``line`` spoken by the engine, trimmed of its silent edges (not cached yet)."""
        raise NotImplementedError

    def cache_path(self, text: str) -> Path:
        """Where ``text``'s clip is (or will be) cached on disk."""
        return self.cache.path_for(self.key(text))

    def cached(self, text: str) -> Clip | None:
        """``text``'s clip if the cache holds it (nothing is spoken), else None."""
        line = text.strip()
        low, high = self.expected(line)
        return self.cache.get(self.key(line), min_duration=low, max_duration=high)

    def clip(self, text: str) -> Clip:
        """The spoken ``text``, trimmed of leading/trailing silence; read-only, cached."""
        line = text.strip()
        if not line:
            raise InputError("a spoken line is empty; give it some words")
        found = self.cached(line)
        if found is not None:
            return found
        made = self.make(line)
        self.renders += 1
        return self.cache.put(self.key(line), made)

    def clips(self, texts: Iterable[str]) -> dict[str, Clip]:
        """Each distinct text's clip; only lines missing from the cache are rendered."""
        out: dict[str, Clip] = {}
        for text in texts:
            if text not in out:
                out[text] = self.clip(text)
        return out
