"""The renderer: a ``Timeline`` plus its clips -> mono (or stereo) 16-bit PCM.

One pass, like pretty_midi's synthesis: start from silence, add every cue's clip at its
sample offset, fade its edges. Levels are fixed per clip (every speech clip is peak-normalised
to the same level, every tone sits a fixed amount under it), so the mix cannot clip *by
construction*: the compiler never overlaps two spoken lines, and :func:`render_chunks` works
out the worst case of whatever does overlap before it writes a sample, lowering the whole
mix once if (and only if) that worst case would pass full scale. The final ``np.clip`` is a
safety net that never changes a sample.

With a loudness target (``Levels.loudness``, see :mod:`matcue.audio.loudness`) every spoken
line is instead brought to that loudness and limited to a true-peak ceiling, and the tones'
*true* peaks sit ``tone_db`` under the voice's; the same worst-case sum then keeps the mix's
true peak under ``Levels.true_peak``.

Rendering is done in blocks, so a long session never sits in memory as floats: only the
clips that sound within the current block are prepared, and clips used more than once are
prepared once.

The loudness work on a clip (its energy profile, and the line brought to its loudness under
the ceiling) depends only on the clip and a few numbers, so with a
:class:`~matcue.audio.levels_cache.LevelsCache` it is done once and read back by every later
render, bit for bit. Every line is levelled to one loudness a little over the target
(``FIT_ABOVE``), whatever the session, and turned down to the session's own line loudness in
the mix: so the levelling of a line does not wait for the whole session to be known, and is
shared by every session and pace that says the line. What must still be done is spread over
threads: spoken lines are measured and levelled while the speech engine is still making the
next ones (:func:`measuring_ahead`), and the next few clips are levelled in worker threads
ahead of the mix.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import math
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matcue.audio import loudness as _loudness
from matcue.audio import music as _music
from matcue.audio.clip import Clip, stored_samples
from matcue.audio.levels_cache import LevelsCache, clip_digest, levels_key
from matcue.audio.music import Music, duck_envelope
from matcue.audio.units import db_to_gain, seconds_to_frames
from matcue.timeline.model import Cue, CueKind, SideName, Timeline

FULL_SCALE = 32767
"""The int16 value that stands for an amplitude of 1.0."""

DEFAULT_CHUNK_FRAMES = 65536

MIN_LUFS, MAX_LUFS = -30.0, -12.0
"""Loudness targets allowed: louder than -12 LUFS the limiter would crush the voice."""
REFERENCE_LUFS = -16.0
"""At this target and above, tones peak ``tone_db`` under the limiter's ceiling; below it,
the tones come down with the voice."""

Samples = npt.NDArray[np.float32]
Pcm = npt.NDArray[np.int16]


@dataclass(frozen=True)
class Levels:
    """Every level of the mix, in one place.

    ``speech_db``: the peak of every spoken line, in dBFS.
    ``tone_db``: the peak of every tone, in dB relative to ``speech_db`` (under the voice).
    ``fade``: seconds of linear fade-in and fade-out at the edges of every clip.
    ``loudness``: a target in LUFS, or None. When set, every spoken line is brought to this
    integrated loudness instead of to ``speech_db`` and limited so that the mix's true peak
    stays at or under ``true_peak`` dBTP; tones are set by their true peak, ``tone_db`` under
    the voice's nominal peak (which follows the target down below ``REFERENCE_LUFS``).
    """

    speech_db: float = -3.0
    tone_db: float = -12.0
    fade: float = 0.005
    loudness: float | None = None
    true_peak: float = -1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.speech_db) and self.speech_db <= 0):
            raise ValueError(f"speech level must be at most 0 dBFS, got {self.speech_db!r}")
        if not (math.isfinite(self.tone_db) and self.tone_db <= 0):
            raise ValueError(f"tone level must be at most 0 dB, got {self.tone_db!r}")
        if not (math.isfinite(self.fade) and 0 <= self.fade <= 0.1):
            raise ValueError(f"fade must be between 0 and 0.1 seconds, got {self.fade!r}")
        if self.loudness is not None and not (
            math.isfinite(self.loudness) and MIN_LUFS <= self.loudness <= MAX_LUFS
        ):
            raise ValueError(
                f"loudness must be between {MIN_LUFS:g} and {MAX_LUFS:g} LUFS, "
                f"got {self.loudness!r}"
            )
        if not (math.isfinite(self.true_peak) and -20 <= self.true_peak <= 0):
            raise ValueError(f"true peak must be between -20 and 0 dBTP, got {self.true_peak!r}")

    @property
    def speech_peak(self) -> float:
        """Peak amplitude of a spoken line (1.0 = full scale); with a loudness target, the
        true-peak ceiling of the limiter: with one tone on top the mix just meets
        ``true_peak``."""
        if self.loudness is None:
            return db_to_gain(self.speech_db)
        return db_to_gain(self.true_peak) / (1.0 + db_to_gain(self.tone_db))

    @property
    def tone_peak(self) -> float:
        """Peak amplitude of a tone (1.0 = full scale); a true peak with a loudness target."""
        if self.loudness is None:
            return db_to_gain(self.speech_db + self.tone_db)
        # the voice's nominal peak follows a quieter target down, keeping the balance
        nominal = self.speech_peak * db_to_gain(min(0.0, self.loudness - REFERENCE_LUFS))
        return nominal * db_to_gain(self.tone_db)

    @property
    def ceiling(self) -> float:
        """What the loudest moment of the mix may reach (1.0 = full scale)."""
        return 1.0 if self.loudness is None else db_to_gain(self.true_peak)

    def peak(self, kind: CueKind) -> float:
        return self.speech_peak if kind == "speech" else self.tone_peak


DEFAULT_LEVELS = Levels()

SESSION_LEVELS = Levels(loudness=-16.0, true_peak=-1.5)
"""What play and export use: spoken-word loudness (-16 LUFS) with a true-peak ceiling half a
decibel under the podcast norm's -1 dBTP, which lossy encoders' overshoot needs."""

_Key = tuple[CueKind, str]

FIT_ABOVE = 1.5
"""dB over the session's target at which every spoken line is levelled (under the ceiling);
the mix then turns each line down to the loudness that puts the session on its target. Lines
sit 0.4-1.2 dB over the target in the built-in sessions (gating blocks a line only partly fills
count as quieter); a session needing more levels its lines to its own loudness instead."""

FIT_WORKERS = 2  # threads levelling clips ahead of the mix
MEASURE_WORKERS = 2  # threads measuring and levelling lines while the speech is made
MEASURE_WHILE_SPEAKING = 1  # of them at work while the speech is still being made
FIT_AHEAD = 6  # clips levelled ahead of the mix, at most
KEEP_BYTES = 32 << 20  # clips kept in memory between their uses, at most (roughly)

PAN_FAR = 0.25
"""In stereo, a side cue's gain in the other ear; the near ear gets sqrt(1 - PAN_FAR²), so
every cue keeps the power (and the session the loudness) it has in mono."""
_CENTRE = math.sqrt(0.5)
_NEAR = math.sqrt(1.0 - PAN_FAR**2)
PAN_GAINS: dict[SideName | None, tuple[float, float]] = {
    None: (_CENTRE, _CENTRE),
    "left": (_NEAR, PAN_FAR),
    "right": (PAN_FAR, _NEAR),
}
"""(left, right) gains of a cue in a stereo render, by its side."""

_SIDES: tuple[SideName | None, ...] = (None, "left", "right")
_Piece = tuple[int, int, Samples, SideName | None]  # (start, end, samples, side) in the output


@dataclass(frozen=True)
class _Placement:
    """Where one cue's clip goes in the output: frames ``[start, start + length)``."""

    key: _Key
    start: int
    length: int
    peak: float  # the clip's peak in the mix before the headroom gain (0 for a silent clip)
    side: SideName | None = None  # where a stereo render puts it

    @property
    def end(self) -> int:
        return self.start + self.length


