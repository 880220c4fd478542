#!/usr/bin/env python3
"""Benchmark matcue and print the figures as a Markdown table (copied into README.md).

    .venv/bin/python scripts/bench.py            # all benchmarks
    .venv/bin/python scripts/bench.py --quick    # fewer repeats

Measures:
- compile time of a 1,000-exercise routine (speech lengths known, as with a warm cache);
- export time of a ~30-minute session, cold (empty speech cache) and warm, as the whole
  ``matcue export`` command a user runs (interpreter start-up included);
- peak memory (max RSS) of those exports.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from matcue.routine import Routine, load_routine
from matcue.routine.library import LIBRARY_DIR, load_builtin_routines
from matcue.timeline import Pace, compile
from matcue.voice import Pyttsx3Voice, VoiceSettings

MATCUE = Path(sys.executable).with_name("matcue")


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def big_routine(n: int) -> Routine:
    """``n`` exercises cycled from the built-in library (real texts, sides, holds, sets)."""
    pool = [ex for r in load_builtin_routines() if r.language == "en" for ex in r.exercises]
    exercises = tuple(pool[i % len(pool)] for i in range(n))
    return replace(load_builtin_routines()[0], id="bench", exercises=exercises)


def bench_compile(repeats: int) -> dict[str, Any]:
    routine = big_routine(1000)
    voice = Pyttsx3Voice(VoiceSettings())
    lengths: dict[str, float] = {}

    def measure(text: str) -> float:
        if text not in lengths:
            lengths[text] = voice.clip(text).duration
        return lengths[text]

    timeline = compile(routine, Pace(), measure)  # fills the length table (and the cache)
    seconds = best_of(repeats, lambda: compile(routine, Pace(), lengths.__getitem__))
    return {
        "seconds": seconds,
        "exercises": len(routine.exercises),
        "cues": len(timeline.cues),
        "hours": timeline.duration / 3600,
    }


def session_file(directory: Path, minutes: float) -> Path:
    """A routine file of about ``minutes`` minutes, drawn from the built-in routines."""
    exercises: list[dict[str, Any]] = []
    for path in sorted(LIBRARY_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        defaults = data.get("defaults", {})
        for ex in data["exercises"]:
            exercises.append({**ex, "defaults": {**defaults, **ex.get("defaults", {})}})
    doc: dict[str, Any] = {
        "matcue": 1,
        "id": "bench-session",
        "title": "Benchmark session",
        "exercises": [],
    }
    path = directory / "bench-session.yaml"
    voice = Pyttsx3Voice(VoiceSettings(), cache_dir=directory / "probe-cache")
    for ex in exercises:
        doc["exercises"].append(ex)
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        duration = compile(load_routine(path), Pace(), lambda t: voice.clip(t).duration).duration
        if duration >= minutes * 60:
            return path
    raise SystemExit(f"the library holds less than {minutes} minutes of exercises")


def timed_export(routine: Path, out: Path, cache: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one ``matcue export`` in a fresh process."""
    env = {**os.environ, "MATCUE_CACHE_DIR": str(cache)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(
        [str(MATCUE), "export", str(routine), "-o", str(out)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


def bench_export(repeats: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        routine = session_file(work, 30)
        voice = Pyttsx3Voice(VoiceSettings(), cache_dir=work / "probe-cache")
        timeline = compile(load_routine(routine), Pace(), lambda t: voice.clip(t).duration)
        colds, warms, peaks = [], [], []
        for i in range(repeats):
            cache = work / f"cache-{i}"
            wall, peak = timed_export(routine, work / "out.wav", cache)
            colds.append(wall)
            peaks.append(peak)
            wall, peak = timed_export(routine, work / "out.wav", cache)
            warms.append(wall)
            peaks.append(peak)
        lines = len({c.text for c in timeline.cues if c.text})
        return {
            "minutes": timeline.duration / 60,
            "lines": lines,
            "cold": statistics.median(colds),
            "warm": statistics.median(warms),
            "peak_mb": max(peaks),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one repeat of each benchmark")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3

    comp = bench_compile(repeats)
    exp = bench_export(repeats)
    cpu = platform.processor() or platform.machine()
    print(f"matcue benchmark — {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}")
    print()
    print("| what | figure | target |")
    print("| --- | --- | --- |")
    print(
        f"| compile a {comp['exercises']:,}-exercise routine ({comp['cues']:,} cues, "
        f"{comp['hours']:.1f} h) | {comp['seconds']:.2f} s | ≤ 0.5 s |"
    )
    print(
        f"| export a {exp['minutes']:.0f}-minute session to WAV, cold speech cache "
        f"({exp['lines']} distinct lines) | {exp['cold']:.2f} s | ≤ 3 s |"
    )
    print(f"| export the same session, warm speech cache | {exp['warm']:.2f} s | ≤ 1 s |")
    print(f"| peak memory (max RSS) of those exports | {exp['peak_mb']:.0f} MB | |")
    print()
    print("Export times are the whole `matcue export` command, interpreter start-up included.")


if __name__ == "__main__":
    main()
