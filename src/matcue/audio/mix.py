"""The pieces of the mix: where each cue's clip goes (``Placement``), the one gain that keeps
the loudest moment under the ceiling, the fades at a clip's edges, the stereo spread of side
cues, and float samples to 16-bit PCM.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matcue.audio.clip import Clip, Samples
from matcue.timeline.model import Cue, CueKind, SideName

FULL_SCALE = 32767
"""The int16 value that stands for an amplitude of 1.0."""

Pcm = npt.NDArray[np.int16]

Key = tuple[CueKind, str]

PAN_FAR = 0.25
"""In stereo, a side cue's gain in the other ear; the near ear gets sqrt(1 - PAN_FAR²), so
every cue keeps the power (and the session the loudness) it has in mono."""
CENTRE = math.sqrt(0.5)
_NEAR = math.sqrt(1.0 - PAN_FAR**2)
PAN_GAINS: dict[SideName | None, tuple[float, float]] = {
    None: (CENTRE, CENTRE),
    "left": (_NEAR, PAN_FAR),
    "right": (PAN_FAR, _NEAR),
}
"""(left, right) gains of a cue in a stereo render, by its side."""

SIDES: tuple[SideName | None, ...] = (None, "left", "right")
Piece = tuple[int, int, Samples, SideName | None]  # (start, end, samples, side) in the output


@dataclass(frozen=True)
class Placement:
    """Where one cue's clip goes in the output: frames ``[start, start + length)``."""

    key: Key
    start: int
    length: int
    peak: float  # the clip's peak in the mix before the headroom gain (0 for a silent clip)
    side: SideName | None = None  # where a stereo render puts it

    @property
    def end(self) -> int:
        return self.start + self.length


def fade_ramp(frames: int) -> Samples:
    """Fade-in gains that reach neither 0 nor 1, so a clip's first and last frames are audible."""
    return (np.arange(1, frames + 1, dtype=np.float32) / np.float32(frames + 1)).astype(np.float32)


def clip_for(cue: Cue, speech: Mapping[str, Clip], sounds: Mapping[str, Clip]) -> Clip:
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


def key_of(cue: Cue) -> Key:
    name = cue.text if cue.kind == "speech" else cue.sound
    assert name is not None
    return (cue.kind, name)


def headroom_gain(placements: list[Placement], ceiling: float = 1.0) -> float:
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


def spread(out: Samples, sounding: Mapping[SideName | None, Samples]) -> Samples:
    """``out`` (frames, 2): each mono mix in ``sounding`` spread over both channels by the
    ``PAN_GAINS`` of its side."""
    for channel in (0, 1):
        column = out[:, channel]
        first = True
        for side in SIDES:  # always in this order: the same sums whatever the blocks
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


def merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
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


def to_pcm(mix: Samples, spans: list[tuple[int, int]]) -> Pcm:
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