def resampled_length(frames: int, src_rate: int, rate: int) -> int:
    """How many frames a clip of ``frames`` at ``src_rate`` has once resampled to ``rate``."""
    if src_rate == rate:
        return frames
    return seconds_to_frames(frames / src_rate, rate)


def _resample(samples: Samples, src_rate: int, rate: int) -> Samples:
    """Linear interpolation; never exceeds the input's peak (each output is a convex blend)."""
    n_out = resampled_length(samples.shape[0], src_rate, rate)
    if src_rate == rate or n_out == 0:
        return np.array(samples[:n_out], dtype=np.float32)
    positions = np.arange(n_out, dtype=np.float64) * (src_rate / rate)
    grid = np.arange(samples.shape[0], dtype=np.float64)
    return np.interp(positions, grid, samples).astype(np.float32)


def _normalised(clip: Clip, rate: int, peak: float) -> Samples:
    """The clip at ``rate`` Hz with its peak at exactly ``peak`` (a silent clip stays silent)."""
    out = _resample(np.asarray(clip.samples, dtype=np.float32).reshape(-1), clip.rate, rate)
    top = float(np.max(np.abs(out))) if out.size else 0.0
    if top > 0:
        out *= np.float32(peak / top)
    return out


def _at_rate(clip: Clip, rate: int) -> Samples:
    return _resample(np.asarray(clip.samples, dtype=np.float32).reshape(-1), clip.rate, rate)


