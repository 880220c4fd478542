"""The renderer: a ``Timeline`` plus its clips -> mono (or stereo) 16-bit PCM.

One pass, like pretty_midi's synthesis: start from silence, add every cue's clip at its
sample offset, fade its edges. Levels are fixed per clip (every speech clip is peak-normalised
to the same level, every tone sits a fixed amount under it), so the mix cannot clip *by
construction*: the compiler never overlaps two spoken lines, and :func:`render_chunks` works
out the worst case of whatever does overlap before it writes a sample, lowering the whole
mix once if (and only if) that worst case would pass full scale. The final ``np.clip`` is a
safety net that never changes a sample.

With a loudness target (``Levels.loudness``) every spoken line is instead brought to that
loudness under a true-peak ceiling (:mod:`matcue.audio.levelling`), and the same worst-case
sum keeps the mix's true peak under ``Levels.true_peak``.

Rendering is done in blocks, so a long session never sits in memory as floats: only the
clips that sound within the current block are prepared, and clips used more than once are
prepared once. The next few clips are levelled in worker threads ahead of the mix.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from matcue.audio import loudness as _loudness
from matcue.audio import music as _music
from matcue.audio.clip import Clip, Samples, stored_samples
from matcue.audio.levelling import fit_lufs_for, levelled, measurement, normalised, resampled_length
from matcue.audio.levels import DEFAULT_LEVELS, Levels, MixLevels
from matcue.audio.levels_cache import LevelsCache, clip_digest
from matcue.audio.mix import (
    CENTRE,
    SIDES,
    Key,
    Pcm,
    Piece,
    Placement,
    clip_for,
    fade_ramp,
    headroom_gain,
    key_of,
    merged,
    spread,
    to_pcm,
)
from matcue.audio.music import Music, duck_envelope
from matcue.audio.units import db_to_gain, seconds_to_frames
from matcue.timeline.model import SideName, Timeline

DEFAULT_CHUNK_FRAMES = 65536

FIT_WORKERS = 2  # threads levelling clips ahead of the mix
FIT_AHEAD = 6  # clips levelled ahead of the mix, at most
KEEP_BYTES = 32 << 20  # clips kept in memory between their uses, at most (roughly)


class _Renderer:
    def __init__(
        self,
        timeline: Timeline,
        speech: Mapping[str, Clip],
        sounds: Mapping[str, Clip],
        rate: int,
        levels: Levels,
        levels_cache: LevelsCache | None = None,
        stereo: bool = False,
        music: Music | None = None,
        mix: MixLevels | None = None,
    ) -> None:
        self.rate = rate
        self.levels = levels
        self.levels_cache = levels_cache
        self.stereo = stereo
        self.music = music
        self.total = seconds_to_frames(timeline.duration, rate)
        self.fade_frames = seconds_to_frames(levels.fade, rate)
        self.ramp = fade_ramp(self.fade_frames)
        self.clips: dict[Key, Clip] = {}
        silent: dict[Key, bool] = {}
        uses: dict[Key, int] = {}
        uses_at: dict[Key, deque[int]] = {}  # the placements that use each clip, in order
        placements: list[Placement] = []
        peaks = {kind: levels.peak(kind) for kind in ("speech", "tone")}
        for cue in timeline.cues:
            key = key_of(cue)
            if key not in self.clips:
                self.clips[key] = clip = clip_for(cue, speech, sounds)
                silent[key] = clip.frames == 0 or not np.any(stored_samples(clip))
            clip = self.clips[key]
            start = seconds_to_frames(cue.t, rate)
            length = min(
                resampled_length(clip.frames, clip.rate, rate),
                seconds_to_frames(cue.dur, rate),
                self.total - start,
            )
            if length <= 0:
                continue
            peak = 0.0 if silent[key] else peaks[cue.kind]
            uses_at.setdefault(key, deque()).append(len(placements))
            placements.append(Placement(key, start, length, peak, cue.side))
            uses[key] = uses.get(key, 0) + 1
        self.placements = placements
        self.speech = sorted((p.start, p.end) for p in placements if p.key[0] == "speech")
        self.speech_starts = [start for start, _ in self.speech]
        self.next_line = 0  # the first line the music may still duck under (see _add_music)
        # the music, ducked under the voice, adds at most its ducked peak to any moment
        extra = music.peak * db_to_gain(_music.DUCK_DB) if music is not None else 0.0
        ceiling = max(levels.ceiling - extra, 0.5 * levels.ceiling)
        self.gain = headroom_gain(placements, ceiling) if mix is None else mix.gain
        self.uses_left = uses
        self.cache: dict[Key, Samples] = {}
        self.cached_bytes = 0
        self.uses_at = uses_at
        self.first_uses = list(uses)  # every clip, in the order the mix first needs it
        self.fitting: dict[Key, Future[Samples]] = {}  # levelling ahead, by clip
        self.fitted: set[Key] = set()  # clips levelled or being levelled
        self.next_fit = 0  # index in first_uses of the next clip to level ahead
        self.pool: ThreadPoolExecutor | None = None
        self.line_lufs = levels.loudness
        self.fit_lufs = self.line_lufs  # what the lines are levelled to, before the mix
        self.line_gain = 1.0  # from that to line_lufs, in the mix
        if levels.loudness is not None:
            line = self._line_lufs(levels.loudness) if mix is None else mix.line_lufs
            self.line_lufs = line = levels.loudness if line is None else line
            self.fit_lufs = max(fit_lufs_for(levels), line)
            self.line_gain = db_to_gain(line - self.fit_lufs)

    def _digest(self, key: Key) -> str:
        return clip_digest(self.clips[key])

    def _measured(self, key: Key) -> tuple[_loudness.Profile, float]:
        """The clip's energy profile at the output rate and, for a tone, its true peak."""
        return measurement(self.clips[key], key[0], self.rate, self.levels_cache)

    def _line_lufs(self, target: float) -> float:
        """The loudness for every spoken line that puts the whole session on ``target``.

        Silence between lines is gated out, but blocks that a line only partly fills are not,
        so a session measures a little under its lines. The session's loudness is worked out
        from each clip's energy profile and where the clip sounds (no mix is rendered), and
        the lines are aimed over the target by the difference (twice, to settle). The lines'
        and the tones' block energies are added up once: moving the lines' loudness scales
        the lines' part.
        """
        speech: list[tuple[_loudness.Profile, float, int, int]] = []
        tones: list[tuple[_loudness.Profile, float, int, int]] = []
        measured = {key: self._measured(key) for key in self.uses_left}
        for p in self.placements:
            prof, top = measured[p.key]
            if p.key[0] == "tone":
                gain = self.levels.tone_peak / top if top > 0 else 0.0
                tones.append((prof, gain * self.gain, p.start, p.length))
            elif math.isfinite(prof.lufs):  # at 0 dB: the line's gain is then 10^(line/20)
                speech.append((prof, db_to_gain(-prof.lufs) * self.gain, p.start, p.length))
        speech_energy = _loudness.placed_energy(speech, self.total, self.rate)
        tone_energy = _loudness.placed_energy(tones, self.total, self.rate)
        line = target
        for _ in range(2):
            energy = speech_energy * db_to_gain(line) ** 2 + tone_energy
            loudness = _loudness.blocks_loudness(energy, self.total, self.rate)
            if not math.isfinite(loudness):
                return target
            line += target - loudness
        return line

    def _levelled(self, key: Key, line_lufs: float) -> Samples:
        return levelled(
            self.clips[key], key[0], self.rate, self.levels, line_lufs, self.levels_cache
        )

    def _base(self, key: Key) -> Samples:
        """The clip at the output rate and its mix level, kept only until its last use (and
        only while the clips kept fit in ``KEEP_BYTES``)."""
        self.uses_left[key] -= 1
        self.uses_at[key].popleft()
        base = self.cache.pop(key, None)
        if base is not None:
            self.cached_bytes -= base.nbytes
        else:
            peak = self.levels.peak(key[0]) * self.gain
            voice = self.levels.voice if key[0] == "speech" else 1.0  # after the levelling
            if self.fit_lufs is None:
                base = normalised(self.clips[key], self.rate, peak * voice)
            else:
                fitting = self.fitting.pop(key, None)
                if fitting is not None:
                    base = fitting.result()
                else:
                    self.fitted.add(key)
                    base = self._levelled(key, self.fit_lufs)
                self._fit_ahead()
                turn = self.line_gain if key[0] == "speech" else 1.0
                base *= np.float32(self.gain * turn * voice)
        if self.uses_left[key] > 0:
            self.cache[key] = base
            self.cached_bytes += base.nbytes
            self._keep_within_budget()
        return base

    def _keep_within_budget(self) -> None:
        """Past ``KEEP_BYTES`` of clips kept for later uses, let go of those needed last
        (they are read back from the levels cache, or normalised again, when their turn
        comes: the same samples). Without a levels cache, levelled clips are all kept."""
        if self.line_lufs is not None and self.levels_cache is None:
            return
        while self.cached_bytes > KEEP_BYTES and self.cache:
            last = max(self.cache, key=lambda k: self.uses_at[k][0])
            self.cached_bytes -= self.cache.pop(last).nbytes

    def _pieces(self, p: Placement) -> list[Piece]:
        """One cue's samples as ``(start, end, samples, side)`` pieces of the output: the clip
        truncated to its length and faded at both edges. The middle piece is a view of the
        clip (no copy); only the faded edges are new arrays."""
        base = self._base(p.key)
        n = min(self.fade_frames, p.length // 2)
        if n == 0:
            return [(p.start, p.end, base[: p.length], p.side)]
        ramp = self.ramp if n == self.fade_frames else fade_ramp(n)
        head = base[:n] * ramp
        tail = base[p.length - n : p.length] * ramp[::-1]
        pieces = [(p.start, p.start + n, head, p.side)]
        if p.length > 2 * n:
            pieces.append((p.start + n, p.end - n, base[n : p.length - n], p.side))
        pieces.append((p.end - n, p.end, tail, p.side))
        return pieces

    def _fit_ahead(self) -> None:
        """Level the next clips the mix will need in worker threads (numpy's FFTs and array
        operations let go of the GIL), so that with two cores the levelling of one clip
        overlaps another's, and the mixing."""
        fit = self.fit_lufs
        if self.pool is None or fit is None:
            return
        while len(self.fitting) < FIT_AHEAD and self.next_fit < len(self.first_uses):
            key = self.first_uses[self.next_fit]
            self.next_fit += 1
            if key not in self.fitted:
                self.fitted.add(key)
                self.fitting[key] = self.pool.submit(self._levelled, key, fit)

    def chunks(
        self, chunk_frames: int, start: int = 0, workers: int = FIT_WORKERS
    ) -> Iterator[Pcm]:
        start = min(max(0, start), self.total)
        if start > 0:
            self._skip_to(start)
        if workers > 0 and self.line_lufs is not None and self.first_uses:
            self.pool = ThreadPoolExecutor(workers, thread_name_prefix="matcue-levels")
            self._fit_ahead()
        try:
            yield from self._mixed(chunk_frames, start)
        finally:
            # Not waiting: this may run in any thread; a clip being levelled finishes alone.
            if self.pool is not None:
                self.pool.shutdown(wait=False, cancel_futures=True)

    def _skip_to(self, start: int) -> None:
        """Forget the cues over before frame ``start`` (never heard from there on): only
        their uses are counted off, and only clips still to be heard are levelled ahead."""
        for p in self.placements:
            if p.end <= start:
                self.uses_left[p.key] -= 1
                self.uses_at[p.key].popleft()
        self.placements = [p for p in self.placements if p.end > start]
        self.first_uses = list(dict.fromkeys(p.key for p in self.placements))

    def _mixed(self, chunk_frames: int, start: int = 0) -> Iterator[Pcm]:
        """The mix, block by block from frame ``start``. Every clip is mono: in stereo, the
        cues of each side are mixed into a mono buffer of their own and each buffer is spread
        over the two channels by its ``PAN_GAINS`` once per block; the music goes on top, in
        the middle. In mono without music, only the stretches of a block where a cue sounds
        are mixed at all (about half a session is silence between cues)."""
        pending = iter(self.placements)
        upcoming = next(pending, None)
        active: list[Piece] = []
        size = min(chunk_frames, self.total - start)
        # buffers reused from block to block: no page faults from fresh arrays
        sides = SIDES if self.stereo else (None,)
        buffers = {side: np.empty(size, dtype=np.float32) for side in sides}
        stereo = np.empty((size, 2), dtype=np.float32) if self.stereo else None
        whole_blocks = stereo is not None or self.music is not None
        for a in range(start, self.total, chunk_frames):
            b = min(a + chunk_frames, self.total)
            while upcoming is not None and upcoming.start < b:
                active += self._pieces(upcoming)
                upcoming = next(pending, None)
            here = [
                (max(a, p_start) - a, min(b, p_end) - a, samples[max(a, p_start) - p_start :], side)
                for p_start, p_end, samples, side in active
                if max(a, p_start) < min(b, p_end)
            ]
            spans = [(0, b - a)] if whole_blocks else merged([(lo, hi) for lo, hi, _, _ in here])
            sounding: dict[SideName | None, Samples] = {None: buffers[None][: b - a]}
            for lo, hi in spans:
                sounding[None][lo:hi].fill(0.0)
            for lo, hi, samples, side in here:
                where = side if stereo is not None else None
                part = sounding.get(where)
                if part is None:
                    part = sounding[where] = buffers[where][: b - a]
                    part.fill(0.0)
                part[lo:hi] += samples[: hi - lo]
            active = [piece for piece in active if piece[1] > b]
            mix = sounding[None] if stereo is None else spread(stereo[: b - a], sounding)
            if self.music is not None:
                self._add_music(mix, a, b)
            yield to_pcm(mix, spans)

    def _add_music(self, mix: Samples, a: int, b: int) -> None:
        """The music for frames ``[a, b)``, ducked under the lines near them, onto ``mix``."""
        assert self.music is not None
        # the lines are in order of their starts: skip those over before this block for good
        # (the ramp after them included), and stop at the first that starts after it
        ramp = max(1, math.ceil(_music.DUCK_RAMP * self.rate))
        while self.next_line < len(self.speech) and self.speech[self.next_line][1] + ramp <= a:
            self.next_line += 1
        last = bisect.bisect_left(self.speech_starts, b + ramp, lo=self.next_line)
        near = self.speech[self.next_line : last]
        bed = self.music.block(a, b - a) * duck_envelope(a, b - a, near, self.rate)
        bed *= np.float32(self.gain)
        if mix.ndim == 2:
            bed *= np.float32(CENTRE)
            mix += bed[:, None]
        else:
            mix += bed


def render_chunks(
    timeline: Timeline,
    speech: Mapping[str, Clip],
    sounds: Mapping[str, Clip],
    rate: int,
    chunk_frames: int = DEFAULT_CHUNK_FRAMES,
    *,
    levels: Levels = DEFAULT_LEVELS,
    levels_cache: LevelsCache | None = None,
    start: int = 0,
    workers: int = FIT_WORKERS,
    stereo: bool = False,
    music: Music | None = None,
    mix: MixLevels | None = None,
) -> Iterator[Pcm]:
    """The session as consecutive mono int16 blocks of ``chunk_frames`` (the last may be shorter).

    ``stereo`` gives ``(frames, 2)`` blocks in which side cues (``Cue.side``) come from that
    side (``PAN_GAINS``); ``music`` (:func:`matcue.audio.music.load_music`) is looped under
    the session and ducked while the voice speaks.

    ``start``: begin at this frame instead of 0 (the blocks are then exactly the whole render's
    frames from ``start`` on, stereo and music included: the levels are worked out over the
    whole session either way, or given as ``mix``, and the music goes on from ``start``).

    ``speech`` maps each spoken line's text to its clip, ``sounds`` each tone's name to its
    clip; clips at another rate are resampled to ``rate``. The blocks add up to exactly
    ``seconds_to_frames(timeline.duration, rate)`` frames. A missing clip raises ``ValueError``
    here, before the first block. With a loudness target, ``levels_cache`` keeps the loudness
    work on each clip for the next render (the PCM is the same with or without it).
    ``workers``: threads levelling clips ahead of the mix; 0 levels each clip on the calling
    thread when the mix needs it (the same PCM, one core: for renders while a session plays).
    """
    if rate <= 0 or chunk_frames <= 0:
        raise ValueError(f"sample rate and chunk size must be positive: {rate!r}, {chunk_frames!r}")
    renderer = _Renderer(timeline, speech, sounds, rate, levels, levels_cache, stereo, music, mix)
    return renderer.chunks(chunk_frames, start, workers)


def mix_levels(
    timeline: Timeline,
    speech: Mapping[str, Clip],
    sounds: Mapping[str, Clip],
    rate: int,
    *,
    levels: Levels = DEFAULT_LEVELS,
    levels_cache: LevelsCache | None = None,
    music: Music | None = None,
) -> MixLevels:
    """The :class:`MixLevels` a render of ``timeline`` works out (and uses) on its own."""
    mixer = _Renderer(timeline, speech, sounds, rate, levels, levels_cache, False, music)
    return MixLevels(mixer.gain, mixer.line_lufs)


def render(
    timeline: Timeline,
    speech: Mapping[str, Clip],
    sounds: Mapping[str, Clip],
    rate: int,
    *,
    levels: Levels = DEFAULT_LEVELS,
    levels_cache: LevelsCache | None = None,
    start: int = 0,
    workers: int = FIT_WORKERS,
    stereo: bool = False,
    music: Music | None = None,
    mix: MixLevels | None = None,
) -> Pcm:
    """The whole session as one int16 buffer (mono, or ``(frames, 2)`` with ``stereo``):
    the concatenation of :func:`render_chunks` (from frame ``start`` on, if given)."""
    chunks = render_chunks(
        timeline,
        speech,
        sounds,
        rate,
        levels=levels,
        levels_cache=levels_cache,
        start=start,
        workers=workers,
        stereo=stereo,
        music=music,
        mix=mix,
    )
    blocks = list(chunks)
    if not blocks:
        return np.zeros((0, 2) if stereo else 0, dtype=np.int16)
    pcm: Pcm = np.concatenate(blocks)
    return pcm
