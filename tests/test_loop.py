"""The session loop in virtual time: what a listener hears, and when, after each command.

The fake "renderer" fills every phase with its own number (phase ``k`` is all ``k + 1``), so the
tape the recording device keeps tells which phase sounds at each moment; a spoken answer is
0.05 s of ``-1`` per line, the confirmation tick 0.05 s of ``-2``. Commands come from a script
at virtual seconds; the clock moves only while the loop waits, so every assertion is exact and
no test takes more than a fraction of a second, however busy the machine is.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from matcue.audio.units import seconds_to_frames
from matcue.errors import AudioDeviceError
from matcue.playback import transport as tp
from matcue.playback.commands import Commands
from matcue.playback.device import DEVICE_LOST, SILENCE_AFTER
from matcue.playback.loop import Hooks, Session, SessionInterrupted, SessionResult
from matcue.playback.stream import Track
from matcue.playback.transport import Command as C
from matcue.routine import load_routine
from matcue.timeline import ENGLISH, Pace, Timeline, compile
from matcue.timeline.phrases import sentence
from virtual import CLOSE, DRAIN, INTERRUPT, RecordingDevice, Script, VirtualClock

RATE = 8000
ROUTINE = Path(__file__).parent / "routines" / "cli" / "short-session.yaml"
Pcm = npt.NDArray[np.int16]
LINE = 0.05  # seconds of each spoken line
TICK = -2
SAID = -1


def speech_len(text: str) -> float:
    return 0.3 * len(text.split())


def compile_at(pace: float) -> Timeline:
    return compile(load_routine(ROUTINE), Pace(percent=pace), speech_len, keys=True)


def render_from(timeline: Timeline, frame: int) -> Pcm:
    total = seconds_to_frames(timeline.duration, RATE)
    out = np.zeros(total, dtype=np.int16)
    for k, phase in enumerate(timeline.phases):
        out[seconds_to_frames(phase.t, RATE) : seconds_to_frames(phase.end, RATE)] = k + 1
    return out[frame:].copy()


class Run:
    """One session played in virtual time."""

    def __init__(
        self,
        events: list[tuple[float, C | str]],
        *,
        start: float = 0.0,
        render: object = render_from,
        lost_after: float | None = None,
        pcm: Pcm | None = None,
    ) -> None:
        self.said: list[tuple[str, ...]] = []
        self.clock = VirtualClock(RATE)
        self.device = RecordingDevice(self.clock, RATE, lost_after=lost_after)
        self.script = Script(self.clock, events)
        self.timeline = compile_at(100)
        rendered = render if callable(render) else render_from
        base = seconds_to_frames(start, RATE)
        self.pcm = rendered(self.timeline, base) if pcm is None else pcm
        self.track = Track(self.timeline, self.pcm, base)
        hooks = Hooks(compile_at, rendered, self.say, ENGLISH)
        self.session = Session(
            self.track,
            RATE,
            hooks,
            commands=self.script,
            device=self.device,
            clock=self.clock,
            start=start,
            background=lambda work: work(),
        )

    def say(self, lines: tuple[str, ...], tick: bool) -> Pcm:
        self.said.append(lines)
        tone = np.full(round(LINE * RATE) * int(tick), TICK, dtype=np.int16)
        words = np.full(round(LINE * RATE) * len(lines), SAID, dtype=np.int16)
        return np.concatenate([tone, words])

    def play(self) -> SessionResult:
        self.session.prepare()  # what must answer at once is said here, before the session
        self.prepared = len(self.said)
        return self.session.run()

    @property
    def answers(self) -> list[tuple[str, ...]]:
        """What was made to be said after the start (not the answers prepared before it)."""
        return self.said[self.prepared :]

    def runs(self, start: float = 0.0, end: float | None = None) -> list[tuple[float, int, float]]:
        """The tape from ``start`` as (when, value, seconds) runs, silence included."""
        tape = self.device.heard(start, end)
        if tape.ndim == 2:
            tape = tape[:, 0]
        out: list[tuple[float, int, float]] = []
        i = 0
        while i < tape.shape[0]:
            j = (
                i + int(np.argmax(tape[i:] != tape[i]))
                if (tape[i:] != tape[i]).any()
                else len(tape)
            )
            out.append((round(start + i / RATE, 4), int(tape[i]), round((j - i) / RATE, 4)))
            i = j
        return out


def phase(k: int) -> int:
    """The tape's value while phase ``k`` sounds."""
    return k + 1