class _ClipWork:
    """A clip at a rate and its K-weighted samples, each worked out once, when first needed:
    measuring a line and levelling it share them (and the line's loudness, once measured)."""

    def __init__(self, clip: Clip, rate: int) -> None:
        self.clip = clip
        self.rate = rate
        self.lufs: float | None = None  # the K-weighted samples' loudness, once measured

    @functools.cached_property
    def samples(self) -> Samples:
        return _at_rate(self.clip, self.rate)

    @functools.cached_property
    def spectrum(self) -> _loudness.Spectrum:
        return _loudness.spectrum(self.samples, self.rate)

    @functools.cached_property
    def weighted(self) -> _loudness.Floats:
        return _loudness.k_weighted(self.samples, self.rate, spec=self.spectrum)


def _fitted(
    clip: Clip,
    kind: CueKind,
    rate: int,
    levels: Levels,
    line_lufs: float,
    work: _ClipWork | None = None,
) -> Samples:
    """The clip at ``rate`` Hz: a spoken line at ``line_lufs`` under the speech ceiling, or a
    tone at its true peak."""
    work = work or _ClipWork(clip, rate)
    if kind == "speech":
        out = _loudness.fit_line(
            work.samples,
            rate,
            line_lufs,
            levels.speech_peak,
            weighted=work.weighted,
            level=work.lufs,
            spec=work.spectrum,
        )
    else:
        out = _loudness.fit_peak(work.samples, rate, levels.tone_peak)
    return out.astype(np.float32)


def _ramp(frames: int) -> Samples:
    """Fade-in gains that reach neither 0 nor 1, so a clip's first and last frames are audible."""
    return (np.arange(1, frames + 1, dtype=np.float32) / np.float32(frames + 1)).astype(np.float32)


def _clip_for(cue: Cue, speech: Mapping[str, Clip], sounds: Mapping[str, Clip]) -> Clip:
    if cue.kind == "speech":
        assert cue.text is not None  # guaranteed by Cue
        try:
            return speech[cue.text]
        except KeyError:
            raise ValueError(f"no speech clip for the line {cue.text!r}") from None
    assert cue.sound is not None  # guaranteed by Cue
    try:
        return sounds[cue.sound]
    except KeyError:
        raise ValueError(f"no sound named {cue.sound!r}") from None


def _key(cue: Cue) -> _Key:
    name = cue.text if cue.kind == "speech" else cue.sound
    assert name is not None
    return (cue.kind, name)


def _headroom_gain(placements: list[_Placement], ceiling: float = 1.0) -> float:
    """1.0, or less if the loudest moment (sum of the peaks sounding at once) would pass
    ``ceiling``."""
    events: list[tuple[int, int, float]] = []
    for p in placements:
        events.append((p.start, 1, p.peak))
        events.append((p.end, 0, -p.peak))  # at the same frame, an end comes before a start
    worst = level = 0.0
    for _, _, delta in sorted(events):
        level += delta
        worst = max(worst, level)
    return 1.0 if worst <= ceiling else ceiling / worst


