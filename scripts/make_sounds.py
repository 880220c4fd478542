#!/usr/bin/env python3
"""Synthesise matcue's tones into ``sounds/``: one 44.1 kHz 16-bit mono WAV per sound.

Deterministic (numpy only, no randomness), each exactly the length in
``matcue.timeline.sounds.SOUND_LENGTHS``, with smooth edges and peaks at 0.9 of full scale
(the renderer sets their level under the voice). Each is recognisable with eyes closed:

* inhale  soft rising sweep            * exhale  soft falling sweep
* tick    short wood-block click       * move    two-note chime (rising fifth)
* switch  quick high-low ping pair     * rest    soft low warm pad
* start   bright bell, natural decay   * end     long low bell

Usage::

    python scripts/make_sounds.py            # (re)write sounds/
    python scripts/make_sounds.py --out DIR  # write elsewhere
    python scripts/make_sounds.py --check    # exit 1 unless sounds/ holds exactly this
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf

from matcue.timeline.sounds import SOUND_LENGTHS, SoundName

RATE = 44100
PEAK = 0.9
SUBTYPE = "PCM_16"
EDGE = 0.004  # seconds of raised-cosine fade at both ends of every sound
TOLERANCE = 2  # 16-bit steps a sample may differ by in --check (libm differences)

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "sounds"

Signal = npt.NDArray[np.float64]


def frames(name: SoundName) -> int:
    """Exact frame count of sound ``name`` at RATE."""
    return round(SOUND_LENGTHS[name] * RATE)


def _time(n: int) -> Signal:
    return np.arange(n, dtype=np.float64) / RATE


def _rise(n: int, seconds: float) -> Signal:
    """0 → 1 raised cosine over ``seconds``, then 1."""
    k = min(n, max(1, round(seconds * RATE)))
    env = np.ones(n)
    env[:k] = 0.5 - 0.5 * np.cos(np.pi * np.arange(k) / k)
    return env


def _fall(n: int, seconds: float) -> Signal:
    """1, then 1 → 0 raised cosine over the last ``seconds`` (reaching 0 on the last frame)."""
    return _rise(n, seconds)[::-1].copy()


def _glide(n: int, f_start: float, f_end: float, partials: Sequence[float]) -> Signal:
    """A tone whose pitch moves exponentially from f_start to f_end (harmonic partials)."""
    freq = f_start * (f_end / f_start) ** np.linspace(0.0, 1.0, n)
    phase = 2 * np.pi * np.cumsum(freq) / RATE
    out = np.zeros(n)
    for i, amp in enumerate(partials):
        out += amp * np.sin((i + 1) * phase)
    return out


def _strike(
    n: int, start: float, freq: float, partials: Sequence[tuple[float, float, float]]
) -> Signal:
    """A struck tone from ``start`` s: partials are (frequency ratio, amplitude, decay tau s)."""
    out = np.zeros(n)
    first = round(start * RATE)
    t = _time(n - first)
    attack = _rise(n - first, 0.0015)
    for ratio, amp, tau in partials:
        out[first:] += amp * np.sin(2 * np.pi * freq * ratio * t) * np.exp(-t / tau)
    out[first:] *= attack
    return out


def inhale(n: int) -> Signal:
    # a soft rising sweep that swells in, like air drawn in
    tone = _glide(n, 250.0, 560.0, (1.0, 0.3, 0.1))
    swell = np.sin(0.5 * np.pi * np.linspace(0.0, 1.0, n)) ** 1.5
    return tone * swell * _fall(n, 0.12)


def exhale(n: int) -> Signal:
    # a soft falling sweep that starts full and fades away, like a long breath out
    tone = _glide(n, 560.0, 250.0, (1.0, 0.3, 0.1))
    fade = np.cos(0.5 * np.pi * np.linspace(0.0, 1.0, n)) ** 1.5
    return tone * fade * _rise(n, 0.05)


def tick(n: int) -> Signal:
    # a wood block: a few inharmonic modes that die within ~20 ms
    modes = ((1.0, 1.0, 0.008), (2.37, 0.5, 0.005), (4.1, 0.25, 0.003))
    return _strike(n, 0.0, 1150.0, modes)


def move(n: int) -> Signal:
    # two chime notes a fifth apart, the second entering while the first rings
    chime = ((1.0, 1.0, 0.22), (2.0, 0.25, 0.12), (3.01, 0.12, 0.07))
    notes = 0.8 * _strike(n, 0.0, 659.25, chime) + _strike(n, 0.16, 987.77, chime)
    return notes * _fall(n, 0.12)


def switch(n: int) -> Signal:
    # a quick, bright high-low pair of pure pings
    ping = ((1.0, 1.0, 0.05), (2.0, 0.1, 0.025))
    return _strike(n, 0.0, 1760.0, ping) + _strike(n, 0.14, 1318.51, ping)


def rest(n: int) -> Signal:
    # a warm low A-major pad with slow beating, fading in and out gently
    t = _time(n)
    out = np.zeros(n)
    for freq, amp in ((110.0, 1.0), (164.81, 0.6), (220.0, 0.45), (277.18, 0.3)):
        for detune in (-0.6, 0.6):
            out += amp * (
                np.sin(2 * np.pi * (freq + detune) * t)
                + 0.15 * np.sin(4 * np.pi * (freq + detune) * t)
            )
    swell: Signal = np.sin(np.pi * np.linspace(0.0, 1.0, n)) ** 2
    return out * swell


def start(n: int) -> Signal:
    # a bright bell: inharmonic partials, the higher ones dying sooner
    partials = (
        (1.0, 1.0, 0.45),
        (2.0, 0.6, 0.3),
        (2.76, 0.5, 0.22),
        (5.4, 0.3, 0.12),
        (8.93, 0.15, 0.07),
    )
    return _strike(n, 0.0, 880.0, partials) * _fall(n, 0.3)


def end(n: int) -> Signal:
    # a long low bell: hum tone, fundamental, minor-third tierce, fifth and octave
    partials = (
        (0.5, 0.5, 1.2),
        (1.0, 1.0, 0.9),
        (1.19, 0.4, 0.7),
        (1.5, 0.3, 0.55),
        (2.0, 0.35, 0.45),
        (2.74, 0.15, 0.3),
    )
    return _strike(n, 0.0, 196.0, partials) * _fall(n, 0.6)


SYNTHS: dict[SoundName, Callable[[int], Signal]] = {
    "inhale": inhale,
    "exhale": exhale,
    "tick": tick,
    "move": move,
    "switch": switch,
    "rest": rest,
    "start": start,
    "end": end,
}


def synthesise(name: SoundName) -> Signal:
    """Sound ``name``: exactly its length, edges faded to zero, peak at PEAK."""
    n = frames(name)
    signal = SYNTHS[name](n)
    signal = signal * _rise(n, EDGE) * _fall(n, EDGE)
    peak = float(np.max(np.abs(signal)))
    normalised: Signal = signal * (PEAK / peak)
    return normalised


def to_pcm16(signal: Signal) -> npt.NDArray[np.int16]:
    return np.round(signal * 32767.0).astype(np.int16)


def write(out: Path) -> list[Path]:
    """Write every sound into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SOUND_LENGTHS:
        path = out / f"{name}.wav"
        sf.write(str(path), to_pcm16(synthesise(name)), RATE, subtype=SUBTYPE, format="WAV")
        written.append(path)
    return written