def test_with_no_command_the_listener_hears_the_whole_track_exactly() -> None:
    run = Run([])
    result = run.play()
    assert result.ending == "finished"
    assert result.position == pytest.approx(run.timeline.duration)
    n = run.pcm.shape[0]
    assert np.array_equal(run.device.tape[:n], run.pcm.astype(np.int32))
    assert not run.device.tape[n:].any()
    assert result.exercises == 3
    assert result.reps == len(tp.rep_ends(run.timeline))
    assert len(run.device.streams) == 1  # one buffer, no seams


def test_pause_silences_at_once_and_resume_replays_the_interrupted_phase() -> None:
    tl = compile_at(100)
    k = tp.phase_index(tl, 11.0)  # an inhale of the first exercise
    run = Run([(11.0, C.PAUSE), (20.0, C.PAUSE), (30.0, C.QUIT)])
    run.play()
    runs = run.runs(10.5, 30.0)
    # phase k until the pause, the tick at 11.0, then silence until the resume at 20.0
    assert runs[0] == (10.5, phase(k), 0.5)
    assert runs[1] == (11.0, TICK, LINE)
    assert runs[2] == (11.05, 0, 8.95)
    # "Resuming. Three. Two. One." and phase k again from its start, whole
    assert runs[3] == (20.0, SAID, 4 * LINE)
    assert runs[4] == (20.2, phase(k), round(tl.phases[k].end - tl.phases[k].t, 4))
    assert ("Resuming.", "Three.", "Two.", "One.") in run.said


def test_next_skips_to_the_next_exercise_and_back_twice_goes_to_the_one_before() -> None:
    tl = compile_at(100)
    first = tp.phase_index(tl, tp.exercise_start(tl, 1))
    second = tp.phase_index(tl, tp.exercise_start(tl, 2))
    third = tp.phase_index(tl, tp.exercise_start(tl, 3))
    events = [(9.0, C.NEXT), (10.0, C.NEXT), (11.0, C.BACK), (11.5, C.BACK), (12.5, C.BACK)]
    run = Run([*events, (13.0, C.QUIT)])
    run.play()
    runs = run.runs(9.0, 13.0)
    assert [(t, v) for t, v, _ in runs] == [
        (9.0, TICK),
        (9.05, phase(second)),  # n: the next exercise, from its "Next: ..." line
        (10.0, TICK),
        (10.05, phase(third)),  # n again
        (11.0, TICK),
        (11.05, phase(third)),  # b: back to the start of this exercise
        (11.5, TICK),
        (11.55, phase(second)),  # b again within two seconds: the exercise before
        (12.5, TICK),
        (12.55, phase(first)),  # and again
    ]


def test_back_after_two_seconds_restarts_the_same_exercise() -> None:
    tl = compile_at(100)
    second = tp.phase_index(tl, tp.exercise_start(tl, 2))
    run = Run([(19.0, C.BACK), (21.5, C.BACK), (23.0, C.QUIT)])
    run.play()
    starts = [(t, v) for t, v, _ in run.runs(19.0, 23.0) if v > 0]
    assert starts == [(19.05, phase(second)), (21.55, phase(second))]


def test_repeat_goes_back_to_the_start_of_the_set() -> None:
    tl = compile_at(100)
    rep = tp.set_start(tl, 13.0)
    assert rep is not None
    k = tp.phase_index(tl, rep)
    run = Run([(13.0, C.REPEAT), (15.0, C.QUIT)])
    run.play()
    runs = run.runs(13.0, 15.0)
    assert runs[0] == (13.0, SAID, LINE)
    assert runs[1][:2] == (13.05, phase(k))
    assert run.answers == [(sentence(ENGLISH.controls.repeat_set),)]


def test_repeat_in_the_intro_says_there_is_nothing_to_repeat_and_plays_on() -> None:
    run = Run([(2.0, C.REPEAT), (3.0, C.QUIT)])
    run.play()
    assert len(run.device.streams) == 3  # the session, the spoken answer over it, the quit line
    assert run.runs(1.9, 2.0) == [(1.9, phase(0), 0.1)]
    assert run.device.heard(2.0, 2.05).max() == phase(0) - 1  # the answer (-1) over the intro
    assert run.answers == [(sentence(ENGLISH.controls.nothing_to_repeat),)]


def test_where_and_help_speak_then_replay_the_phase_from_its_start() -> None:
    tl = compile_at(100)
    k = tp.phase_index(tl, 21.0)  # the right knee's hold
    run = Run([(21.0, C.WHERE), (30.0, C.HELP), (40.0, C.QUIT)])
    run.play()
    where = tp.where_lines(tl, 21.0, ENGLISH)
    assert run.answers[0] == where
    runs = run.runs(21.0, 30.0)
    assert runs[0] == (21.0, SAID, round(len(where) * LINE, 4))
    assert runs[1][:2] == (round(21.0 + len(where) * LINE, 4), phase(k))
    assert run.answers[1] == ENGLISH.controls.key_list