def _measurement(
    clip: Clip,
    kind: CueKind,
    rate: int,
    cache: LevelsCache | None,
    work: _ClipWork | None = None,
) -> tuple[_loudness.Profile, float]:
    """A clip's energy profile at ``rate`` and, for a tone, its true peak (0 for a line):
    from ``cache`` if it holds them, else measured (and stored there)."""
    key = levels_key("measure", clip_digest(clip), rate, kind) if cache is not None else ""
    entry = cache.get(key) if cache is not None else None
    if entry is not None:
        fields, cumulative = entry
        prof = _loudness.Profile(
            cumulative, int(fields["hop"]), int(fields["frames"]), float(fields["lufs"])
        )
        return prof, float(fields["peak"])
    work = work or _ClipWork(clip, rate)
    prof = _loudness.profile(work.samples, rate, weighted=work.weighted)
    work.lufs = prof.lufs
    peak = _loudness.true_peak(work.samples, rate) if kind == "tone" else 0.0
    if cache is not None:
        fields = {"hop": prof.hop, "frames": prof.frames, "lufs": prof.lufs, "peak": peak}
        cache.put(key, fields, prof.cumulative)
    return prof, peak


def _fit_lufs(levels: Levels) -> float:
    """The loudness every spoken line is levelled to (``FIT_ABOVE`` over the target)."""
    assert levels.loudness is not None
    return levels.loudness + FIT_ABOVE


def _levelled(
    clip: Clip,
    kind: CueKind,
    rate: int,
    levels: Levels,
    line_lufs: float,
    cache: LevelsCache | None,
    work: _ClipWork | None = None,
) -> Samples:
    """The clip at ``rate``, fitted to ``line_lufs`` under the speech ceiling (a line) or to
    the tones' true peak (a tone), from ``cache`` when it was fitted before (and stored there
    when not)."""
    key = ""
    if cache is not None:
        target = (line_lufs, levels.speech_peak) if kind == "speech" else ()
        key = levels_key("fit", clip_digest(clip), rate, kind, levels.tone_peak, *target)
        entry = cache.get(key)
        if entry is not None:
            cached: Samples = entry[1]
            return cached
    out = _fitted(clip, kind, rate, levels, line_lufs, work)
    if cache is not None:
        cache.put(key, {}, out)
    return out


@contextlib.contextmanager
def measuring_ahead(
    cache: LevelsCache, rate: int, levels: Levels = SESSION_LEVELS
) -> Iterator[Callable[[Clip], None]]:
    """A function that measures and levels spoken lines for a render at ``rate`` with
    ``levels`` into ``cache`` in a background thread, as they come: hand it each line while
    the speech is still being made (the speech engine works on its own thread, so a second
    core is free) and the render finds the work done. Lines already in ``cache`` cost a
    look-up. Leaving the block waits for the work to finish; work that fails is simply left
    to the render.

    While the speech is made, one line is measured at a time (``MEASURE_WHILE_SPEAKING``): the
    speech engine is one thread after another (ours, then espeak's, then ours), each line
    waiting on the last, so it keeps a core to itself; once the speech is made (the block is
    left), every worker takes the lines still waiting."""
    pool = ThreadPoolExecutor(MEASURE_WORKERS, thread_name_prefix="matcue-measure")
    slots = threading.Semaphore(MEASURE_WHILE_SPEAKING)
    seen: set[int] = set()

    def work(clip: Clip) -> None:
        with slots:
            _measure_quietly(clip, rate, cache, levels)

    def measure(clip: Clip) -> None:
        if id(clip) in seen:
            return
        seen.add(id(clip))
        pool.submit(work, clip)

    try:
        yield measure
    except BaseException:
        slots.release(MEASURE_WORKERS)  # nothing waits on a slot for ever
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    slots.release(MEASURE_WORKERS)  # the speech is made: every worker may measure now
    pool.shutdown(wait=True)


