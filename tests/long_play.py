"""Play a long session into a private null sink and measure how far its cues drift.

Shared by the ten-minute capture test (tests/test_long_session.py) and the two-hour run of
``scripts/bench.py --long``. Nothing here holds a whole session in memory as samples: the
export and the recording are reduced block by block to their RMS envelopes (one value a
millisecond, exactly, at either rate), and the cues are located on those, as
tests/test_e2e_play.py does for the short session.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt
import soundfile as sf

from audio_helpers import PLAY, RIDE_OUT_STALLS, envelope_lag, matcue_env, player_env, run_matcue
from conftest import PulseServer, Recording
from test_e2e_play import MATCH, STEP, locate

SMOOTH_MS = 10  # as smooth_envelope in tests/test_e2e_play.py
BLOCK_SECONDS = 10  # whole milliseconds at any integer rate
ALIGN_SECONDS = 60.0  # the lag is measured on the session's first minute only

Envelope = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CueTiming:
    t: float  # planned, seconds from the session start
    name: str
    shift: float  # heard at t + shift
    corr: float


@dataclass(frozen=True)
class LongTake:
    code: int
    stderr: str
    plan: dict[str, Any]
    lag: float  # seconds from the export's start to the recording's, from the first minute
    cues: tuple[CueTiming, ...]  # the cues checked, in order

    def late(self, tolerance: float) -> list[CueTiming]:
        return [c for c in self.cues if abs(c.shift) > tolerance or c.corr < MATCH]

    @property
    def worst(self) -> float:
        return max((abs(c.shift) for c in self.cues), default=0.0)


def _ms_envelope(x: npt.NDArray[Any], rate: int) -> Envelope:
    """RMS over each whole millisecond of ``x`` (fractional sample edges interpolated)."""
    squares = np.square(x.astype(np.float64))
    cumulative = np.concatenate([[0.0], np.cumsum(squares)])
    per_ms = rate * STEP
    n = math.floor(x.size / per_ms + 1e-6)  # 220500 // 22.05 is 9999.0 in floating point
    edges = np.interp(np.arange(n + 1) * per_ms, np.arange(cumulative.size), cumulative)
    energy: Envelope = np.sqrt(np.maximum(np.diff(edges), 0.0) / per_ms)
    return energy


def envelope_of(blocks: Iterable[npt.NDArray[Any]], rate: int) -> Envelope:
    """The millisecond RMS envelope of a stream of sample blocks."""
    size = rate * BLOCK_SECONDS
    parts: list[Envelope] = []
    pending = np.zeros(0, dtype=np.float64)
    for block in blocks:
        pending = np.concatenate([pending, block.astype(np.float64)])
        while pending.size >= size:
            parts.append(_ms_envelope(pending[:size], rate))
            pending = pending[size:]
    parts.append(_ms_envelope(pending, rate))
    return np.concatenate(parts)


def wav_blocks(path: Path) -> Iterator[npt.NDArray[np.int16]]:
    yield from sf.blocks(str(path), blocksize=65536, dtype="int16")


def raw_blocks(path: Path) -> Iterator[npt.NDArray[np.int16]]:
    data = np.memmap(path, dtype="<i2", mode="r")
    for i in range(0, data.size, 1 << 20):
        yield np.array(data[i : i + (1 << 20)], dtype=np.int16)


def smooth(env: Envelope) -> Envelope:
    smoothed: Envelope = np.convolve(env, np.ones(SMOOTH_MS) / SMOOTH_MS, mode="same")
    return smoothed


def lag_at_start(reference: Envelope, recording: Envelope) -> float:
    """Seconds by which the recording lags the reference, from the first minute of each."""
    n = round(ALIGN_SECONDS / STEP)
    return envelope_lag(reference[:n], recording[: n + round(30 / STEP)], STEP)


def prepare(
    routine: Path, pace: str, cache: Path, work: Path, nice: int = 0
) -> tuple[dict[str, Any], Path]:
    """``matcue plan --json`` and a WAV ``matcue export`` of the session (at priority ``nice``:
    see ``run_matcue``)."""
    env = matcue_env(os.environ, MATCUE_CACHE_DIR=str(cache))
    planned = run_matcue(["plan", str(routine), "--json", "--pace", pace], env, 600, nice)
    assert planned.returncode == 0, planned.stderr
    wav = work / "session.wav"
    args = ["export", str(routine), "-o", str(wav), "--pace", pace, "-q"]
    exported = run_matcue(args, env, 1200, nice)
    assert exported.returncode == 0, exported.stderr
    plan: dict[str, Any] = json.loads(planned.stdout)
    return plan, wav


def play_and_measure(
    server: PulseServer,
    routine: Path,
    pace: str,
    cache: Path,
    work: Path,
    plan: dict[str, Any],
    wav: Path,
    check_from: float,
) -> LongTake:
    """Play the session on ``server`` while recording its sink; locate every cue planned at
    ``check_from`` seconds or later against the export."""
    env = player_env(server, cache, work / "home", **RIDE_OUT_STALLS)
    path = work / f"capture-{time.monotonic_ns()}.raw"
    rec = Recording(server, path)
    try:
        args = [*PLAY, str(routine), "--pace", pace]
        done = run_matcue(args, env, plan["duration_s"] + 300)
        time.sleep(0.5)  # the end bell's tail is still on its way to the sink
    finally:
        rec._end()
    try:
        reference = smooth(envelope_of(wav_blocks(wav), sf.info(str(wav)).samplerate))
        heard = smooth(envelope_of(raw_blocks(path), server.rate))
    finally:
        path.unlink(missing_ok=True)
    lag = lag_at_start(reference, heard)
    cues = []
    for cue in plan["cues"]:
        if cue["t"] < check_from:
            continue
        shift, corr = locate(reference, heard, cue["t"], lag)
        cues.append(CueTiming(cue["t"], cue.get("text") or f"[{cue['sound']}]", shift, corr))
    return LongTake(done.returncode, done.stderr, plan, lag, tuple(cues))


T = TypeVar("T")


class Background(Generic[T]):
    """``work()`` on a thread of its own, started at once (e.g. a ten-minute take that plays
    while the other tests run). :meth:`result` waits for it, then returns what it returned or
    raises what it raised (a ``pytest.fail`` included)."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work
        self._value: list[T] = []  # its one item, once work() has returned
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="matcue-background", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value.append(self._work())
        except BaseException as error:  # pytest.fail raises a BaseException: hand it on too
            self._error = error

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value[0]

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
