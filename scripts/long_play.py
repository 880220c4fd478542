"""Play a long session into a private null sink and measure how far its cues drift.

Used by ``scripts/bench.py`` (``--long``: two hours by default; the full run: ten minutes).
Nothing here holds a whole session in memory as samples: the export and the recording are
reduced block by block to their RMS envelopes (one value a millisecond, exactly, at either
rate), and the cues are located on those, as tests/test_e2e_play.py does for the short
session.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile as sf

from measure import MATCH, STEP, Envelope, envelope_lag, exact_envelope, locate, smooth
from pulse import PLAY, RIDE_OUT_STALLS, PulseServer, Recording, matcue_env, player_env, run_matcue

BLOCK_SECONDS = 10  # whole milliseconds at any integer rate
ALIGN_SECONDS = 60.0  # the lag is measured on the session's first minute only


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


def envelope_of(blocks: Iterable[npt.NDArray[Any]], rate: int) -> Envelope:
    """The millisecond RMS envelope of a stream of sample blocks."""
    size = rate * BLOCK_SECONDS
    parts: list[Envelope] = []
    pending = np.zeros(0, dtype=np.float64)
    for block in blocks:
        pending = np.concatenate([pending, block.astype(np.float64)])
        while pending.size >= size:
            parts.append(exact_envelope(pending[:size], rate, STEP))
            pending = pending[size:]
    parts.append(exact_envelope(pending, rate, STEP))
    return np.concatenate(parts)


def wav_blocks(path: Path) -> Iterator[npt.NDArray[np.int16]]:
    yield from sf.blocks(str(path), blocksize=65536, dtype="int16")


def raw_blocks(path: Path) -> Iterator[npt.NDArray[np.int16]]:
    data = np.memmap(path, dtype="<i2", mode="r")
    for i in range(0, data.size, 1 << 20):
        yield np.array(data[i : i + (1 << 20)], dtype=np.int16)


def lag_at_start(reference: Envelope, recording: Envelope) -> float:
    """Seconds by which the recording lags the reference, from the first minute of each."""
    n = round(ALIGN_SECONDS / STEP)
    return envelope_lag(reference[:n], recording[: n + round(30 / STEP)], STEP)


def prepare(routine: Path, pace: str, cache: Path, work: Path) -> tuple[dict[str, Any], Path]:
    """``matcue plan --export --json`` (the script an exported file says: the one `play` says
    without a terminal) and a WAV ``matcue export`` of the session."""
    env = matcue_env(os.environ, MATCUE_CACHE_DIR=str(cache))
    planned = run_matcue(["plan", str(routine), "--export", "--json", "--pace", pace], env, 600)
    if planned.returncode:
        raise RuntimeError(f"matcue plan failed: {planned.stderr}")
    wav = work / "session.wav"
    args = ["export", str(routine), "-o", str(wav), "--pace", pace, "-q"]
    exported = run_matcue(args, env, 1200)
    if exported.returncode:
        raise RuntimeError(f"matcue export failed: {exported.stderr}")
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
        rec.close()
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