def check(out: Path) -> list[str]:
    """What differs between ``out`` and what ``write`` would put there (empty: all good)."""
    problems = []
    for name in SOUND_LENGTHS:
        path = out / f"{name}.wav"
        if not path.is_file():
            problems.append(f"{path}: missing")
            continue
        try:
            info = sf.info(str(path))
            data, _ = sf.read(str(path), dtype="int16", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as exc:
            problems.append(f"{path}: unreadable ({exc})")
            continue
        expected = to_pcm16(synthesise(name))
        if (info.samplerate, info.channels, info.subtype) != (RATE, 1, SUBTYPE):
            problems.append(
                f"{path}: {info.samplerate} Hz, {info.channels} channel(s), {info.subtype}; "
                f"expected {RATE} Hz, 1 channel, {SUBTYPE}"
            )
        elif data.shape[0] != expected.shape[0]:
            problems.append(f"{path}: {data.shape[0]} frames, expected {expected.shape[0]}")
        else:
            diff = int(np.max(np.abs(data[:, 0].astype(np.int32) - expected.astype(np.int32))))
            if diff > TOLERANCE:
                problems.append(f"{path}: samples differ by up to {diff} steps")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder (default: sounds/)")
    parser.add_argument(
        "--check", action="store_true", help="verify the folder instead of writing it"
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = check(args.out)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run scripts/make_sounds.py to regenerate the sounds", file=sys.stderr)
            return 1
        print(f"{len(SOUND_LENGTHS)} sounds in {args.out} are up to date")
        return 0
    for path in write(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
