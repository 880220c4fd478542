"""The parts of a session rendered while it plays.

Before the first sound only the first ``FIRST_PART`` seconds are rendered (to a phase
boundary); the rest is rendered in the background, and while lines are still being made
(:mod:`matcue.api.ahead`) each part ends where the session is exact so far. Every part is a
:class:`~matcue.playback.Track` with ``more`` until the last; the session loop splices each
in where the one before ends (:mod:`matcue.playback.growing`).

Every part is rendered with the same :class:`~matcue.audio.levels.MixLevels`, worked out
once over the session: so the parts join up sample for sample, as one render would. While
lines are missing they are worked out from the part that is exact (its lines and tones, as a
session of its own: for the built-in routines' intros the lines come out 0.1 to 0.7 dB under
the session's own, never over); once every line is made, the later parts take the session's
own.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from matcue.api.ahead import Lines, Partial
from matcue.api.model import SESSION_RATE, Session
from matcue.api.session import clips, levels_of
from matcue.audio.clip import Clip
from matcue.audio.levels import MixLevels
from matcue.audio.units import seconds_to_frames
from matcue.playback.stream import Track
from matcue.timeline import Timeline

Pcm = npt.NDArray[np.int16]
FIRST_PART = 30.0  # seconds of session rendered before the first sound, at least
RENDER_AHEAD = 15.0  # seconds: a part is rendered once the sound is this near the end of the
# last one (not at once: the start of the sound keeps the cores; and the later a part is
# rendered, the likelier every line is made by then, and it takes the session's own levels)
IDLE = 0.1  # seconds between looks at where the sound is, when there is only that to do
BACKGROUND_NICE = 10  # the thread making lines and parts yields the cores to the sound
Render = Callable[[Timeline, int, int, MixLevels, int], Pcm]  # timeline, from, to, mix, workers


@dataclass(frozen=True)
class Part:
    """What a part of ``timeline`` was rendered with, to render it again from another frame."""

    timeline: Timeline
    end: int  # frames: where the part ends (no further is made)
    lo: int  # frames: nothing before this can be rendered yet
    mix: MixLevels


class Grower:
    """The session's parts: :meth:`first` before the sound starts, then :meth:`step` (a line
    made, a part rendered) on a thread of its own (:meth:`start`) or, ``inline``, once each
    time the loop asks for the next part (:meth:`take`: virtual time)."""

    def __init__(
        self,
        partial: Partial,
        lines: Lines | None,
        render: Render,
        levels: Callable[[Timeline, float], MixLevels],
        rate: int,
        *,
        inline: bool = False,
        note: Callable[[str], object] | None = None,
    ) -> None:
        self.partial = partial
        self.lines = lines
        self.render = render
        self.levels = levels
        self.rate = rate
        self.inline = inline
        self.note = note
        self.mix = levels(partial.timeline, partial.at(partial.exact))
        self.exact = partial.whole  # the mix is the session's own
        self.exact_from: int | None = None  # the first frame rendered with it
        self.parts: dict[int, Part] = {}
        self.ready: deque[Track] = deque()
        self.to = partial.first  # the phase the parts rendered so far end at
        self.playhead: Callable[[], float] | None = None  # where the session is (seconds)
        self.idle = False  # the last step did nothing
        self.stopped = threading.Event()
        self.error: BaseException | None = None
        self._began = time.monotonic()

    def _frames(self, seconds: float) -> int:
        return seconds_to_frames(seconds, self.rate)

    def _part(self, partial: Partial, start: int, upto: int, workers: int) -> Track:
        """Render ``partial`` from frame ``start`` to phase ``upto``."""
        timeline = partial.timeline
        end = self._frames(partial.at(upto))
        lo = 0 if partial.whole or partial.first == 0 else self._frames(partial.at(partial.first))
        self.parts[id(timeline)] = Part(timeline, end, lo, self.mix)
        if self.exact and self.exact_from is None:
            self.exact_from = start
        pcm = self.render(timeline, start, end, self.mix, workers)
        self.to = upto
        return Track(timeline, pcm, start, upto < len(timeline.phases), lo)

    def first(self, start: float, workers: int) -> Track:
        """The first part, from ``start`` seconds: ``FIRST_PART`` seconds to a phase boundary
        (or all that is exact, if less)."""
        p = self.partial
        upto = p.first
        while upto < p.exact and p.at(upto) < start + FIRST_PART:
            upto += 1
        return self._part(p, self._frames(start), upto, workers)

    def again(self, timeline: Timeline, start: int, workers: int) -> Pcm | None:
        """``timeline`` (a part's) rendered again from ``start`` to its part's end; None if it
        is not a part's."""
        part = self.parts.get(id(timeline))
        if part is None:
            return None
        return self.render(timeline, start, part.end, part.mix, workers)

    @property
    def done(self) -> bool:
        return self.partial.whole and self.to >= len(self.partial.timeline.phases)

    def step(self) -> bool:
        """Make a line (compiling again when it is time) and render the part that has become
        exact, if any; False once the whole session is rendered."""
        if self.done:
            return False
        lines = self.lines
        self.idle = lines is None or self.partial.whole  # nothing to make: only to render
        if not self.idle and lines is not None:
            lines.advance()
            if lines.partial is not self.partial:
                self.partial = lines.partial
                if self.partial.whole:
                    self.mix = self.levels(self.partial.timeline, self.partial.timeline.duration)
                    self.exact = True
                    if self.note is not None:
                        took = time.monotonic() - self._began
                        self.note(f"all {len(lines.made)} lines made, {took:.2f} s after the start")
        p = self.partial
        if p.exact > self.to and self._near(p):
            self.ready.append(self._part(p, self._frames(p.at(self.to)), p.exact, 0))
            self.idle = False
        return not self.done

    def _near(self, partial: Partial) -> bool:
        """Whether the sound is near the end of what is rendered (or no one says where it is)."""
        if self.playhead is None:
            return True
        return partial.at(self.to) - self.playhead() < RENDER_AHEAD

    def take(self) -> Track | None:
        """The next part, once rendered (None: not yet)."""
        if self.error is not None:
            raise self.error
        if self.inline and not self.stopped.is_set():
            self.step()
        return self.ready.popleft() if self.ready else None

    def start(self) -> None:
        """Make and render the rest on a thread of its own (until :meth:`stop`)."""

        def work() -> None:
            with contextlib.suppress(OSError, AttributeError):  # Linux: this thread only
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
            try:
                while not self.stopped.is_set() and self.step():
                    if self.idle:  # waiting for the sound to near the end of what is made
                        self.stopped.wait(IDLE)
            except BaseException as err:  # raised again by take(), in the loop
                self.error = err

        threading.Thread(target=work, name="matcue-parts", daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()


class Renders:
    """How the parts of a played session are rendered: with only the lines made, and the
    levels given. ``lock`` guards the voice; ``options``: the render's stereo and music."""

    def __init__(
        self,
        session: Session,
        lock: threading.Lock,
        options: Callable[[Timeline], dict[str, object]],
    ) -> None:
        self.session = session
        self._lock = lock
        self.options = options

    def made(self, timeline: Timeline) -> tuple[Timeline, dict[str, Clip] | None]:
        """``timeline`` with only the lines made (all but in a session still making them),
        and those lines' clips (None: the voice's, every line)."""
        lines = self.session.lines
        if lines is None:
            return timeline, None
        made = dict(lines.made)
        cues = tuple(c for c in timeline.cues if c.text is None or c.text in made)
        return replace(timeline, cues=cues), made

    def levels(self, timeline: Timeline, until: float) -> MixLevels:
        """The levels of ``timeline`` as far as ``until`` seconds (where it is exact): all of
        it, the session's own; less, those of a session of just that part (its lines come out
        a little under the session's own)."""
        from matcue.audio.render import mix_levels

        timeline, speech, sounds = self._inputs(timeline, until)
        return mix_levels(
            timeline,
            speech,
            sounds,
            SESSION_RATE,
            levels=levels_of(self.session),
            levels_cache=self.session.levels_cache,
            music=self.options(timeline)["music"],  # type: ignore[arg-type]
        )

    def _inputs(
        self, timeline: Timeline, until: float | None = None
    ) -> tuple[Timeline, dict[str, Clip], dict[str, Clip]]:
        """``timeline`` with only the lines made (and cues before ``until``, if less than
        all of it), and its speech and sound clips: what both renders start from."""
        timeline, made = self.made(timeline)
        if until is not None and until < timeline.duration:
            timeline = replace(timeline, cues=tuple(c for c in timeline.cues if c.t < until))
        speech, sounds = self.clips(timeline, made)
        return timeline, speech, sounds

    def clips(
        self, timeline: Timeline, made: dict[str, Clip] | None
    ) -> tuple[dict[str, Clip], dict[str, Clip]]:
        if made is None:
            with self._lock:
                return clips(timeline, self.session.speech)
        from matcue.audio.tones import load_sounds

        texts = {c.text for c in timeline.cues if c.text is not None}
        return {t: made[t] for t in texts}, load_sounds(SESSION_RATE)

    def part(
        self, timeline: Timeline, start: int, end: int, mix: MixLevels, workers: int
    ) -> npt.NDArray[np.int16]:
        """Frames ``start`` to ``end`` of ``timeline``, rendered with ``mix``."""
        from matcue.audio import render_chunks

        timeline, speech, sounds = self._inputs(timeline)
        options = self.options(timeline)
        blocks = []
        left = end - start
        chunks = render_chunks(
            timeline,
            speech,
            sounds,
            SESSION_RATE,
            levels=levels_of(self.session),
            levels_cache=self.session.levels_cache,
            start=start,
            workers=workers,
            mix=mix,
            **options,  # type: ignore[arg-type]
        )
        try:
            for block in chunks:
                if left <= 0:
                    break
                blocks.append(block[:left])
                left -= block.shape[0]
        finally:
            chunks.close()  # type: ignore[attr-defined]
        if not blocks:
            stereo = bool(options["stereo"])
            return np.zeros((0, 2) if stereo else 0, dtype=np.int16)
        return np.concatenate(blocks)
