"""Helpers for the audio tests (and ``scripts/bench.py``).

Analysis: bursts and onsets, alignment, frequency. All take mono int16 (or float) samples and a
rate, and answer in seconds. A recording and its source are compared after :func:`align` has
found the constant delay between them (output latency, recorder start), so what is checked is
timing *within* the session.

Playing: the real ``matcue play`` on the private PulseAudio server (``conftest.pulse``) while
``parec`` records its sink, the environment it plays in, a take typed on a pseudo-terminal
(:func:`keyed_play`), and :func:`clean_take`, which plays again when a take failed its check
while the machine disturbed it (an ALSA underrun, stolen CPU time).
"""

from __future__ import annotations

import itertools
import os
import pty
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pytest

from conftest import PulseServer, Recording

Signal = npt.NDArray[np.int16] | npt.NDArray[np.float32] | npt.NDArray[np.float64]


@dataclass(frozen=True)
class Burst:
    """A stretch of sound: from the first to the last sample above the threshold."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def bursts(x: Signal, rate: int, fraction: float = 0.25, min_gap: float = 0.05) -> list[Burst]:
    """Every burst of sound in ``x``.

    A sample belongs to a burst when its magnitude reaches ``fraction`` of the loudest sample;
    bursts separated by less than ``min_gap`` seconds of quiet are one burst (so a tone's zero
    crossings do not split it).
    """
    a = np.abs(np.asarray(x, dtype=np.float64))
    if a.size == 0 or a.max() == 0:
        return []
    loud = np.nonzero(a >= fraction * a.max())[0]
    breaks = np.diff(loud) >= min_gap * rate
    starts = loud[np.r_[True, breaks]]
    ends = loud[np.r_[breaks, True]]
    return [Burst(s / rate, (e + 1) / rate) for s, e in zip(starts, ends, strict=True)]


def onsets(x: Signal, rate: int, fraction: float = 0.25, min_gap: float = 0.05) -> list[float]:
    """The start of every burst, in seconds."""
    return [b.start for b in bursts(x, rate, fraction, min_gap)]


def active_span(x: Signal, rate: int, fraction: float = 0.25) -> Burst:
    """From the first to the last sample at ``fraction`` of the peak or louder."""
    found = bursts(x, rate, fraction, min_gap=float("inf"))
    if not found:
        raise AssertionError("the signal is silent")
    return found[0]


def envelope(x: Signal, rate: int, step: float = 0.001) -> npt.NDArray[np.float64]:
    """RMS level in consecutive windows of ``step`` seconds."""
    n = max(1, round(step * rate))
    a = np.asarray(x, dtype=np.float64)
    a = a[: a.size // n * n].reshape(-1, n)
    rms: npt.NDArray[np.float64] = np.sqrt(np.mean(a * a, axis=1))
    return rms


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


def envelope_lag(
    reference: npt.NDArray[np.float64], recording: npt.NDArray[np.float64], step: float
) -> float:
    """Seconds by which the envelope ``recording`` lags the envelope ``reference`` (one value
    every ``step`` seconds): the peak of their normalised cross-correlation."""
    ref = (reference - reference.mean()) / reference.std()
    rec = (recording - recording.mean()) / recording.std()
    size = 1 << int(np.ceil(np.log2(ref.size + rec.size)))
    corr = np.fft.irfft(np.fft.rfft(rec, size) * np.conj(np.fft.rfft(ref, size)), size)
    lag = int(np.argmax(corr))
    if lag > size // 2:
        lag -= size
    return lag * step


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


# --- playing matcue on the private server ------------------------------------------------------

MATCUE = Path(sys.executable).with_name("matcue")
SHORT_SESSION = Path(__file__).parent / "routines" / "cli" / "short-session.yaml"
UNDERRUN = "underrun occurred"  # ALSA's note when the playback thread did not keep up
# ``matcue play`` as the playback tests run it: --debug shows ALSA's own notes on stderr
# ("matcue: ALSA: ...", an underrun among them), which matcue keeps off the terminal otherwise.
PLAY = ("--debug", "play")
ALSA_NOTE = "matcue: ALSA: "  # how --debug shows each of ALSA's notes, on a line of its own


def without_alsa_notes(stderr: str) -> str:
    """A take's ``stderr`` as a user sees it: without the ALSA notes that ``--debug`` adds (a
    disturbed take, kept because it passed its check, has underruns among them)."""
    lines = stderr.splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith(ALSA_NOTE))


# ALSA's default device as the fixture sets it (PulseAudio), and with PulseAudio's own underflows
# (the server found no sound to play: everything after comes late) reported as ALSA underruns,
# so that a take the machine disturbed says so on stderr like any other underrun.
ASOUNDRC = """\
pcm.!default {
    type pulse
    handle_underrun true
}
ctl.!default { type pulse }
"""

# For a timing take: PulseAudio holds two seconds of the stream (libpulse reads this) instead
# of the ~0.1 s simpleaudio asks for, so that a virtual machine's scheduling stalls (seen on CI:
# a quarter-second buffer ran dry under 8 % and 38 % stolen CPU time) do not run it dry. The
# constant latency is taken out by align(); a take that measures how fast the sound stops, or
# what a key does, keeps the small buffer.
RIDE_OUT_STALLS = {"PULSE_LATENCY_MSEC": "2000"}


def matcue_env(base: Mapping[str, str], **extra: str) -> dict[str, str]:
    """``base`` without what would change how matcue runs (``MATCUE_DEBUG``, ``PYTHONPATH``),
    with ``extra``."""
    env = {k: v for k, v in base.items() if k not in ("MATCUE_DEBUG", "PYTHONPATH")}
    return {**env, **extra}


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


def player_env(server: PulseServer, cache: Path, home: Path, **extra: str) -> dict[str, str]:
    """The environment to play in on ``server``: the speech cache ``cache``, and a ``home``
    whose .asoundrc reports PulseAudio's underflows as underruns (:data:`ASOUNDRC`)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / ".asoundrc").write_text(ASOUNDRC)
    return matcue_env(server.env, MATCUE_CACHE_DIR=str(cache), HOME=str(home), **extra)


