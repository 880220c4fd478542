"""Each clip brought to its level for the mix: resampled to the output rate, then peak-normalised
(:func:`normalised`), or, with a loudness target (``Levels.loudness``, see
:mod:`matcue.audio.loudness`), a spoken line brought to that loudness and limited to a
true-peak ceiling and a tone set by its true peak (:func:`levelled`).

The loudness work on a clip (its energy profile, and the line brought to its loudness under
the ceiling) depends only on the clip and a few numbers, so with a
:class:`~matcue.audio.levels_cache.LevelsCache` it is done once and read back by every later
render, bit for bit. Every line is levelled to one loudness a little over the target
(``FIT_ABOVE``), whatever the session, and turned down to the session's own line loudness in
the mix: so the levelling of a line does not wait for the whole session to be known, and is
shared by every session and pace that says the line. Spoken lines are measured and levelled
while the speech engine is still making the next ones (:func:`measuring_ahead`).
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from matcue.audio import loudness as _loudness
from matcue.audio.clip import Clip, Samples
from matcue.audio.levels import SESSION_LEVELS, Levels
from matcue.audio.levels_cache import LevelsCache, clip_digest, levels_key
from matcue.audio.limiter import fit_line, fit_peak
from matcue.audio.units import seconds_to_frames
from matcue.timeline.model import CueKind

FIT_ABOVE = 1.5
"""dB over the session's target at which every spoken line is levelled (under the ceiling);
the mix then turns each line down to the loudness that puts the session on its target. Lines
sit 0.4-1.2 dB over the target in the built-in sessions (gating blocks a line only partly fills
count as quieter); a session needing more levels its lines to its own loudness instead."""

MEASURE_WORKERS = 2  # threads measuring and levelling lines while the speech is made
MEASURE_WHILE_SPEAKING = 1  # of them at work while the speech is still being made


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


def normalised(clip: Clip, rate: int, peak: float) -> Samples:
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
        out = fit_line(
            work.samples,
            rate,
            line_lufs,
            levels.speech_peak,
            weighted=work.weighted,
            level=work.lufs,
            spec=work.spectrum,
        )
    else:
        out = fit_peak(work.samples, rate, levels.tone_peak)
    return out.astype(np.float32)


def measurement(
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


def fit_lufs_for(levels: Levels) -> float:
    """The loudness every spoken line is levelled to (``FIT_ABOVE`` over the target)."""
    assert levels.loudness is not None
    return levels.loudness + FIT_ABOVE


def levelled(
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
            measurement(clip, "speech", rate, cache, work)
        if levels.loudness is not None:
            levelled(clip, "speech", rate, levels, fit_lufs_for(levels), cache, work)
