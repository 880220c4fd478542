"""The Piper rows of ``scripts/bench.py`` (``--piper``): the en_US-joe-medium voice of the test
extra, one inference thread, as ``matcue --voice piper:en_US-joe-medium`` uses it.

- importing piper and onnxruntime, and loading the model, in a fresh process;
- synthesising each distinct line of a ~30-minute session with an empty cache (median and
  slowest line) and reading it back from the cache in another process (median);
- ``matcue export`` of that session with the Piper voice, cold (empty speech and levels
  caches) and warm, as the whole command: wall and CPU time and peak memory (max RSS; the
  target is under 400 MB).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

VOICE = "piper:en_US-joe-medium"
PEAK_TARGET_MB = 400

# Run in a fresh process: argv = cache folder, "cold" or "warm", a JSON list of the lines.
LINES = """
import json, sys, time
t0 = time.perf_counter()
import onnxruntime, piper
imported = time.perf_counter() - t0
from pathlib import Path
from matcue.voice import PiperVoice, VoiceSettings, find_voice, model_loads
VOICE = "piper:en_US-joe-medium"
cache, mode, texts = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
voice = PiperVoice(VoiceSettings(voice=VOICE), find_voice(VOICE, None), cache, rate=22050)
t0 = time.perf_counter()
if mode == "cold":
    voice.load()
load = time.perf_counter() - t0
times = []
for text in texts:
    t0 = time.perf_counter()
    voice.clip(text)
    times.append(time.perf_counter() - t0)
print(json.dumps({"import": imported, "load": load, "times": times, "loads": model_loads(),
                  "renders": voice.renders}))
"""


class Run(Protocol):
    """bench.Run: one command's wall and CPU seconds and peak memory."""

    @property
    def wall(self) -> float: ...

    @property
    def cpu(self) -> float: ...

    @property
    def peak_mb(self) -> float: ...


Export = Callable[..., Run]  # bench.timed_export(routine, out, cache, *options)


def _lines(cache: Path, mode: str, texts: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", LINES, str(cache), mode, json.dumps(texts)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def bench_piper(
    routine: Path, texts: Iterable[str], export: Export, env: dict[str, str], repeats: int
) -> dict[str, Any]:
    """The figures for ``routine`` (its distinct ``texts``) spoken by joe."""
    lines = sorted(set(texts))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cold = [_lines(work / f"lines-{i}", "cold", lines, env) for i in range(repeats)]
        warm = _lines(work / "lines-0", "warm", lines, env)
        assert warm["loads"] == 0 and warm["renders"] == 0, warm  # all from the cache
        runs = []
        for i in range(repeats):
            cache = work / f"export-{i}"
            runs.append(
                (
                    export(routine, work / "out.wav", cache, "--voice", VOICE),
                    export(routine, work / "out.wav", cache, "--voice", VOICE),
                )
            )
    times = [t for run in cold for t in run["times"]]
    return {
        "lines": len(lines),
        "import": min(run["import"] for run in cold),
        "load": min(run["load"] for run in cold),
        "line_median": statistics.median(times),
        "line_max": max(times),
        "all_lines": min(sum(run["times"]) for run in cold),
        "warm_median": statistics.median(warm["times"]),
        "cold": min(r[0].wall for r in runs),
        "cold_cpu": min(r[0].cpu for r in runs),
        "warm": min(r[1].wall for r in runs),
        "warm_cpu": min(r[1].cpu for r in runs),
        "peak_mb": max(r.peak_mb for pair in runs for r in pair),
    }


def print_piper(p: dict[str, Any], minutes: float) -> None:
    """The rows, as the README's table has them."""
    print(
        f"| Piper (en_US-joe-medium, one thread): import piper and onnxruntime, load the model "
        f"| {p['import']:.2f} s, {p['load']:.2f} s | |"
    )
    print(
        f"| Piper: synthesise one line, cold cache (the {p['lines']} distinct lines of a "
        f"{minutes:.0f}-minute session): median, slowest, all | {p['line_median'] * 1000:.0f} ms, "
        f"{p['line_max'] * 1000:.0f} ms, {p['all_lines']:.1f} s | |"
    )
    print(f"| Piper: one line from the warm cache (median) | {p['warm_median'] * 1000:.1f} ms | |")
    print(
        f"| export the {minutes:.0f}-minute session with Piper to WAV, cold caches | "
        f"{p['cold']:.1f} s (CPU {p['cold_cpu']:.1f} s) | |"
    )
    print(f"| the same, warm caches | {p['warm']:.2f} s (CPU {p['warm_cpu']:.2f} s) | |")
    print(
        f"| peak memory (max RSS) of those Piper exports | {p['peak_mb']:.0f} MB "
        f"| < {PEAK_TARGET_MB} MB |"
    )
