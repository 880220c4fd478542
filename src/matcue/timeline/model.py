"""The timeline: immutable, sorted cues and phases with absolute start times in seconds."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

CueKind = Literal["speech", "tone"]
PhaseKind = Literal[
    "intro",
    "position",
    "get_ready",
    "inhale",
    "exhale",
    "hold",
    "move",
    "relax",
    "switch",
    "set_rest",
    "rest",
    "outro",
]
SideName = Literal["right", "left"]


def _check_time(owner: str, t: float, dur: float) -> None:
    # chained comparisons reject NaN and infinities too; this runs for every cue
    if not (0 <= t < math.inf and 0 < dur < math.inf):
        raise ValueError(f"{owner}: needs a finite start >= 0 and duration > 0, got {t!r}, {dur!r}")


@dataclass(frozen=True)
class Pace:
    """All pace settings in one frozen object (like black's ``Mode``).

    ``percent``: every timed phase lasts ``seconds * 100 / percent``.
    ``gap``: the least silence, in seconds, after a spoken line before the next one or the end
    of its phase (not scaled by pace).
    """

    percent: float = 100.0
    gap: float = 0.25

    def __post_init__(self) -> None:
        if not (math.isfinite(self.percent) and 10 <= self.percent <= 400):
            raise ValueError(f"pace must be between 10 and 400 percent, got {self.percent!r}")
        if not (math.isfinite(self.gap) and 0 <= self.gap <= 5):
            raise ValueError(f"gap must be between 0 and 5 seconds, got {self.gap!r}")

    def scale(self, seconds: float) -> float:
        """Seconds at pace 100 -> seconds at this pace."""
        return seconds * 100.0 / self.percent


@dataclass(frozen=True, slots=True)
class Cue:
    """Something heard: a spoken line (``text``) or a tone (``sound``, a name in ``sounds/``)."""

    t: float
    dur: float
    kind: CueKind
    text: str | None = None
    sound: str | None = None
    exercise: int | None = None  # 1-based exercise number, None outside exercises

    def __post_init__(self) -> None:
        if not (0 <= self.t < math.inf and 0 < self.dur < math.inf):
            _check_time(f"cue {self.text or self.sound!r}", self.t, self.dur)
        if self.kind == "speech":
            if not self.text or self.sound is not None:
                raise ValueError("a speech cue needs text and no sound")
        elif not self.sound or self.text is not None:
            raise ValueError("a tone cue needs a sound and no text")

    @property
    def end(self) -> float:
        return self.t + self.dur

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"t": round(self.t, 3), "dur": round(self.dur, 3), "kind": self.kind}
        if self.kind == "speech":
            out["text"] = self.text
        else:
            out["sound"] = self.sound
        out["exercise"] = self.exercise
        return out


@dataclass(frozen=True, slots=True)
class Phase:
    """A stretch of the session: a step of a rep, or a session part (intro, rest, ...)."""

    t: float
    dur: float
    kind: PhaseKind
    exercise: int | None = None
    set: int | None = None
    rep: int | None = None
    side: SideName | None = None

    def __post_init__(self) -> None:
        _check_time(f"{self.kind} phase", self.t, self.dur)

    @property
    def end(self) -> float:
        return self.t + self.dur

    def to_json(self) -> dict[str, Any]:
        return {
            "t": round(self.t, 3),
            "dur": round(self.dur, 3),
            "kind": self.kind,
            "exercise": self.exercise,
            "set": self.set,
            "rep": self.rep,
            "side": self.side,
        }


@dataclass(frozen=True)
class Chapter:
    t: float
    title: str

    def to_json(self) -> dict[str, Any]:
        return {"t": round(self.t, 3), "title": self.title}


@dataclass(frozen=True)
class Timeline:
    """The compiled session. Phases tile ``[0, duration)``; cues are sorted by start time."""

    routine: str
    title: str
    pace: Pace
    duration: float
    chapters: tuple[Chapter, ...]
    phases: tuple[Phase, ...]
    cues: tuple[Cue, ...]

    def __post_init__(self) -> None:
        if any(b.t < a.t for a, b in zip(self.cues, self.cues[1:], strict=False)):
            raise ValueError("cues must be sorted by start time")
        if any(b.t < a.end - 1e-9 for a, b in zip(self.phases, self.phases[1:], strict=False)):
            raise ValueError("phases must be sorted and must not overlap")
        if self.cues and max(c.end for c in self.cues) > self.duration + 1e-6:
            raise ValueError("a cue ends after the session")

    def to_json(self) -> dict[str, Any]:
        """The ``plan --json`` shape of DESIGN §5."""
        return {
            "routine": self.routine,
            "title": self.title,
            "pace": self.pace.percent,
            "duration_s": round(self.duration, 3),
            "chapters": [c.to_json() for c in self.chapters],
            "phases": [p.to_json() for p in self.phases],
            "cues": [c.to_json() for c in self.cues],
        }
