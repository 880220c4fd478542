"""A session that starts at once: its lines made in the order it needs them, while it plays.

With a cold speech cache, making every line before the first sound takes a second or more
(espeak-ng) and far longer with a neural voice. Instead, :class:`Lines` makes the session's
lines one at a time, the next one the session will need first, and compiles the session
with the real length of every line made and an estimate (:mod:`matcue.timeline.estimate`)
for the others. A compile says how far the session is already *exact*: the phases from the
start up to the first one that holds a line not made yet, and that do not move when the
estimates do (the session is compiled a second time with every estimate stretched; a phase
that comes out the same both times does not depend on them). The player starts once the
first ``START_LEAD`` seconds are exact and splices each later part in as it becomes exact
(:mod:`matcue.api.growing`), so what has started playing never changes.

The intro's "about N minutes" comes from the first compile (estimated, then rounded) and is
kept for every later compile of the session, so that the intro never changes under it.
Works with any :class:`~matcue.voice.Voice`: the lines its cache holds (``cached``, nothing
spoken) count as made from the start, so a warm session starts exactly as if every line had
been made first.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from matcue.audio.clip import Clip
from matcue.playback.transport import phase_key
from matcue.routine import Routine
from matcue.timeline import Pace, Timeline, compile
from matcue.timeline.estimate import speech_estimate
from matcue.timeline.phrases import Phrases, phrases_for
from matcue.voice.base import Voice

START_LEAD = 10.0  # seconds of the session exact before it starts
PLAN_EVERY = 8  # lines made between two compiles
SAME = 1e-6  # seconds: two times this close are the same


def stretched(seconds: float) -> float:
    """An estimate stretched far past its error (5 % at worst): what the second compile uses
    to find what does not depend on the estimates."""
    return seconds * 1.5 + 0.5


@dataclass(frozen=True)
class Partial:
    """A compile of a session whose lines are not all made: phases ``first`` (where the session
    starts) to ``exact`` (excluded) are as they will stay; ``whole``: every line is made and
    the timeline is the session's own."""

    timeline: Timeline
    first: int
    exact: int
    whole: bool

    def at(self, index: int) -> float:
        """Where phase ``index`` starts (the end of the session past the last)."""
        phases = self.timeline.phases
        return phases[index].t if index < len(phases) else self.timeline.duration


