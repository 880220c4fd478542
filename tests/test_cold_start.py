"""A session that starts before its lines are made (issue #17), in virtual time.

The voice here speaks every line as a tone (its own pitch per line) and takes virtual time to
make each one, so the session loop plays on while the lines are still being made, as a slow
engine would make them. What the listener hears is compared with the session rendered at once
with every line's real length (an export): every sound starts where that plan puts it, no
line is late, and from where the session's own levels take over, the sound is the export's
sample for sample.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from matcue import api
from matcue.api import SESSION_RATE, Player, Session
from matcue.api.ahead import Lines
from matcue.api.growing import FIRST_PART
from matcue.audio import Clip
from matcue.audio.levels_cache import LevelsCache
from matcue.playback.transport import Command as C
from matcue.routine import Routine, load_routine
from matcue.timeline import Pace, Timeline
from matcue.timeline.estimate import estimated_length
from matcue.voice import VoiceSettings
from virtual import RecordingDevice, Script, VirtualClock

ROUTINE = Path(__file__).parent / "routines" / "cli" / "short-session.yaml"
RATE = SESSION_RATE
TOLERANCE = 0.020  # seconds: how close every sound must start to the plan's time


class SlowVoice:
    """Speaks a line as a tone of ``length(text)`` seconds, taking ``cost`` seconds of virtual
    time to make it (the session plays on meanwhile: the device reads as the clock moves)."""

    def __init__(
        self, clock: VirtualClock, cost: float, length: Callable[[str], float] = estimated_length
    ) -> None:
        self.settings = VoiceSettings()
        self.clock = clock
        self.cost = cost
        self.length = length
        self.made: dict[str, Clip] = {}

    def clip(self, text: str) -> Clip:
        if text not in self.made:
            self.clock.advance_to(self.clock.frame + round(self.cost * RATE))
            n = max(1, round(self.length(text) * RATE))
            pitch = 180.0 + zlib.crc32(text.encode()) % 400
            t = np.arange(n) / RATE
            edge = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)
            wave = 0.4 * np.sin(2 * np.pi * pitch * t) * edge
            self.made[text] = Clip(wave.astype(np.float32), RATE)
        return self.made[text]

    def cached(self, text: str) -> Clip | None:
        return None  # a cold cache: nothing made before the session

    def clips(self, texts: object) -> dict[str, Clip]:
        return {text: self.clip(text) for text in texts}  # type: ignore[attr-defined]


class Cold:
    """One cold session played in virtual time by the real Player."""

    def __init__(
        self,
        tmp: Path,
        *,
        cost: float = 0.05,
        length: Callable[[str], float] = estimated_length,
        exercise: int | None = None,
        events: list[tuple[float, C | str]] | None = None,  # seconds after the start
        status: Callable[[str], object] | None = None,
    ) -> None:
        self.routine: Routine = load_routine(ROUTINE)
        self.clock = VirtualClock(RATE)
        self.voice = SlowVoice(self.clock, cost, length)
        self.lines = Lines(self.routine, Pace(), self.voice, exercise=exercise)  # type: ignore[arg-type]
        self.lines.ready(lead=5.0)
        self.session = Session(
            self.routine,
            self.voice,  # type: ignore[arg-type]
            self.lines.partial.timeline,
            False,
            levels_cache=LevelsCache(tmp / "cache"),
            lines=self.lines,
        )
        self.device = RecordingDevice(self.clock, RATE)
        self.made_at_start = -1
        self.player = Player(
            self.session,
            exercise=exercise,
            answers=False,
            device=self.device,
            clock=self.clock,
            commands=Script(self.clock, [(t + self.clock.now(), e) for t, e in events or []]),
            background=lambda work: work(),  # a pace change's work at once, in virtual time
            on_start=self._started,
            status=None if status is None else lambda line: status(f"{self.since()} {line}"),
        )
        self.result = self.player.run()

    def since(self) -> float:
        """Seconds since the session started."""
        return self.clock.now() - self.device.streams[0].start / RATE

    def _started(self) -> None:
        self.made_at_start = len(self.voice.made)

    @property
    def plan(self) -> Timeline:
        """The re-compiled plan: every line made, the intro's minutes kept."""
        return self.lines.finish().timeline

    def heard(self) -> npt.NDArray[np.int32]:
        """The tape from the session's first frame."""
        return self.device.tape[self.device.streams[0].start :]

    def export(self) -> npt.NDArray[np.int16]:
        """The same session rendered at once, every length known (what export writes)."""
        whole = Session(
            self.routine,
            self.voice,
            self.plan,
            False,
            levels_cache=self.session.levels_cache,  # type: ignore[arg-type]
        )
        return api.render(whole)


def starts(pcm: npt.NDArray[np.integer], gap: float = 0.02) -> list[int]:
    """Frames where sound starts after at least ``gap`` seconds of silence."""
    loud = np.flatnonzero(pcm != 0)
    if loud.size == 0:
        return []
    jumps = np.flatnonzero(np.diff(loud) > gap * RATE)
    return [int(loud[0]), *(int(loud[j + 1]) for j in jumps)]


