"""Streams: what the session loop hands the device, and where in the session each one is.

A :class:`Track` is a rendered timeline from a frame on. A :class:`Stream` is one ``play`` on
the device: ``lead`` frames of prefix (a spoken answer, or silence to line a splice up), then
the track from ``origin``; its position follows from the clock alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matcue.playback.device import SILENCE_AFTER, SILENCE_BEFORE, Device, checked
from matcue.timeline.model import Timeline
from matcue.timeline.phrases import Phrases

Pcm = npt.NDArray[np.int16]


@dataclass(frozen=True)
class Track:
    """A rendered timeline from frame ``base`` on: ``pcm[i]`` is frame ``base + i``.

    ``more``: the session goes on past ``end`` in a part still being made (a session that
    started before all of it was rendered: the loop splices the next part in at ``end``, or
    waits for it there); ``lo``: the first frame that can be rendered again (0 unless lines
    before it are still being made)."""

    timeline: Timeline
    pcm: Pcm
    base: int = 0
    more: bool = False
    lo: int = 0

    @property
    def end(self) -> int:
        return self.base + int(self.pcm.shape[0])


class Stream:
    """One ``play`` on the device: ``lead`` frames of prefix, then the track from ``origin``.

    ``shared``: the buffer is the track's own memory (no prefix), so frames silenced to stop
    it are put back once the device has let go of it.
    """

    def __init__(
        self, device: Device, buf: Pcm, rate: int, origin: int, lead: int, now: float, shared: bool
    ) -> None:
        self.buf = checked(buf, rate)
        self.rate = rate
        self.origin = origin
        self.lead = lead
        self.shared = shared
        self.saved: list[tuple[int, Pcm]] = []
        self.stopped = False
        self.handle = device.play(self.buf, rate)
        self.t0 = now

    def frame(self, now: float) -> int:
        """The timeline frame sounding at ``now`` (``origin`` during the prefix)."""
        return self.origin + max(0, math.floor((now - self.t0) * self.rate) - self.lead)

    def index(self, now: float) -> int:
        return math.floor((now - self.t0) * self.rate)

    @property
    def end(self) -> int:
        return self.origin + int(self.buf.shape[0]) - self.lead

    def _zero(self, lo: int, hi: int) -> None:
        lo, hi = max(0, lo), min(int(self.buf.shape[0]), hi)
        if lo >= hi:
            return
        if self.shared:
            self.saved.append((lo, self.buf[lo:hi].copy()))
        self.buf[lo:hi] = 0

    def silence_from(self, i: int) -> None:
        self._zero(i, int(self.buf.shape[0]))

    def stop_now(self, now: float) -> None:
        """Silence what the device has not played yet, then stop."""
        i = self.index(now)
        lo = i - math.ceil(SILENCE_BEFORE * self.rate)
        self._zero(lo, max(lo, i + math.ceil(SILENCE_AFTER * self.rate)))
        self.handle.stop()
        self.stopped = True

    def restore(self) -> None:
        """Put back the silenced frames (only once the device no longer reads them)."""
        for lo, frames in reversed(self.saved):
            self.buf[lo : lo + frames.shape[0]] = frames
        self.saved.clear()


def silent(frames: int, like: Pcm) -> Pcm:
    """``frames`` frames of silence laid out like ``like`` (mono, or ``(frames, 2)``)."""
    return np.zeros((frames, *like.shape[1:]), dtype=np.int16)


def like(pcm: Pcm, track: Pcm) -> Pcm:
    """``pcm`` with the channels of ``track``: a mono line is put in both ears of a stereo
    session (a stereo one mixed down for a mono session). Positions are frames either way."""
    if pcm.shape[1:] == track.shape[1:]:
        return pcm
    if track.ndim == 2 and pcm.ndim == 1:
        return np.repeat(pcm[:, None], track.shape[1], axis=1)
    if track.ndim == 1 and pcm.ndim == 2:
        out: Pcm = np.rint(pcm.mean(axis=1)).astype(np.int16)
        return out
    raise ValueError(f"cannot play {pcm.shape} samples in a {track.shape} session")


@dataclass(frozen=True)
class Hooks:
    """What the loop needs from the stages before it, passed in (and swapped in tests)."""

    compile_at: Callable[[float], Timeline]  # the session at another pace (keys line on)
    render_from: Callable[[Timeline, int], Pcm]  # a timeline rendered from a frame on
    say: Callable[[tuple[str, ...], bool], Pcm]  # lines (after a tick if True) as PCM
    words: Phrases
    grow: Callable[[], Track | None] | None = None  # the next part of the session, once made
