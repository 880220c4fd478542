"""``Levels``: every level of the mix in one frozen object, and the two the product uses.

``DEFAULT_LEVELS`` peak-normalises every line; ``SESSION_LEVELS`` (what play and export use)
brings every line to a loudness under a true-peak ceiling (see :mod:`matcue.audio.levelling`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from matcue.audio.units import db_to_gain
from matcue.timeline.model import CueKind

MIN_LUFS, MAX_LUFS = -30.0, -16.0
"""Loudness targets allowed. Louder than -16 LUFS cannot be reached: a spoken line stays under
its true-peak ceiling (the session's, less room for a tone on top), and speech under that
ceiling, limited as far as the limiter goes without crushing the voice, holds a session near
-15.5 LUFS."""
LOUDER_THAN_REACHABLE = (
    "the voice's lines stay under the -1 dBTP true-peak ceiling with room for a tone on top, "
    "which holds a session near -15.5 LUFS"
)
REFERENCE_LUFS = -16.0
"""At this target and above, tones peak ``tone_db`` under the limiter's ceiling; below it,
the tones come down with the voice."""


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
    ``voice``: the speech volume (``--volume``), a gain from 0 to 1 on every spoken line in
    the mix, after the line is levelled (so it is heard: 0.5 is 6 dB quieter); the loudness
    target is worked out at 1, and a lower volume lands the session under it.
    """

    speech_db: float = -3.0
    tone_db: float = -12.0
    fade: float = 0.005
    loudness: float | None = None
    true_peak: float = -1.0
    voice: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.voice) and 0 <= self.voice <= 1):
            raise ValueError(f"voice volume must be from 0 to 1, got {self.voice!r}")
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


@dataclass(frozen=True)
class MixLevels:
    """The two levels a render works out over the whole session: the gain that keeps its
    loudest moment under the ceiling, and the loudness of every spoken line that puts the
    session on its target (None without a target). A render given them (``mix=``) uses these
    instead: every part of a session rendered with the same ones joins up sample for sample."""

    gain: float
    line_lufs: float | None
