"""The renderer: a ``Timeline`` plus its clips -> mono 16-bit PCM.

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
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matcue.audio import loudness as _loudness
from matcue.audio import music as _music
from matcue.audio.music import Music, duck_envelope
from matcue.audio.units import db_to_gain, seconds_to_frames
from matcue.timeline.model import Cue, CueKind, SideName, Timeline
from matcue.voice.base import Clip

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


def _fitted(clip: Clip, kind: CueKind, rate: int, levels: Levels, line_lufs: float) -> Samples:
    """The clip at ``rate`` Hz: a spoken line at ``line_lufs`` under the speech ceiling, or a
    tone at its true peak."""
    samples = _at_rate(clip, rate)
    if kind == "speech":
        out = _loudness.fit_line(samples, rate, line_lufs, levels.speech_peak)
    else:
        out = _loudness.fit_peak(samples, rate, levels.tone_peak)
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


class _Renderer:
    def __init__(
        self,
        timeline: Timeline,
        speech: Mapping[str, Clip],
        sounds: Mapping[str, Clip],
        rate: int,
        levels: Levels,
        stereo: bool = False,
        music: Music | None = None,
    ) -> None:
        self.rate = rate
        self.levels = levels
        self.stereo = stereo
        self.music = music
        self.total = seconds_to_frames(timeline.duration, rate)
        self.clips: dict[_Key, Clip] = {}
        uses: dict[_Key, int] = {}
        placements: list[_Placement] = []
        for cue in timeline.cues:
            key = _key(cue)
            if key not in self.clips:
                self.clips[key] = _clip_for(cue, speech, sounds)
            clip = self.clips[key]
            start = seconds_to_frames(cue.t, rate)
            length = min(
                resampled_length(clip.frames, clip.rate, rate),
                seconds_to_frames(cue.dur, rate),
                self.total - start,
            )
            if length <= 0:
                continue
            silent = clip.frames == 0 or not np.any(clip.samples)
            peak = 0.0 if silent else levels.peak(cue.kind)
            placements.append(_Placement(key, start, length, peak, cue.side))
            uses[key] = uses.get(key, 0) + 1
        self.placements = placements
        self.speech = [(p.start, p.end) for p in placements if p.key[0] == "speech"]
        # the music, ducked under the voice, adds at most its ducked peak to any moment
        extra = music.peak * db_to_gain(_music.DUCK_DB) if music is not None else 0.0
        self.gain = _headroom_gain(placements, max(levels.ceiling - extra, 0.5 * levels.ceiling))
        self.uses_left = uses
        self.cache: dict[_Key, Samples] = {}
        self.line_lufs = levels.loudness
        if levels.loudness is not None:
            self.line_lufs = self._line_lufs(levels.loudness)

    def _line_lufs(self, target: float) -> float:
        """The loudness for every spoken line that puts the whole session on ``target``.

        Silence between lines is gated out, but blocks that a line only partly fills are not,
        so a session measures a little under its lines. The session's loudness is worked out
        from each clip's energy profile and where the clip sounds (no mix is rendered), and
        the lines are aimed over the target by the difference (twice, to settle).
        """
        profiles: dict[_Key, _loudness.Profile] = {}
        tone_gains: dict[_Key, float] = {}
        for key in self.uses_left:
            samples = _at_rate(self.clips[key], self.rate)
            profiles[key] = _loudness.profile(samples, self.rate)
            if key[0] == "tone":
                top = _loudness.true_peak(samples, self.rate)
                tone_gains[key] = self.levels.tone_peak / top if top > 0 else 0.0

        def gain(key: _Key, line: float) -> float:
            if key[0] == "tone":
                return tone_gains[key] * self.gain
            lufs = profiles[key].lufs
            return db_to_gain(line - lufs) * self.gain if math.isfinite(lufs) else 0.0

        line = target
        for _ in range(2):
            placed = (
                (profiles[p.key], gain(p.key, line), p.start, p.length) for p in self.placements
            )
            measured = _loudness.placed_loudness(placed, self.total, self.rate)
            if not math.isfinite(measured):
                return target
            line += target - measured
        return line

    def _base(self, key: _Key) -> Samples:
        """The clip at the output rate and its mix level, kept only until its last use."""
        self.uses_left[key] -= 1
        base = self.cache.pop(key, None)
        if base is None:
            peak = self.levels.peak(key[0]) * self.gain
            if self.line_lufs is None:
                base = _normalised(self.clips[key], self.rate, peak)
            else:
                base = _fitted(self.clips[key], key[0], self.rate, self.levels, self.line_lufs)
                base *= np.float32(self.gain)
        if self.uses_left[key] > 0:
            self.cache[key] = base
        return base

    def _prepare(self, p: _Placement) -> Samples:
        """One cue's samples: truncated to its length, faded at both edges."""
        out = np.array(self._base(p.key)[: p.length], dtype=np.float32)
        n = min(seconds_to_frames(self.levels.fade, self.rate), p.length // 2)
        if n > 0:
            ramp = _ramp(n)
            out[:n] *= ramp
            out[-n:] *= ramp[::-1]
        return out

    def chunks(self, chunk_frames: int, start: int = 0) -> Iterator[Pcm]:
        start = min(max(0, start), self.total)
        for p in self.placements:
            if p.end <= start:  # never heard from ``start`` on: only its use is counted
                self.uses_left[p.key] -= 1
        pending = (p for p in self.placements if p.end > start)
        upcoming = next(pending, None)
        active: list[tuple[_Placement, Samples]] = []
        for a in range(start, self.total, chunk_frames):
            b = min(a + chunk_frames, self.total)
            while upcoming is not None and upcoming.start < b:
                active.append((upcoming, self._prepare(upcoming)))
                upcoming = next(pending, None)
            mix = np.zeros((b - a, 2) if self.stereo else b - a, dtype=np.float32)
            for p, samples in active:
                lo, hi = max(a, p.start), min(b, p.end)
                if lo < hi:
                    part = samples[lo - p.start : hi - p.start]
                    if self.stereo:
                        mix[lo - a : hi - a] += part[:, None] * _pan(p.side)
                    else:
                        mix[lo - a : hi - a] += part
            if self.music is not None:
                self._add_music(mix, a, b)
            active = [(p, s) for p, s in active if p.end > b]
            yield _to_pcm(mix)

    def _add_music(self, mix: Samples, a: int, b: int) -> None:
        assert self.music is not None
        bed = self.music.block(a, b - a) * duck_envelope(a, b - a, self.speech, self.rate)
        bed *= np.float32(self.gain)
        if self.stereo:
            mix += bed[:, None] * np.float32(_CENTRE)
        else:
            mix += bed


def _pan(side: SideName | None) -> npt.NDArray[np.float32]:
    return np.asarray(PAN_GAINS[side], dtype=np.float32)


def _to_pcm(mix: Samples) -> Pcm:
    scaled = np.rint(mix * np.float32(FULL_SCALE))
    # Safety net only: levels and the headroom gain keep every sample within full scale.
    np.clip(scaled, -FULL_SCALE, FULL_SCALE, out=scaled)
    pcm: Pcm = scaled.astype(np.int16)
    return pcm


def render_chunks(
    timeline: Timeline,
    speech: Mapping[str, Clip],
    sounds: Mapping[str, Clip],
    rate: int,
    chunk_frames: int = DEFAULT_CHUNK_FRAMES,
    *,
    levels: Levels = DEFAULT_LEVELS,
    start: int = 0,
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
    here, before the first block.
    """
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, got {rate!r}")
    if chunk_frames <= 0:
        raise ValueError(f"chunk size must be positive, got {chunk_frames!r}")
    return _Renderer(timeline, speech, sounds, rate, levels, stereo, music).chunks(
        chunk_frames, start
    )


def render(
    timeline: Timeline,
    speech: Mapping[str, Clip],
    sounds: Mapping[str, Clip],
    rate: int,
    *,
    levels: Levels = DEFAULT_LEVELS,
    start: int = 0,
    stereo: bool = False,
    music: Music | None = None,
) -> Pcm:
    """The whole session as one int16 buffer (mono, or ``(frames, 2)`` with ``stereo``):
    the concatenation of :func:`render_chunks` (from frame ``start`` on, if given)."""
    blocks = list(
        render_chunks(
            timeline, speech, sounds, rate, levels=levels, start=start, stereo=stereo, music=music
        )
    )
    if not blocks:
        return np.zeros((0, 2) if stereo else 0, dtype=np.int16)
    pcm: Pcm = np.concatenate(blocks)
    return pcm