def _measure_quietly(clip: Clip, rate: int, cache: LevelsCache, levels: Levels) -> None:
    key = levels_key("measure", clip_digest(clip), rate, "speech")
    work = _ClipWork(clip, rate)  # the measuring and the levelling share it
    with contextlib.suppress(Exception):
        if not cache.path_for(key).is_file():  # else measured before (the render checks it)
            _measurement(clip, "speech", rate, cache, work)
        if levels.loudness is not None:
            _levelled(clip, "speech", rate, levels, _fit_lufs(levels), cache, work)


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
    ) -> None:
        self.rate = rate
        self.levels = levels
        self.levels_cache = levels_cache
        self.stereo = stereo
        self.music = music
        self.total = seconds_to_frames(timeline.duration, rate)
        self.fade_frames = seconds_to_frames(levels.fade, rate)
        self.ramp = _ramp(self.fade_frames)
        self.clips: dict[_Key, Clip] = {}
        silent: dict[_Key, bool] = {}
        uses: dict[_Key, int] = {}
        uses_at: dict[_Key, deque[int]] = {}  # the placements that use each clip, in order
        placements: list[_Placement] = []
        peaks = {kind: levels.peak(kind) for kind in ("speech", "tone")}
        for cue in timeline.cues:
            key = _key(cue)
            if key not in self.clips:
                self.clips[key] = clip = _clip_for(cue, speech, sounds)
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
            placements.append(_Placement(key, start, length, peak, cue.side))
            uses[key] = uses.get(key, 0) + 1
        self.placements = placements
        self.speech = sorted((p.start, p.end) for p in placements if p.key[0] == "speech")
        self.speech_starts = [start for start, _ in self.speech]
        self.next_line = 0  # the first line the music may still duck under (see _add_music)
        # the music, ducked under the voice, adds at most its ducked peak to any moment
        extra = music.peak * db_to_gain(_music.DUCK_DB) if music is not None else 0.0
        self.gain = _headroom_gain(placements, max(levels.ceiling - extra, 0.5 * levels.ceiling))
        self.uses_left = uses
        self.cache: dict[_Key, Samples] = {}
        self.cached_bytes = 0
        self.uses_at = uses_at
        self.first_uses = list(uses)  # every clip, in the order the mix first needs it
        self.fitting: dict[_Key, Future[Samples]] = {}  # levelling ahead, by clip
        self.fitted: set[_Key] = set()  # clips levelled or being levelled
        self.next_fit = 0  # index in first_uses of the next clip to level ahead
        self.pool: ThreadPoolExecutor | None = None
        self.line_lufs = levels.loudness
        self.fit_lufs = self.line_lufs  # what the lines are levelled to, before the mix
        self.line_gain = 1.0  # from that to line_lufs, in the mix
        if levels.loudness is not None:
            self.line_lufs = self._line_lufs(levels.loudness)
            self.fit_lufs = max(_fit_lufs(levels), self.line_lufs)
            self.line_gain = db_to_gain(self.line_lufs - self.fit_lufs)

    def _digest(self, key: _Key) -> str:
        return clip_digest(self.clips[key])

    def _measured(self, key: _Key) -> tuple[_loudness.Profile, float]:
        """The clip's energy profile at the output rate and, for a tone, its true peak."""
        return _measurement(self.clips[key], key[0], self.rate, self.levels_cache)

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

    def _levelled(self, key: _Key, line_lufs: float) -> Samples:
        return _levelled(
            self.clips[key], key[0], self.rate, self.levels, line_lufs, self.levels_cache
        )

    def _base(self, key: _Key) -> Samples:
        """The clip at the output rate and its mix level, kept only until its last use (and
        only while the clips kept fit in ``KEEP_BYTES``)."""
        self.uses_left[key] -= 1
        self.uses_at[key].popleft()
        base = self.cache.pop(key, None)
        if base is not None:
            self.cached_bytes -= base.nbytes
        else:
            peak = self.levels.peak(key[0]) * self.gain
            if self.fit_lufs is None:
                base = _normalised(self.clips[key], self.rate, peak)
            else:
                fitting = self.fitting.pop(key, None)
                if fitting is not None:
                    base = fitting.result()
                else:
                    self.fitted.add(key)
                    base = self._levelled(key, self.fit_lufs)
                self._fit_ahead()
                turn = self.line_gain if key[0] == "speech" else 1.0
                base *= np.float32(self.gain * turn)
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

    def _pieces(self, p: _Placement) -> list[_Piece]:
        """One cue's samples as ``(start, end, samples, side)`` pieces of the output: the clip
        truncated to its length and faded at both edges. The middle piece is a view of the
        clip (no copy); only the faded edges are new arrays."""
        base = self._base(p.key)
        n = min(self.fade_frames, p.length // 2)
        if n == 0:
            return [(p.start, p.end, base[: p.length], p.side)]
        ramp = self.ramp if n == self.fade_frames else _ramp(n)
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
            # Not waiting: this may run in any thread (when the generator is collected); a
            # clip still being levelled just finishes on its own.
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
        active: list[_Piece] = []
        size = min(chunk_frames, self.total - start)
        # buffers reused from block to block: no page faults from fresh arrays
        sides = _SIDES if self.stereo else (None,)
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
            spans = [(0, b - a)] if whole_blocks else _merged([(lo, hi) for lo, hi, _, _ in here])
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
            mix = sounding[None] if stereo is None else _spread(stereo[: b - a], sounding)
            if self.music is not None:
                self._add_music(mix, a, b)
            yield _to_pcm(mix, spans)

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
            bed *= np.float32(_CENTRE)
            mix += bed[:, None]
        else:
            mix += bed


def _spread(out: Samples, sounding: Mapping[SideName | None, Samples]) -> Samples:
    """``out`` (frames, 2): each mono mix in ``sounding`` spread over both channels by the
    ``PAN_GAINS`` of its side."""
    for channel in (0, 1):
        column = out[:, channel]
        first = True
        for side in _SIDES:  # always in this order: the same sums whatever the blocks
            part = sounding.get(side)
            if part is None:
                continue
            gain = np.float32(PAN_GAINS[side][channel])
            if first:
                np.multiply(part, gain, out=column)
                first = False
            else:
                column += part * gain
    return out


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The frames covered by ``spans`` (half-open ``(lo, hi)`` ranges), as sorted ranges that
    neither overlap nor touch."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1]:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _to_pcm(mix: Samples, spans: list[tuple[int, int]]) -> Pcm:
    """``mix`` (which it overwrites) as int16: the frames in ``spans`` converted, the others
    silent (whatever ``mix`` holds there)."""
    pcm: Pcm = np.zeros(mix.shape, dtype=np.int16)
    for lo, hi in spans:
        part = mix[lo:hi]
        np.multiply(part, np.float32(FULL_SCALE), out=part)
        # Safety net only: levels and the headroom gain keep every sample within full scale.
        np.clip(part, np.float32(-FULL_SCALE), np.float32(FULL_SCALE), out=part)
        np.rint(part, out=pcm[lo:hi], casting="unsafe")  # exact: integers in int16's range
    return pcm


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
) -> Iterator[Pcm]:
    """The session as consecutive mono int16 blocks of ``chunk_frames`` (the last may be shorter).

    ``stereo`` gives ``(frames, 2)`` blocks in which side cues (``Cue.side``) come from that
    side (``PAN_GAINS``); ``music`` (:func:`matcue.audio.music.load_music`) is looped under
    the session and ducked while the voice speaks.

    ``start``: begin at this frame instead of 0 (the blocks are then exactly the whole render's
    frames from ``start`` on, stereo and music included: the levels are worked out over the
    whole session either way, and the music goes on from where it is at ``start``).

    ``speech`` maps each spoken line's text to its clip, ``sounds`` each tone's name to its
    clip; clips at another rate are resampled to ``rate``. The blocks add up to exactly
    ``seconds_to_frames(timeline.duration, rate)`` frames. A missing clip raises ``ValueError``
    here, before the first block. With a loudness target, ``levels_cache`` keeps the loudness
    work on each clip for the next render (the PCM is the same with or without it).
    ``workers``: threads levelling clips ahead of the mix; 0 levels each clip on the calling
    thread when the mix needs it (the same PCM, one core: for renders while a session plays).
    """
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, got {rate!r}")
    if chunk_frames <= 0:
        raise ValueError(f"chunk size must be positive, got {chunk_frames!r}")
    renderer = _Renderer(timeline, speech, sounds, rate, levels, levels_cache, stereo, music)
    return renderer.chunks(chunk_frames, start, workers)


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
    )
    blocks = list(chunks)
    if not blocks:
        return np.zeros((0, 2) if stereo else 0, dtype=np.int16)
    pcm: Pcm = np.concatenate(blocks)
    return pcm
