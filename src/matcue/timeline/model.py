"""The timeline: immutable, sorted cues and phases with absolute start times in seconds."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import islice, repeat
from operator import add, attrgetter, gt, lt, sub
from typing import Any, Literal

from matcue import settings
from matcue.routine.model import Breath, Exercise

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


CountMode = Literal["voice", "tones", "off"]
BreathWords = Literal["always", "first", "never"]
COUNT_MODES: tuple[CountMode, ...] = settings.COUNT.choices  # type: ignore[assignment]
BREATH_WORDS: tuple[BreathWords, ...] = settings.BREATH_WORDS.choices  # type: ignore[assignment]
_PERCENTS = {"percent": settings.PACE, "holds": settings.HOLDS, "rests": settings.RESTS}


@dataclass(frozen=True)
class Pace:
    """All pace settings in one frozen object (like black's ``Mode``).

    ``percent``: every timed phase lasts ``seconds * 100 / percent``.
    ``gap``: the least silence, in seconds, after a spoken line before the next one or the end
    of its phase (not scaled by pace).
    ``holds``: hold lengths in percent of the routine's (150 = half again as long), before pace.
    ``rests``: rests between sets and exercises in percent of the routine's, before pace.
    ``rest``: seconds (at pace 100) of every rest between sets and exercises, replacing the
    routine's (and ``rests``); None keeps them.
    ``breath``: ratio breathing replacing every inhale and exhale length (and an exercise's own
    ``breath:``); None keeps the routine's breathing.
    ``reps``/``sets``: replace every exercise's; None keeps them. ``rep_percent`` scales them
    (levels): ``max(1, round(reps * rep_percent / 100))``, at most 100.
    ``week``: the week of each exercise's progression to apply (1 = as written).
    ``count``: how reps and holds are counted: spoken numbers, tones only, or not at all.
    ``breath_words``: when breathe in/out is said: every rep, the first reps only (then the
    tones carry the rhythm), or never.
    ``level``: the named level these settings came from, for display only.
    """

    percent: float = 100.0
    gap: float = 0.25
    holds: float = 100.0
    rests: float = 100.0
    rest: float | None = None
    breath: Breath | None = None
    reps: int | None = None
    sets: int | None = None
    rep_percent: float = 100.0
    week: int = 1
    count: CountMode = "voice"
    breath_words: BreathWords = "always"
    level: str | None = None

    def __post_init__(self) -> None:
        pace = settings.PACE
        if not pace.within(self.percent):
            raise ValueError(
                f"pace must be between {pace.minimum:g} and {pace.maximum:g} percent, "
                f"got {self.percent!r}"
            )
        if not (math.isfinite(self.gap) and 0 <= self.gap <= 5):
            raise ValueError(f"gap must be between 0 and 5 seconds, got {self.gap!r}")
        for name in ("holds", "rests", "rep_percent"):
            bound = _PERCENTS.get(name, settings.RESTS)  # the levels' rep scale: as the rests
            if not bound.within(getattr(self, name)):
                raise ValueError(
                    f"{name} must be between {bound.minimum:g} and {bound.maximum:g} percent, "
                    f"got {getattr(self, name)!r}"
                )
        for name, unit, value in (
            ("rest", " seconds", self.rest),
            ("reps", "", self.reps),
            ("sets", "", self.sets),
            ("week", "", self.week),
        ):
            bound = getattr(settings, name.upper())
            if value is not None and not bound.within(value):
                raise ValueError(
                    f"{name} must be between {bound.minimum:g} and {bound.maximum:g}{unit}, "
                    f"got {value!r}"
                )
        if self.count not in COUNT_MODES:
            raise ValueError(f"count must be one of {', '.join(COUNT_MODES)}, got {self.count!r}")
        if self.breath_words not in BREATH_WORDS:
            raise ValueError(
                f"breath words must be one of {', '.join(BREATH_WORDS)}, got {self.breath_words!r}"
            )

    def scale(self, seconds: float) -> float:
        """Seconds at pace 100 -> seconds at this pace."""
        return seconds * 100.0 / self.percent

    @classmethod
    def for_level(cls, level: str, **overrides: Any) -> Pace:
        """The settings of a named level (``LEVELS``), with ``overrides`` on top."""
        try:
            base = LEVELS[level]
        except KeyError:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}") from None
        return cls(**{**base, "level": level, **overrides})

    def describe(self) -> str:
        """The settings that differ from the defaults, for the plan's heading."""
        parts = [f"pace {self.percent:g} %"]
        if self.level:
            parts.insert(0, f"level {self.level}")
        if self.holds != 100:
            parts.append(f"holds {self.holds:g} %")
        if self.rest is not None:
            parts.append(f"rest {self.rest:g} s")
        elif self.rests != 100:
            parts.append(f"rests {self.rests:g} %")
        if self.breath is not None:
            parts.append(f"breath {self.breath}")
        if self.reps is not None:
            parts.append(f"reps {self.reps}")
        elif self.rep_percent != 100:
            parts.append(f"reps {self.rep_percent:g} %")
        if self.sets is not None:
            parts.append(f"sets {self.sets}")
        parts.append(f"week {self.week}")
        if self.count != "voice":
            parts.append(f"count {self.count}")
        if self.breath_words != "always":
            parts.append(f"breath words {self.breath_words}")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "pace": self.percent,
            "holds": self.holds,
            "rests": self.rests,
            "rest": self.rest,
            "breath": None
            if self.breath is None
            else {"in": self.breath.inhale, "hold": self.breath.hold, "out": self.breath.exhale},
            "reps": self.reps,
            "sets": self.sets,
            "rep_percent": self.rep_percent,
            "week": self.week,
            "count": self.count,
            "breath_words": self.breath_words,
        }