def onsets_match(heard: npt.NDArray[np.integer], want: npt.NDArray[np.integer]) -> None:
    got, expected = starts(heard), starts(want)
    assert len(got) == len(expected), (len(got), len(expected))
    worst = max(abs(a - b) for a, b in zip(got, expected, strict=True)) / RATE
    assert worst <= TOLERANCE, worst


def test_a_cold_session_starts_before_its_lines_are_made_and_lands_on_the_plan(
    tmp_path: Path,
) -> None:
    take = Cold(tmp_path)
    texts = {c.text for c in take.plan.cues if c.text is not None}
    assert 0 < take.made_at_start < len(texts) / 2  # it started with a few lines made
    assert take.result.ending == "finished"
    assert take.player.late == 0
    want = take.export()
    heard = take.heard()
    onsets_match(heard[: want.shape[0]], want)
    assert not heard[want.shape[0] :].any()
    # from where the session's own levels took over, the export's sound sample for sample
    switch = take.player.exact_from  # the end of the first part: all lines were made by then
    assert switch is not None and 0 < switch <= round((FIRST_PART + 5) * RATE)
    assert np.array_equal(heard[switch : want.shape[0]], want[switch:].astype(np.int32))
    # before it, the same sounds at the level of the lines made by then (within a decibel)
    ratio = np.sqrt(
        np.mean(heard[:switch].astype(float) ** 2) / np.mean(want[:switch].astype(float) ** 2)
    )
    assert abs(20 * math.log10(ratio)) < 1.0


def test_real_lengths_other_than_the_estimates_still_land_on_the_recompiled_plan(
    tmp_path: Path,
) -> None:
    def longer(text: str) -> float:  # 10-40 % longer than estimated, line by line
        return estimated_length(text) * (1.1 + (zlib.crc32(text.encode()) % 31) / 100)

    take = Cold(tmp_path, length=longer)
    assert take.result.ending == "finished" and take.player.late == 0
    want = take.export()
    assert take.plan.duration > take.lines.partial.timeline.duration - 1e-9
    onsets_match(take.heard()[: want.shape[0]], want)

    def intro(timeline: Timeline) -> list[str | None]:
        return [c.text for c in timeline.cues if c.t < timeline.phases[1].t]

    assert intro(take.plan) == intro(take.session.timeline)  # the intro's minutes stayed


def test_a_voice_slower_than_the_session_makes_it_wait_and_counts_the_late_line(
    tmp_path: Path,
) -> None:
    take = Cold(tmp_path, cost=1.5)  # 1.5 s a line: slower than the lines are said
    assert take.result.ending == "finished"
    assert take.player.late > 0
    want = take.export()
    heard = take.heard()
    # every sound of the plan is heard, in order, only later (the waits)
    assert len(starts(heard)) == len(starts(want))


def test_from_an_exercise_it_starts_there_and_plays_the_rest_of_the_plan(tmp_path: Path) -> None:
    take = Cold(tmp_path, exercise=2)
    assert take.result.ending == "finished" and take.player.late == 0
    want = take.export()
    begin = round(next(p.t for p in take.plan.phases if p.exercise == 2) * RATE)
    onsets_match(take.heard()[: want.shape[0] - begin], want[begin:])


def test_a_pace_change_while_lines_are_made_plays_on_at_the_new_pace(tmp_path: Path) -> None:
    take = Cold(tmp_path, cost=0.2, events=[(2.0, C.FASTER)])
    assert take.result.ending == "finished"
    assert take.result.timeline.pace.percent > 100
    assert take.player.late == 0


@pytest.mark.parametrize("exercise", [None, 2])
def test_the_first_compile_orders_the_lines_as_the_session_needs_them(
    tmp_path: Path, exercise: int | None
) -> None:
    clock = VirtualClock(RATE)
    voice = SlowVoice(clock, 0.0)
    lines = Lines(load_routine(ROUTINE), Pace(), voice, exercise=exercise)  # type: ignore[arg-type]
    lines.finish()
    timeline = lines.partial.timeline
    since = 0.0 if exercise is None else next(p.t for p in timeline.phases if p.exercise == 2)
    ahead = [c.text for c in timeline.cues if c.text is not None and c.t >= since]
    made = list(voice.made)
    assert made[: len(dict.fromkeys(ahead))][:5] == list(dict.fromkeys(ahead))[:5]


def test_next_past_what_is_made_waits_there_and_plays_on_from_that_exercise(
    tmp_path: Path,
) -> None:
    said: list[str] = []
    take = Cold(tmp_path, cost=0.3, events=[(1.0, C.NEXT)], status=said.append)
    assert take.result.ending == "finished" and take.player.late == 0  # a seek is not late
    # from the key on, even while it waited, it was where the key sent it
    shown = [line.split(" ", 1) for line in said]
    after = [line for when, line in shown if float(when) >= 1.0]
    assert after[0].startswith("1/3 Tilt"), shown[:6]
    want = starts(take.export())
    heard = starts(take.heard())
    begin = round(next(p.t for p in take.plan.phases if p.exercise == 1) * RATE)
    rest = [f for f in want if f > begin]  # after the exercise's first sound
    lag = heard[-1] - rest[-1]  # the end bell, heard later by the intro cut short and the wait
    worst = max(abs(h - lag - w) for h, w in zip(heard[-len(rest) :], rest, strict=True))
    assert worst <= TOLERANCE * RATE
