"""A long session plays with no drift: ten minutes on the null sink, its last cues on time.

tests/routines/cli/long-session.yaml at pace 200 lasts a little over ten minutes. It is
exported, then played by the real ``matcue play`` into a private PulseAudio null sink while
parec records the sink's monitor in real time. The lag between the export and the recording is
measured on the first minute only; every cue of the last two minutes must then start within
±20 ms of its planned time, so a player that drifted (a clock that ran slow or fast, a cue
scheduled late) would fail.

A take lasts about eleven minutes of real time, so it does not hold the other tests up: when
the run includes this test, conftest's ``long_session_takes`` starts the takes on a thread of
their own as the run begins, on a PulseAudio server and with a speech cache of their own (no
other test hears them or sees their cache), and this test, run last, waits for them. Deselect
it locally with ``-m "not slow"``; CI runs it (``scripts/bench.py --long`` does the same for
a two-hour session).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audio_helpers import clean_take, without_alsa_notes
from conftest import PulseServer, private_pulse, stop_pulse
from long_play import Background, LongTake, envelope_of, play_and_measure, prepare, smooth
from test_e2e_play import TOLERANCE, locate

ROUTINE = Path(__file__).parent / "routines" / "cli" / "long-session.yaml"
PACE = "200"
CHECKED = 120.0  # seconds at the end of the session whose cues are checked
TAKES = 2  # a take the machine disturbed is played once more; then the test fails


def on_time(measured: LongTake) -> None:
    """The check of a take: it played to the end, and every cue it checked was on time."""
    assert measured.code == 0, measured.stderr
    shown = without_alsa_notes(measured.stderr)
    assert shown.startswith("Playing Long session (10:"), measured.stderr
    assert len(measured.cues) >= 100  # the last two minutes hold many cues
    late = measured.late(TOLERANCE)
    assert not late, "cues not where planned at the end of the session:\n" + "\n".join(
        f"{c.t:8.3f}s {c.name!r}: heard at {c.t + c.shift:.3f}s, r={c.corr:.2f}" for c in late
    )


class LongSessionTakes:
    """The takes of the ten-minute session, played on a thread of their own from now on."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.notes: list[str] = []  # why a take was discarded, or its server ended
        self._server: PulseServer | None = None
        self._cancelled = threading.Event()
        self.outcome: Background[LongTake] = Background(self._play)

    def _play(self) -> LongTake:
        cache = self.folder / "speech-cache"
        cache.mkdir()
        # the speech and the export are made at the lowest priority: the other tests run now
        plan, wav = prepare(ROUTINE, PACE, cache, self.folder, nice=19)
        assert plan["duration_s"] >= 600  # at least ten minutes of sound
        check_from = plan["duration_s"] - CHECKED

        def take() -> LongTake:
            # each take on a server of its own: one that a take found dead says so in the notes
            # and does not spoil the next take
            with private_pulse() as server:
                self._server = server
                if self._cancelled.is_set():
                    pytest.fail("the run ended before the long session was played", pytrace=False)
                try:
                    return play_and_measure(
                        server, ROUTINE, PACE, cache, self.folder, plan, wav, check_from
                    )
                finally:
                    died = server.exited()
                    if died is not None:
                        self.notes.append(f"the take's server ended during it: {died}")

        # a take that fails its check while the machine disturbed it (an underrun, or CPU time
        # stolen: see clean_take) is played once more
        return clean_take(take, TAKES, check=on_time, report=self.notes.append)

    def cancel(self) -> None:
        """Stop playing (the run is over before this test ran): the server goes, so the player
        and the recorder end at once."""
        self._cancelled.set()
        if self._server is not None:
            stop_pulse(self._server)
        self.outcome.join(timeout=30)


@pytest.mark.audio
@pytest.mark.slow
@pytest.mark.timeout(TAKES * 20 * 60)  # started with the run: it waits here for what is left
def test_a_ten_minute_session_ends_with_every_cue_on_time(
    long_session_takes: LongSessionTakes | None,
) -> None:
    assert long_session_takes is not None, "conftest did not start the takes"
    try:
        measured = long_session_takes.outcome.result()
    finally:
        for note in long_session_takes.notes:
            print(note)
    print(
        f"{measured.plan['duration_s'] / 60:.1f} min session, lag {measured.lag:.3f} s; "
        f"{len(measured.cues)} cues in its last {CHECKED:.0f} s, "
        f"worst {measured.worst * 1000:.1f} ms off"
    )


def clicks(rate: int, seconds: float, every: float, stretch: float = 1.0) -> Iterator[Any]:
    """Blocks of a ``seconds``-long signal at ``rate`` with a short burst every ``every``
    seconds (``stretch`` > 1 plays them that much slower, as a drifting clock would)."""
    block = rate * 5
    burst = (8000 * np.sin(np.arange(round(0.05 * rate)) * 0.3)).astype(np.int16)
    starts = [round(k * every * stretch * rate) for k in range(int(seconds / every))]
    for first in range(0, round(seconds * rate), block):
        out = np.zeros(block, dtype=np.int16)
        for s in starts:
            if first - burst.size < s < first + block:
                lo, hi = max(s, first), min(s + burst.size, first + block)
                out[lo - first : hi - first] = burst[lo - s : hi - s]
        yield out


@pytest.mark.parametrize(("stretch", "off"), [(1.0, 0.0), (1.0001, 0.060)])
def test_the_yardstick_sees_drift_and_only_drift(stretch: float, off: float) -> None:
    """Envelopes at 22,050 and 48,000 Hz stay in step over ten minutes; 100 ppm is caught."""
    reference = smooth(envelope_of(clicks(22050, 610, 7.3), 22050))
    heard = smooth(envelope_of(clicks(48000, 610, 7.3, stretch), 48000))
    shift, corr = locate(reference, heard, 82 * 7.3, 0.0)  # the last burst, at 598.6 s
    assert shift == pytest.approx(off, abs=0.002)
    assert corr > 0.99
