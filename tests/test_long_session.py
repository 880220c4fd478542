"""A long session plays with no drift: ten minutes on the null sink, its last cues on time.

tests/routines/cli/long-session.yaml at pace 200 lasts a little over ten minutes. It is
exported, then played by the real ``matcue play`` into the private PulseAudio null sink while
parec records the sink's monitor in real time. The lag between the export and the recording is
measured on the first minute only; every cue of the last two minutes must then start within
±20 ms of its planned time, so a player that drifted (a clock that ran slow or fast, a cue
scheduled late) would fail. This takes real time, about eleven minutes a take: deselect it
locally with ``-m "not slow"``; CI runs it (``scripts/bench.py --long`` does the same for a
two-hour session).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audio_helpers import clean_take
from conftest import PulseServer
from long_play import envelope_of, play_and_measure, prepare, smooth
from test_e2e_play import TOLERANCE, locate

ROUTINE = Path(__file__).parent / "routines" / "cli" / "long-session.yaml"
PACE = "200"
CHECKED = 120.0  # seconds at the end of the session whose cues are checked


@pytest.mark.audio
@pytest.mark.slow
@pytest.mark.timeout(2 * 20 * 60)  # two takes of eleven minutes at most: CI stays near 30 min
def test_a_ten_minute_session_ends_with_every_cue_on_time(
    pulse: PulseServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    cache = tmp_path_factory.getbasetemp() / "speech-cache"  # shared with the other CLI tests
    cache.mkdir(exist_ok=True)
    work = tmp_path_factory.mktemp("long")
    plan, wav = prepare(ROUTINE, PACE, cache, work)
    duration = plan["duration_s"]
    assert duration >= 600  # at least ten minutes of sound

    def on_time(measured: Any) -> None:
        assert measured.code == 0, measured.stderr
        assert measured.stderr.startswith("Playing Long session (10:"), measured.stderr
        assert len(measured.cues) >= 100  # the last two minutes hold many cues
        late = measured.late(TOLERANCE)
        print(
            f"{duration / 60:.1f} min session, lag {measured.lag:.3f} s; {len(measured.cues)} "
            f"cues in its last {CHECKED:.0f} s, worst {measured.worst * 1000:.1f} ms off"
        )
        assert not late, "cues not where planned at the end of the session:\n" + "\n".join(
            f"{c.t:8.3f}s {c.name!r}: heard at {c.t + c.shift:.3f}s, r={c.corr:.2f}" for c in late
        )

    # a take the hypervisor disturbed (an underrun, or a check failing while it stole CPU time:
    # see clean_take) is played once more
    clean_take(
        lambda: play_and_measure(
            pulse, ROUTINE, PACE, cache, work, plan, wav, check_from=duration - CHECKED
        ),
        attempts=2,
        check=on_time,
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