def test_faster_splices_the_new_pace_in_at_the_next_phase_boundary() -> None:
    old, new = compile_at(100), compile_at(110)
    k = tp.next_boundary(old, 21.0)
    assert k is not None
    boundary = old.phases[k].t
    run = Run([(21.0, C.FASTER)])
    result = run.play()
    assert result.ending == "finished"
    assert result.timeline.pace.percent == 110
    runs = run.runs(boundary - 0.5)
    # the old phase to the boundary, then "Pace one hundred ten." and phase k at the new pace
    assert runs[0] == (round(boundary - 0.5, 4), phase(k - 1), 0.5)
    assert runs[1] == (round(boundary, 4), SAID, LINE)
    assert runs[2] == (round(boundary + LINE, 4), phase(k), round(new.phases[k].dur, 4))
    assert ("Pace one hundred ten.",) in run.said
    # the rest of the session at the new pace: it ends when the new timeline says
    end = boundary + LINE + new.duration - new.phases[k].t
    assert run.device.last_sound() == pytest.approx(end, abs=2 / RATE)
    assert end < old.duration


def test_a_pace_command_while_paused_takes_effect_on_resume() -> None:
    run = Run([(0.3, C.PAUSE), (0.5, C.FASTER), (0.8, C.PAUSE), (1.3, C.QUIT)])
    result = run.play()
    assert result.ending == "quit"
    new = compile_at(110)
    assert ("Pace one hundred ten.", "Resuming.", "Three.", "Two.", "One.") in run.said
    runs = run.runs(0.8, 1.3)
    assert runs[0] == (0.8, SAID, 5 * LINE)
    assert runs[1][:2] == (1.05, phase(0))  # paused in the intro: resumed from its start
    assert result.timeline.pace.percent == 110 == new.pace.percent


def test_quit_says_so_then_ends_with_its_place() -> None:
    tl = compile_at(100)
    run = Run([(21.0, C.QUIT)])
    result = run.play()
    assert result.ending == "quit"
    assert result.position == pytest.approx(21.0, abs=1 / RATE)
    assert tp.resume_exercise(result.timeline, result.position) == 2
    assert run.answers == []  # the quit line was made before the session: it answers at once
    runs = run.runs(20.9)
    assert runs[0] == (20.9, phase(tp.phase_index(tl, 20.9)), 0.1)
    assert runs[1] == (21.0, 0, DRAIN)  # silence while the stopped stream drains
    assert runs[2] == (21.1, SAID, LINE)  # the quit line alone, then nothing
    assert runs[3:] == [] or (runs[3][1] == 0 and len(runs) == 4)
    assert (result.exercises, result.reps) == (1, 1)  # the first knee hug is not done yet


def test_pain_stop_is_silent_at_once_and_says_what_to_do() -> None:
    run = Run([(12.5, C.PAIN)])
    result = run.play()
    assert result.ending == "pain"
    assert run.runs(12.4, 12.5)[0][1] > 0
    runs = run.runs(12.5)
    assert runs[0] == (12.5, 0, DRAIN)
    lines = len(ENGLISH.controls.pain_stop)
    assert runs[1] == (12.6, SAID, round(lines * LINE, 4))  # only the pain-stop words
    assert runs[2:] == [] or (runs[2][1] == 0 and len(runs) == 3)


def test_ctrl_c_stops_the_sound_and_reports_where_the_session_was() -> None:
    run = Run([(25.0, INTERRUPT)])
    with pytest.raises(SessionInterrupted) as stop:
        run.play()
    result = stop.value.result
    assert result.ending == "interrupted"
    assert result.position == pytest.approx(25.0, abs=1 / RATE)
    assert run.device.heard(24.9, 25.0).all()
    assert not run.device.heard(25.0).any()  # silenced before the stop: the drain is silent
    assert all(not s.is_playing() for s in run.device.streams)


def test_paused_with_no_source_left_ends_as_a_quit() -> None:
    run = Run([(5.0, C.PAUSE), (6.0, CLOSE)])
    result = run.play()
    assert result.ending == "quit"
    assert result.position == pytest.approx(5.0, abs=1 / RATE)
    assert run.clock.now() < 6.5


def test_paused_while_a_source_is_open_waits_to_be_resumed() -> None:
    tl = compile_at(100)
    run = Run([(5.0, C.PAUSE), (300.0, C.PAUSE)])
    result = run.play()
    assert result.ending == "finished"
    assert not run.device.heard(5.05, 300.0).any()
    assert run.runs(300.0)[1][1] == phase(tp.phase_index(tl, 5.0))


def test_a_closed_source_without_a_pause_plays_to_the_end() -> None:
    run = Run([(1.0, CLOSE)])
    assert run.play().ending == "finished"