def run_matcue(
    args: Sequence[str], env: Mapping[str, str], timeout: float = 120, nice: int = 0
) -> subprocess.CompletedProcess[str]:
    """``matcue ARGS`` to its end, no terminal; stdout and stderr as text. ``nice`` > 0 runs it
    at that lower priority (work in the background of other tests)."""
    niced = ["nice", "-n", str(nice)] if nice else []
    return subprocess.run(
        [*niced, str(MATCUE), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_matcue(args: Sequence[str], env: Mapping[str, str]) -> tuple[subprocess.Popen[str], str]:
    """``matcue ARGS`` started with no terminal, once it has printed its first line on stderr
    ("Playing …", once the device has the sound): the process, and that line."""
    child = subprocess.Popen(
        [str(MATCUE), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None
    return child, child.stderr.readline()


DISTURBED = 0.03  # the share of the CPU time stolen that makes a take a disturbed one
SETTLED = (2.0, 20.0)  # seconds in a row with less stolen than that, waited for before every
CALM = (10.0, 60.0)  # take (for 20 s at most), and before a failed, disturbed one is played again
CALM_BUDGET = 180.0  # seconds a whole test run may spend waiting so (CI stays well under 30 min)
PLAYING_TIMEOUT = 600  # seconds: the timeout of a test that plays through clean_take
_waiting = threading.Lock()
_waited = [0.0]  # seconds the run has spent waiting for calm so far


def stolen() -> float:
    """Seconds of CPU time the hypervisor has taken from this machine since boot (all CPUs)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


def stderr_underruns(take: Any) -> int:
    """The underruns ALSA reported in a take's ``stderr`` (``matcue --debug`` shows them)."""
    return str(take.stderr).count(UNDERRUN)


def stolen_share(since_stolen: float, since: float) -> float:
    """The share of the CPU time the hypervisor took since ``since`` (``time.monotonic()``),
    when :func:`stolen` said ``since_stolen``."""
    elapsed = max(time.monotonic() - since, 1e-9)
    return (stolen() - since_stolen) / (elapsed * (os.cpu_count() or 1))


def wait_for_calm(seconds: float, longest: float) -> bool:
    """Wait until ``seconds`` pass in a row with less than ``DISTURBED`` of the CPU time stolen
    (measured each second), for ``longest`` seconds at most, and only until the run has spent
    ``CALM_BUDGET`` seconds waiting in all; whether it is calm. On a virtual machine
    steal comes in spells of minutes, and a take played in one of them is a take wasted."""
    began = last = calm_since = time.monotonic()
    mark = stolen()
    try:
        while last - began < longest:
            with _waiting:
                if _waited[0] + (last - began) >= CALM_BUDGET:
                    return False
            time.sleep(min(1.0, seconds))
            now, taken = time.monotonic(), stolen()
            if (taken - mark) / ((now - last) * (os.cpu_count() or 1)) >= DISTURBED:
                calm_since = now
            elif now - calm_since >= seconds:
                return True
            mark, last = taken, now
        return False
    finally:
        with _waiting:
            _waited[0] += time.monotonic() - began


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
    """The first ``take()`` that passes ``check(take)``; one that fails it is played again (at
    most ``attempts`` takes in all) if the machine disturbed it, and fails the test at once if
    it did not.

    Disturbed means ALSA reported an underrun during the take, or the hypervisor took
    ``DISTURBED`` or more of the CPU time. When the machine stalls the playback thread for
    more than its buffer, the device runs dry and everything after comes late by the stall; a
    stall just short of that (the sound server's buffer, the recorder's, a key typed late)
    goes unreported but can still move what a real-time ``check`` measures. Either is a fault
    of the machine, not of the player, so it excuses a failed check. A stall only delays
    sound or leaves a gap in it, so a disturbed take that passes its check is kept, and
    ``report`` says so. On a virtual machine steal comes in spells of minutes: every take
    waits for ``SETTLED`` seconds of calm first, and one played again for ``CALM`` seconds
    (see :func:`wait_for_calm`, which gives up once the run's ``CALM_BUDGET`` is spent);
    ``before_retry`` clears what a discarded take left behind (e.g. its session history);
    ``report`` is told why each take was discarded.
    """
    notes = []
    for attempt in range(attempts):
        calm = wait_for_calm(*(CALM if attempt else SETTLED))
        if attempt and before_retry is not None:
            before_retry()
        before, began = stolen(), time.monotonic()
        result = take()
        share = stolen_share(before, began)
        count = underruns(result)
        disturbance = f"{count} underruns, {share:.0%} CPU time stolen" + (
            "" if calm else " (played with no calm spell found before it)"
        )
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


@dataclass(frozen=True)
class KeyTake:
    """One ``matcue play`` under the keys, recorded."""

    code: int
    stderr: str
    recording: npt.NDArray[np.int16]
    rate: int
    keys: list[tuple[float, bytes]]  # seconds after "Playing …", key bytes

    @property
    def lag(self) -> float:
        """Recording time of session time 0: the start bell's onset."""
        return onsets(self.recording, self.rate, fraction=0.05)[0]

    def at(self, t: float) -> int:
        return round(t * self.rate)


def keyed_play(
    recorder: Callable[[], Recording],
    env: Mapping[str, str],
    script: Sequence[tuple[float, bytes]],
    args: Sequence[str] = (),
    timeout: float = 90,
) -> KeyTake:
    """``matcue play`` of the short test session with stdin a pseudo-terminal, recorded by
    ``recorder()``; each ``(delay, key)`` of ``script`` is typed ``delay`` seconds after
    "Playing …" appeared."""
    rec = recorder()
    master, slave = pty.openpty()
    child = subprocess.Popen(
        [str(MATCUE), *PLAY, str(SHORT_SESSION), *args],
        env=env,
        stdin=slave,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(slave)
    try:
        assert child.stderr is not None
        line = child.stderr.readline()
        started = time.monotonic()
        assert line.startswith("Playing Short session"), line
        sent = []
        for delay, key in script:
            time.sleep(max(0.0, started + delay - time.monotonic()))
            os.write(master, key)
            sent.append((time.monotonic() - started, key))
        code = child.wait(timeout=timeout)
        err = child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(master)
    return KeyTake(code, line + err, rec.stop(tail=1.0), rec.rate, sent)