LEVELS: dict[str, dict[str, Any]] = {
    "gentle": {"percent": 80.0, "holds": 70.0, "rests": 150.0, "rep_percent": 70.0},
    "standard": {},
    "strong": {"percent": 110.0, "holds": 130.0, "rests": 75.0, "rep_percent": 130.0},
}
"""Named levels: pace, hold and rest lengths and the number of reps set together."""


@dataclass(frozen=True, slots=True)
class Cue:
    """Something heard: a spoken line (``text``) or a tone (``sound``, a name in ``sounds/``)."""

    t: float
    dur: float
    kind: CueKind
    text: str | None = None
    sound: str | None = None
    exercise: int | None = None  # 1-based exercise number, None outside exercises
    side: SideName | None = None  # a side cue: heard in that ear in stereo

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
        if self.side is not None:
            out["side"] = self.side
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
class ExercisePlan:
    """An exercise as the session runs it: the numbers after pace, levels, overrides and the
    week's progression. Seconds are at the session's pace (what the clock will show)."""

    number: int
    name: str
    reps: int
    sets: int
    sides: str
    week: int  # the progression week applied
    stage: int | None  # the week of the progression stage in use; None: as written
    pace: float  # percent: the session's pace times the exercise's own
    holds: tuple[float, ...]  # each hold step, in seconds
    inhale: float  # a breath in, in seconds (unless a step gives its own length)
    exhale: float
    breath_hold: float  # the hold after each breath in (ratio breathing), 0 for none
    rest: float  # after the exercise, with the time a change of position needs (0: none)
    set_rest: float  # between its sets

    @classmethod
    def of(
        cls,
        number: int,
        ex: Exercise,
        week: int,
        stage: int | None,
        percent: float,
        rest: float,
    ) -> ExercisePlan:
        """``ex`` as the session runs it; ``rest`` (pace-100 seconds) is the rest after it
        (``bases.rest_seconds``: its own, plus a change of position)."""

        def at(seconds: float) -> float:
            return seconds * 100.0 / percent

        return cls(
            number=number,
            name=ex.name,
            reps=ex.reps,
            sets=ex.sets,
            sides=ex.sides,
            week=week,
            stage=stage,
            pace=percent,
            holds=tuple(at(s.seconds) for s in ex.steps if s.kind == "hold" and s.seconds),
            inhale=at(ex.timing.inhale),
            exhale=at(ex.timing.exhale),
            breath_hold=at(ex.breath.hold) if ex.breath else 0.0,
            rest=at(rest),
            set_rest=at(ex.timing.set_rest),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "exercise": self.number,
            "name": self.name,
            "reps": self.reps,
            "sets": self.sets,
            "sides": self.sides,
            "week": self.week,
            "stage": self.stage,
            "pace": round(self.pace, 3),
            "holds": [round(h, 3) for h in self.holds],
            "inhale": round(self.inhale, 3),
            "exhale": round(self.exhale, 3),
            "breath_hold": round(self.breath_hold, 3),
            "rest": round(self.rest, 3),
            "set_rest": round(self.set_rest, 3),
        }

    def describe(self) -> str:
        """One line for the plan: the effective numbers of this exercise."""
        count = f"{self.reps} rep{'s' if self.reps != 1 else ''}"
        if self.sides in ("each", "alternate"):
            count += " per side"
        if self.sets > 1:
            count += f" × {self.sets} sets"
        parts = [count]
        if self.holds:
            parts.append("hold " + ", ".join(f"{h:.1f} s" for h in self.holds))
        breath = f"breath {self.inhale:.1f}"
        if self.breath_hold:
            breath += f":{self.breath_hold:.1f}"
        parts.append(f"{breath}:{self.exhale:.1f} s")
        if self.pace != 100:
            parts.append(f"pace {self.pace:g} %")
        if self.sets > 1:
            parts.append(f"set rest {self.set_rest:.1f} s")
        parts.append(f"rest {self.rest:.1f} s" if self.rest else "no rest")
        if self.stage is not None:
            parts.append(f"progression from week {self.stage}")
        return f"{self.number}. {self.name}: " + ", ".join(parts)


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
    exercises: tuple[ExercisePlan, ...] = ()  # the effective numbers of each exercise
    language: str = "en"  # the language everything is spoken in

    def __post_init__(self) -> None:
        # The checks of one pass each over tens of thousands of cues, in C (map/operator):
        # ``a.t > b.t`` for neighbours, ``b.t < a.end - 1e-9``, ``max(c.end)``.
        starts = list(map(_START, self.cues))
        if any(map(gt, starts, islice(starts, 1, None))):
            raise ValueError("cues must be sorted by start time")
        phase_starts = list(map(_START, self.phases))
        phase_ends = map(sub, map(add, phase_starts, map(_DUR, self.phases)), repeat(1e-9))
        if any(map(lt, islice(phase_starts, 1, None), phase_ends)):
            raise ValueError("phases must be sorted and must not overlap")
        if starts and max(map(add, starts, map(_DUR, self.cues))) > self.duration + 1e-6:
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
            "language": self.language,
            "week": self.pace.week,
            "settings": self.pace.to_json(),
            "exercises": [e.to_json() for e in self.exercises],
        }


_START = attrgetter("t")
_DUR = attrgetter("dur")