def test_a_device_that_gives_up_early_is_one_sentence() -> None:
    run = Run([], lost_after=10.0)
    with pytest.raises(AudioDeviceError) as err:
        run.play()
    assert str(err.value) == DEVICE_LOST


def test_back_from_a_later_start_renders_what_came_before() -> None:
    tl = compile_at(100)
    start = tp.exercise_start(tl, 2)
    run = Run([(0.3, C.BACK), (0.6, C.BACK), (1.0, C.QUIT)], start=start)
    result = run.play()
    assert result.ending == "quit"
    index = {p.t: k for k, p in enumerate(tl.phases)}
    firsts = [
        int(s.at_start[s.at_start > 0][0]) - 1 for s in run.device.streams if (s.at_start > 0).any()
    ]
    assert firsts == [
        index[start],  # --from 2
        index[start],  # back: the start of this exercise
        index[tp.exercise_start(tl, 1)],  # twice quickly: the one before
    ]
    assert tp.exercise_at(result.timeline, result.position) == 1


def test_the_session_track_is_left_as_it_was() -> None:
    """Stopping silences the buffer the device reads; the frames are put back afterwards."""
    run = Run([(0.0, C.PAUSE), (0.4, C.PAIN)])
    original = run.pcm.copy()
    assert run.play().ending == "pain"
    assert run.device.streams[0].stopped_at == 0
    assert np.array_equal(run.pcm, original)


def test_a_stereo_session_counts_frames_and_silences_both_ears() -> None:
    """With ``--stereo`` the track is ``(frames, 2)``: the position is in frames (not
    samples), a pause silences both channels, and the spoken prefix (mono here) is put in
    both ears of the stream that resumes."""

    def stereo_from(timeline: Timeline, frame: int) -> Pcm:
        mono = render_from(timeline, frame)
        return np.stack([mono, mono * 2], axis=1)

    run = Run([(0.4, C.PAUSE), (0.7, C.PAUSE), (1.2, C.QUIT)], render=stereo_from)
    original = run.pcm.copy()
    result = run.play()
    assert result.ending == "quit"
    tape = run.device.tape
    assert tape.ndim == 2
    a = seconds_to_frames(0.4, RATE)
    assert np.array_equal(tape[a - 100 : a, 1], tape[a - 100 : a, 0] * 2)
    assert not tape[a + round(LINE * RATE) : seconds_to_frames(0.7, RATE)].any()  # both ears
    first = run.device.streams[0]
    assert first.buf.shape == run.pcm.shape
    after = a + seconds_to_frames(SILENCE_AFTER + 0.2, RATE)  # well after: untouched
    assert np.array_equal(first.buf[after:], run.pcm[after:])
    resumed = run.device.streams[2].at_start
    assert resumed.ndim == 2
    prefix = resumed[resumed[:, 0] < 0]
    assert prefix.shape[0] == 4 * round(LINE * RATE) and np.array_equal(prefix[:, 0], prefix[:, 1])
    body = resumed[resumed[:, 0] > 0]
    assert np.array_equal(body[:, 1], body[:, 0] * 2)
    # resumed at 0.7 from the intro's start after four lines: 0.3 s in (frames / rate)
    assert result.position == pytest.approx(1.2 - 0.7 - 4 * LINE, abs=1 / RATE)
    assert np.array_equal(run.pcm, original)


def test_the_drain_after_a_stop_is_silent_because_the_loop_silences_first() -> None:
    """The recording device drains like simpleaudio: a stop without silencing would leak."""
    run = Run([(3.0, C.PAUSE)])
    run.script.events.append((4.0, CLOSE))
    run.play()
    stream = run.device.streams[0]
    assert stream.stopped_at == seconds_to_frames(3.0, RATE)
    assert stream.read == seconds_to_frames(3.0 + DRAIN, RATE)  # it did read on ...
    assert not run.device.heard(3.0 + LINE, 4.0).any()  # ... and heard nothing


# --- the real command queue ------------------------------------------------------------------


def test_the_queue_is_open_while_any_source_is() -> None:
    commands = Commands()
    keys, media = commands.source("keys"), commands.source("media")
    assert commands.open
    keys.put(C.PAUSE)
    media.put(C.NEXT)
    assert commands.take(1.0) == [C.PAUSE, C.NEXT]
    keys.close()
    keys.put(C.QUIT)  # a closed source sends nothing
    assert commands.open
    assert commands.take(0.0) == []
    media.close()
    assert not commands.open


def test_a_source_closing_wakes_a_waiting_loop() -> None:
    import threading

    commands = Commands()
    keys = commands.source("keys")
    threading.Timer(0.05, keys.close).start()
    assert commands.take(30.0) == []  # returns when the source closes, not after 30 s
    assert not commands.open