class Lines:
    """The lines of one session, made one at a time in the order it needs them, from phase
    ``first`` (where it starts) to the end, then those before it. ``lock`` guards the voice
    (one line at a time, whoever asks)."""

    def __init__(
        self,
        routine: Routine,
        pace: Pace,
        voice: Voice,
        *,
        keys: bool = False,
        media_keys: bool = False,
        exercise: int | None = None,
        lock: threading.Lock | None = None,
    ) -> None:
        self.routine = routine
        self.pace = pace
        self.voice = voice
        self.keys = keys
        self.media_keys = media_keys
        self.exercise = exercise
        self.lock = lock or threading.Lock()
        self.busy = threading.RLock()  # one caller at a time makes lines (player, pace change)
        self.made: dict[str, Clip] = {}
        self.made_since = 0  # lines made since the last compile
        self.on_made: Callable[[Clip], object] | None = None  # sees each line made
        self.estimate = speech_estimate(voice.settings.rate)
        self.words: Phrases = phrases_for(routine.language)
        with self.lock:
            first = self._compile(self._probe)
        if self._missing(first, 0) is None:
            self.partial = Partial(first, self._first(first), len(first.phases), True)
        else:
            self.words = pinned(self.words, first)
            self.partial = self.plan()
        self.order = self._order(self.partial)

    # -- compiling -------------------------------------------------------------------------

    def length(self, text: str) -> float:
        clip = self.made.get(text)
        return clip.duration if clip is not None else self.estimate(text)

    def _probe(self, text: str) -> float:
        clip = self.voice.cached(text)
        if clip is None:
            return self.estimate(text)
        self.made[text] = clip
        return clip.duration

    def _compile(self, length: Callable[[str], float]) -> Timeline:
        return compile(
            self.routine,
            self.pace,
            length,
            phrases=self.words,
            keys=self.keys,
            media_keys=self.media_keys,
        )

    def _first(self, timeline: Timeline) -> int:
        if self.exercise is None:
            return 0
        return next(i for i, p in enumerate(timeline.phases) if p.exercise == self.exercise)

    def _missing(self, timeline: Timeline, since: float) -> float | None:
        """When the first cue from ``since`` on whose line is not made starts (None: none)."""
        for cue in timeline.cues:
            if cue.t >= since - SAME and cue.text is not None and cue.text not in self.made:
                return cue.t
        return None

    def plan(self) -> Partial:
        """The session compiled with what is made now, and how far it is exact."""
        with self.lock:
            self.made_since = 0
            a = self._compile(self.length)
            first = self._first(a)
            if self._missing(a, 0) is None:
                return Partial(a, first, len(a.phases), True)
            b = self._compile(
                lambda text: (
                    self.made[text].duration
                    if text in self.made
                    else stretched(self.estimate(text))
                )
            )
        return Partial(a, first, self._exact(a, b, first), False)

    def _exact(self, a: Timeline, b: Timeline, first: int) -> int:
        """The first phase from ``first`` on that holds a line not made, or that differs
        between ``a`` and ``b`` (times counted from phase ``first``)."""
        if len(a.phases) != len(b.phases):
            return first
        za, zb = a.phases[first].t, b.phases[first].t
        starts_a = [c.t for c in a.cues]
        starts_b = [c.t for c in b.cues]
        for k in range(first, len(a.phases)):
            pa, pb = a.phases[k], b.phases[k]
            if phase_key(pa) != phase_key(pb) or not (
                _same(pa.t - za, pb.t - zb) and _same(pa.dur, pb.dur)
            ):
                return k
            ca = a.cues[
                bisect.bisect_left(starts_a, pa.t - SAME) : bisect.bisect_left(
                    starts_a, pa.end - SAME
                )
            ]
            cb = b.cues[
                bisect.bisect_left(starts_b, pb.t - SAME) : bisect.bisect_left(
                    starts_b, pb.end - SAME
                )
            ]
            if len(ca) != len(cb):
                return k
            for x, y in zip(ca, cb, strict=True):
                if x.text is not None and x.text not in self.made:
                    return k
                if replace(x, t=0.0) != replace(y, t=0.0) or not _same(x.t - za, y.t - zb):
                    return k
        return len(a.phases)

    # -- making ----------------------------------------------------------------------------

    def _order(self, partial: Partial) -> list[str]:
        """The lines not made yet, in the order the session needs them."""
        cues = partial.timeline.cues
        since = partial.at(partial.first)
        ahead = [c.text for c in cues if c.t >= since - SAME and c.text is not None]
        before = [c.text for c in cues if c.t < since - SAME and c.text is not None]
        return [t for t in dict.fromkeys(ahead + before) if t not in self.made]

    def make_one(self) -> bool:
        """Make the next line the session needs; False when every line is made."""
        while self.order and self.order[0] in self.made:
            self.order.pop(0)
        if not self.order:
            return False
        text = self.order.pop(0)
        with self.lock:
            if text in self.made:
                return True
            clip = self.made[text] = self.voice.clip(text)
            self.made_since += 1
        if self.on_made is not None:
            self.on_made(clip)
        return True

    def advance(self) -> Partial | None:
        """Make the next line; every ``PLAN_EVERY`` lines (and after the last) compile again:
        the new :class:`Partial`, or None when there is nothing new."""
        with self.busy:
            if self.partial.whole:
                return None
            made = self.make_one()
            if made and self.made_since < PLAN_EVERY:
                return None
            self.partial = self.plan()
            self.order = self._order(self.partial)  # a new compile may say other lines
            return self.partial

    def ready(self, lead: float = START_LEAD) -> Partial:
        """Make lines until the first ``lead`` seconds from the start are exact (or all)."""
        partial = self.partial
        while not partial.whole and partial.at(partial.exact) - partial.at(partial.first) < lead:
            self.advance()
            partial = self.partial
        return partial

    def finish(self) -> Partial:
        """Make every line still missing: the session's own timeline."""
        with self.busy:
            while not self.partial.whole:
                self.advance()
            return self.partial


def pinned(words: Phrases, timeline: Timeline) -> Phrases:
    """``words`` saying the minutes the intro of ``timeline`` says, whatever the length."""
    said = {c.text for c in timeline.cues if c.text is not None}
    guess = max(1, math.floor(timeline.duration / 60 + 0.5))
    for minutes in (guess, guess - 1, guess + 1):
        if minutes < 1 or words.about_minutes(minutes) not in said:
            continue
        text = words.about_minutes(minutes)
        kept = replace(words, minutes=(text.replace("{", "{{").replace("}", "}}"),))
        if kept.about_minutes(minutes + 7) == text:
            return kept
    return words


def _same(x: float, y: float) -> bool:
    return abs(x - y) <= SAME
