"""Play a session: a :class:`Player` takes commands while it plays and reports how it ended.

The player renders the session (from a start exercise), then runs the session loop
(:mod:`matcue.playback.loop`) with a device, a clock and a command queue — the real ones unless
given (a test gives a recording device, a virtual clock and a script). Commands come from any
source: :meth:`Player.press` from the caller, the terminal's keys through a source of
:attr:`Player.commands`, media keys. A live pace change re-compiles the session with
``replace(pace, percent=new)``, so holds, rests, breath, reps, sets, week, count and breath
words all stay, and renders the rest with the same stereo and music.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from matcue.api.model import SESSION_RATE, Session
from matcue.api.session import clips, sound_options
from matcue.playback import transport as tp
from matcue.playback.commands import Commands, Inbox, Source
from matcue.playback.nowplaying import NowPlaying, now_playing
from matcue.playback.transport import Command
from matcue.routine import Routine
from matcue.timeline import Timeline, compile, phrases_for, spoken

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from matcue.api.growing import Grower
    from matcue.playback import Clock, Device, SessionResult
    from matcue.playback.loop import Session as Loop
    from matcue.playback.mpris import MediaKeys


class Player:
    """One session played once. ``run()`` plays it in this thread (Ctrl-C ends it with
    ``SessionInterrupted``, which carries the result); ``start()`` plays it on a thread of its
    own, ``wait()`` returns the result. ``press()`` gives it a command from any thread.

    ``exercise``: start at this exercise (1-based) instead of the intro. ``answers``: make the
    spoken answers to pause, quit and the pain stop as the session starts, so they come at
    once (whenever a command can come). ``device``, ``clock``, ``commands``, ``background``:
    replace the real ones (tests). ``status``: called with a one-line status four times a
    second; ``on_start``: once the sound has started.

    ``inline``: render the later parts of the session (and make its lines, for a session
    prepared ``at_once``) in the loop's own thread, a step each time it looks, instead of on a
    thread of their own (by default: when a ``clock`` is given, virtual time).

    ``media_keys``: publish the session to the desktop's media controls (MPRIS on the session
    D-Bus at ``bus``, an address; None: :func:`session_bus`'s) while it plays, so that media
    keys and headphone buttons pause, skip and stop it; without a bus it plays on, and
    ``note`` hears why in one line.
    """

    def __init__(
        self,
        session: Session,
        *,
        exercise: int | None = None,
        answers: bool = True,
        device: Device | None = None,
        clock: Clock | None = None,
        commands: Inbox | None = None,
        background: Callable[[Callable[[], None]], object] | None = None,
        status: Callable[[str], object] | None = None,
        on_start: Callable[[], object] | None = None,
        media_keys: bool = False,
        bus: str | None = None,
        note: Callable[[str], object] | None = None,
        inline: bool | None = None,
    ) -> None:
        self.session = session
        self.exercise = exercise
        self.answers = answers
        self.queue = Commands()
        self.commands: Inbox = commands if commands is not None else self.queue
        self._device = device
        self._clock = clock
        self._background = background
        self._status = status
        self._on_start = on_start
        self.media_keys = media_keys
        self._bus = bus
        self._note = note
        self._caller: Source | None = None
        self._loop: Loop | None = None
        self._ended = False
        self._thread: threading.Thread | None = None
        self._outcome: SessionResult | BaseException | None = None
        self._sound: dict[str, object] | None = None
        # the speech engine is used from the pace thread, and the one making lines, too
        self._lock = session.lines.lock if session.lines is not None else threading.Lock()
        self._inline = clock is not None if inline is None else inline
        self._grower: Grower | None = None

    @property
    def start_time(self) -> float:
        """Seconds into the session where it starts (the exercise's "Next: ..." line)."""
        if self.exercise is None:
            return 0.0
        return tp.exercise_start(self.session.timeline, self.exercise)

    def source(self, name: str) -> Source:
        """A new source of commands (the terminal's keys, media keys)."""
        return self.queue.source(name)

    def press(self, command: Command | str) -> None:
        """Give the session a command: a :class:`~matcue.playback.transport.Command` or its
        value (``"pause"``, ``"next"``, ``"back"``, ``"repeat"``, ``"faster"``, ``"slower"``,
        ``"where"``, ``"help"``, ``"quit"``, ``"pain"``)."""
        with self._lock:
            if self._caller is None:
                self._caller = self.queue.source("caller")
        self._caller.put(Command(command))

    def status(self) -> str:
        """Where the session is: exercise, rep, phase, time left, pace ("" before it starts)."""
        loop = self._loop
        if loop is None:
            return ""
        return tp.status_text(
            loop.track.timeline, loop.position(loop.now()), loop.state.pace, loop.state.paused
        )

    def now_playing(self) -> NowPlaying | None:
        """The track (the chapter), its title with the rep and side, where in it the session
        is, paused or not: what the media controls show (None before the session starts)."""
        loop = self._loop
        if loop is None:
            return None
        now = loop.now()
        return now_playing(
            loop.track.timeline,
            loop.position(now),
            pace=loop.state.pace,
            paused=loop.state.paused,
            finished=self._ended or loop.state.finished,
            when=now,
        )

    # -- playing ---------------------------------------------------------------------------

    def run(self) -> SessionResult:
        """Play to the end (or a quit, a pain stop, Ctrl-C) in this thread."""
        from matcue.playback import Hooks
        from matcue.playback.device import Simpleaudio
        from matcue.playback.loop import Session as Loop

        session = self.session
        grower = self._grower = self._parts()
        # before playing: the first part, levelled by worker threads
        from matcue.audio.render import FIT_WORKERS

        track = grower.first(self.start_time, FIT_WORKERS)
        words = phrases_for(session.routine.language)
        hooks = Hooks(self._at_pace, self._render, self._say, words, grower.take)
        device = self._device if self._device is not None else Simpleaudio()
        loop = Loop(
            track,
            SESSION_RATE,
            hooks,
            commands=self.commands,
            device=device,
            clock=self._clock,
            start=self.start_time,
            status=self._status,
            background=self._background,
            on_late=self._late,
        )

        def started() -> None:
            if self._on_start is not None:
                self._on_start()
            if self.answers:  # once the sound has started: making them need not delay it
                loop.prepare()

        loop.on_start = started
        self._loop = loop
        grower.playhead = lambda: loop.position(loop.now())
        media = self._media_keys()
        if not self._inline:
            grower.start()
        try:
            return loop.run()
        finally:
            grower.stop()
            self._ended = True
            self.queue.end()  # a media key waiting for the session goes on
            if media is not None:
                media.close()

    def _media_keys(self) -> MediaKeys | None:
        if not self.media_keys:
            return None
        address = self._bus if self._bus is not None else session_bus()
        if address is None:
            if self._note is not None:
                self._note("media keys off: no session D-Bus (DBUS_SESSION_BUS_ADDRESS unset)")
            return None
        from matcue.playback.mpris import MediaKeys

        return MediaKeys(self, self.queue, address, note=self._note).start()

    def start(self) -> None:
        """Play on a thread of its own; :meth:`wait` for the result."""
        with self._lock:
            if self._caller is None:  # the caller can resume a pause: the session waits
                self._caller = self.queue.source("caller")

        def play() -> None:
            try:
                self._outcome = self.run()
            except BaseException as err:  # handed to wait()
                self._outcome = err

        self._thread = threading.Thread(target=play, name="matcue-player", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> SessionResult | None:
        """The result once the session has ended (None if ``timeout`` passed first); what
        ended it with an error is raised here."""
        if self._thread is None:
            raise RuntimeError("the player was not started")
        self._thread.join(timeout)
        if self._thread.is_alive():
            return None
        if self._caller is not None:
            self._caller.close()
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        return self._outcome

    # -- what the loop needs -----------------------------------------------------------------

    def _speech_len(self, text: str) -> float:
        with self._lock:
            return self.session.speech.clip(text).duration

    def _at_pace(self, percent: float) -> Timeline:
        session = self.session
        timeline = session.timeline
        if session.lines is not None:  # every line, made now: the session's own timeline
            timeline = replace(session.lines.finish().timeline)  # (a copy: not a part's)
        compile_at = at_pace(
            session.routine,
            timeline,
            self._speech_len,
            keys=session.keys,
            media_keys=session.media_keys,
        )
        return compile_at(percent)

    def _render(self, timeline: Timeline, frame: int, workers: int = 0) -> npt.NDArray[np.int16]:
        # renders while the session plays level their clips on their own thread only
        # (workers=0): the levelling threads would take the cores the player and the sound
        # server need
        again = self._grower.again(timeline, frame, workers) if self._grower else None
        if again is not None:  # a part of the session: to its end, with its levels
            return again
        return self._mix(timeline, start=frame, workers=workers, **self._options(timeline))

    def _options(self, timeline: Timeline | None = None) -> dict[str, object]:
        """The renders' stereo and music (the music measured as far as ``timeline`` plays)."""
        if self._sound is None:  # stereo and the music, read once for every render of the session
            self._sound = sound_options(self.session)
        if timeline is not None:
            from matcue.audio.music import Music, reach

            music = self._sound["music"]
            # a slower pace (or a session longer than estimated) plays more of long music:
            # measured as it comes
            if isinstance(music, Music):
                self._sound["music"] = reach(music, math.ceil(timeline.duration * SESSION_RATE))
        return self._sound

    def _parts(self) -> Grower:
        from matcue.api.ahead import Partial
        from matcue.api.growing import Grower, Renders

        session = self.session
        lines = session.lines
        if lines is not None:
            partial = lines.partial
        else:
            timeline = session.timeline
            first = tp.phase_index(timeline, self.start_time)
            partial = Partial(timeline, first, len(timeline.phases), True)
        renders = Renders(session, self._lock, self._options)
        return Grower(
            partial,
            lines,
            renders.part,
            renders.levels,
            SESSION_RATE,
            inline=self._inline,
            note=self._note,
        )

    def _late(self, count: int) -> None:
        if self._note is not None:
            self._note(f"a line was late: the session waited for it ({count} so far)")

    @property
    def exact_from(self) -> int | None:
        """The first frame played at the session's own levels (before it, while lines were
        still being made, at the level of the lines made so far); None before the start."""
        return self._grower.exact_from if self._grower is not None else None

    @property
    def late(self) -> int:
        """How many times the session reached a line not made yet, and waited for it."""
        return self._loop.late if self._loop is not None else 0

    def _say(self, lines: tuple[str, ...], tick: bool) -> npt.NDArray[np.int16]:
        """Lines (after a tick) in the session's channels, without the music (it goes on
        after the words)."""
        timeline = spoken(lines, self._speech_len, tone="tick" if tick else None)
        return self._mix(timeline, stereo=self.session.stereo)

    def _mix(self, timeline: Timeline, **options: Any) -> npt.NDArray[np.int16]:
        from matcue.audio import SESSION_LEVELS, render

        with self._lock:
            parts = clips(timeline, self.session.speech)
        levels_cache = self.session.levels_cache
        options.setdefault("workers", 0)
        return render(
            timeline,
            *parts,
            SESSION_RATE,
            levels=replace(SESSION_LEVELS, voice=self.session.volume),
            levels_cache=levels_cache,
            **options,
        )


def at_pace(
    routine: Routine,
    timeline: Timeline,
    speech_len: Callable[[str], float],
    *,
    keys: bool,
    media_keys: bool = False,
) -> Callable[[float], Timeline]:
    """The live pace change: ``timeline``'s routine re-compiled at another percent with every
    other pace setting kept (``replace(pace, percent=...)``: holds, rests, rest, breath, reps,
    sets, week, count, breath words, level). ``keys``, ``media_keys``: the intro says the keys
    and the media keys, as before."""

    def compile_at(percent: float) -> Timeline:
        if percent == timeline.pace.percent:
            return timeline
        pace = replace(timeline.pace, percent=percent)
        return compile(routine, pace, speech_len, keys=keys, media_keys=media_keys)

    return compile_at


def session_bus(environ: Mapping[str, str] | None = None) -> str | None:
    """The session D-Bus's address for the media keys (``DBUS_SESSION_BUS_ADDRESS``, else
    ``$XDG_RUNTIME_DIR/bus``), read from ``environ`` (None: the process's); None when there is
    no bus matcue can use."""
    from matcue.playback.mpris_map import bus_address

    return bus_address(os.environ if environ is None else environ)
