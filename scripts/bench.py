#!/usr/bin/env python3
"""Benchmark matcue and print the figures as a Markdown table (copied into README.md).

    .venv/bin/python scripts/bench.py            # all benchmarks
    .venv/bin/python scripts/bench.py --quick    # fewer repeats

Measures:
- compile time of a 1,000-exercise routine (speech lengths known, as with a warm cache);
- export time of a ~30-minute session to WAV, cold (empty speech and levels caches) and warm,
  as the whole ``matcue export`` command a user runs (interpreter start-up included), with
  its CPU time beside it (user + system: steadier than wall time on a busy machine);
- peak memory (max RSS) of those exports;
- per export format, the time to export that session in-process (render with warm caches,
  encode, tags, chapters, sync to disk, rename) beside the time its encoder alone takes for the
  same PCM (and the time syncing that file to disk takes after it), and matcue's overhead
  (also on its own with ``--formats .wav,.flac``);
- time and peak memory (max RSS) of exporting a two-hour session to MP3, as the whole
  ``matcue export`` command;
- peak memory (max RSS) of exporting a two-minute session with a huge ``--music`` file (a
  2 h 59 min 44.1 kHz stereo WAV, a 45-minute 96 kHz 8-channel WAV; sparse files, made in a
  moment), also on its own with ``--music-memory``;
- the keys' latency on a private PulseAudio null sink (``bench_key_latency``, also on its own with
  ``--keys``): key to silence for pause and the pain stop, key to sound for resume and skip;
- the ten-minute capture (``bench_long_play(10)``): a ten-minute session played into the null
  sink and recorded, and how far the cues of its last five minutes are from the plan;
- dropouts under load (``bench_dropouts``, also on its own with ``--dropouts``): a two-minute
  built-in session played by ``matcue play`` into the null sink while two busy loops take both
  cores, recorded and compared with ``matcue export`` of it: the stretches of silence where the
  session has sound (count, longest, in all), and how fast pause silences under that load.
- the Piper voice (``scripts/bench_piper.py``, also on its own with ``--piper``): importing
  piper and onnxruntime, loading the model, each line synthesised cold and read warm, and
  ``matcue export`` of the ~30-minute session with it, cold and warm, with its peak memory;
- with ``--media-keys`` only: the same for the media keys (MPRIS calls on a private D-Bus).

Every time is the best of the repeats (the keys' latencies: the median). The commands run with
Python's bytecode cache on (as an installed matcue has it), whatever ``PYTHONDONTWRITEBYTECODE``
says here.

    .venv/bin/python scripts/bench.py --long     # only: play two hours, measure the drift
    .venv/bin/python scripts/bench.py --dropouts # only: dropouts and pause under load (~3 min)

``--long`` plays a two-hour session into a private PulseAudio null sink (as the audio tests do)
and reports how far the cues of its last five minutes are from the plan (±20 ms is the aim);
``--long --long-minutes 10`` is the ten-minute capture of the full run on its own.

The real-time measurements use ``scripts/pulse.py`` (the private server, ``parec``, ``matcue``
played on it) and ``scripts/measure.py`` (envelopes, alignment, dropouts), which the playback
smoke tests share; nothing here is imported from tests/.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile as sf
import yaml

import long_play
from bench_piper import VOICE as PIPER_VOICE
from bench_piper import bench_piper, print_piper
from matcue import api
from matcue.export import ExportOptions
from matcue.export.formats import FORMATS, Encoding, encoding
from matcue.routine import Routine
from matcue.routine.library import LIBRARY_DIR, load_builtin_routines
from matcue.store import paths
from matcue.timeline import Pace, compile
from matcue.voice import Pyttsx3Voice, VoiceSettings
from measure import find_dropouts, quiet_after
from pulse import (
    PLAY,
    UNDERRUN,
    PulseServer,
    Recording,
    keyed_play,
    player_env,
    private_pulse,
    run_matcue,
)

SESSION_RATE = 22050

MATCUE = Path(sys.executable).with_name("matcue")
# the short session of the playback smoke tests (a routine file, read as data): the keys' takes
SHORT_SESSION = (
    Path(__file__).resolve().parents[1] / "tests" / "routines" / "cli" / "short-session.yaml"
)
DROPOUT_ROUTINE = "gym-hyperextension"  # a built-in routine of about two minutes
BUSY_LOOPS = 2  # busy processes while the dropouts are measured: one for each of our 2 cores


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
    folders = folders_for(directory / "probe-cache")
    for ex in exercises:
        doc["exercises"].append(ex)
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        duration = api.plan(path, folders=folders).timeline.duration
        if duration >= minutes * 60:
            return path
    raise SystemExit(f"the library holds less than {minutes} minutes of exercises")


# Runs one command and prints its wall seconds, CPU seconds (user + system) and peak RSS
# (KiB). The measuring is done from this small process: a child forked straight from the
# (large) benchmark process would count the benchmark's own pages in its peak until it execs.
MEASURE = """
import resource, subprocess, sys, time
t0 = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(time.perf_counter() - t0, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
"""


def command_env(cache: Path) -> dict[str, str]:
    env = {**os.environ, "MATCUE_CACHE_DIR": str(cache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # seconds, user + system
    peak_mb: float  # max RSS


def timed_export(routine: Path, out: Path, cache: Path, *options: str) -> Run:
    """Wall and CPU seconds and peak RSS (MB) of one ``matcue export`` (with ``options``) in a
    fresh process."""
    command = [str(MATCUE), "export", str(routine), "-o", str(out), "--force", "--quiet"]
    command += options
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        env=command_env(cache),
        capture_output=True,
        text=True,
        check=True,
    )
    wall, cpu, peak_kib = done.stdout.split()
    return Run(float(wall), float(cpu), int(peak_kib) / 1024)


def bench_export(repeats: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        routine = session_file(work, 30)
        timeline = api.plan(routine, folders=folders_for(work / "probe-cache")).timeline
        subprocess.run(  # byte-compiles matcue, as an installation has it
            [str(MATCUE), "--help"], env=command_env(work), capture_output=True, check=True
        )
        colds: list[Run] = []
        warms: list[Run] = []
        for i in range(repeats):
            cache = work / f"cache-{i}"
            colds.append(timed_export(routine, work / "out.wav", cache))
            warms.append(timed_export(routine, work / "out.wav", cache))
        lines = len({c.text for c in timeline.cues if c.text})
        return {
            "minutes": timeline.duration / 60,
            "lines": lines,
            "cold": min(r.wall for r in colds),
            "cold_cpu": min(r.cpu for r in colds),
            "warm": min(r.wall for r in warms),
            "warm_cpu": min(r.cpu for r in warms),
            "peak_mb": max(r.peak_mb for r in colds + warms),
        }


def bench_piper_rows(repeats: int) -> tuple[dict[str, Any], float]:
    """The Piper rows (``scripts/bench_piper.py``) for a ~30-minute session, and its minutes."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        routine = session_file(work, 30)
        timeline = api.plan(routine, folders=folders_for(work / "probe-cache")).timeline
        texts = [c.text for c in timeline.cues if c.text]
        figures = bench_piper(routine, texts, timed_export, command_env(work), repeats)
        return figures, timeline.duration / 60


def encoder_alone(pcm: Any, enc: Encoding, out: Path) -> tuple[float, float]:
    """Seconds for the format's encoder alone to write ``pcm`` (already at its rate), and
    the seconds that syncing the file to disk then takes (the export does: a file it says
    it wrote survives a power cut)."""
    fmt = enc.format
    if out.exists():
        out.unlink()
    t0 = time.perf_counter()
    if fmt.container is None:  # M4A: PyAV's AAC encoder and muxer
        import av

        container = av.open(str(out), "w", format="ipod")
        stream = container.add_stream("aac", rate=SESSION_RATE)
        stream.layout = "mono"
        stream.bit_rate = (enc.bitrate or 64) * 1000
        for i in range(0, pcm.shape[0], 65536):
            block = pcm[None, i : i + 65536]
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout="mono")
            frame.sample_rate = SESSION_RATE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        container.close()
    else:
        import soundfile

        with soundfile.SoundFile(
            str(out),
            "w",
            samplerate=fmt.rate or SESSION_RATE,
            channels=1,
            format=fmt.container,
            subtype=fmt.subtype,
            compression_level=enc.compression_level(),
            bitrate_mode=enc.bitrate_mode(),
        ) as f:
            for i in range(0, pcm.shape[0], 65536):
                f.write(pcm[i : i + 65536])
    alone = time.perf_counter() - t0
    fd = os.open(out, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return alone, time.perf_counter() - t0 - alone


def folders_for(cache: Path) -> paths.Folders:
    """The speech and levels cache ``cache``, and no config file or history of the user's."""
    return paths.folders(
        {
            paths.CACHE_ENV: str(cache),
            paths.CONFIG_ENV: str(cache / "no-config.toml"),
            paths.DATA_ENV: str(cache / "no-history"),
        }
    )


def bench_session(routine: Path, cache: Path) -> api.Session:
    """The session of ``routine`` as ``matcue export`` prepares it, with the cache ``cache``."""
    return api.prepare(routine, folders=folders_for(cache))


ALL_FORMATS = (".wav", ".flac", ".ogg", ".opus", ".mp3", ".m4a")


def bench_formats(repeats: int, suffixes: tuple[str, ...] = ALL_FORMATS) -> dict[str, Any]:
    """Export time per format for a ~30-minute session, beside its encoder alone (the best of
    ``repeats`` each, the two measured in turn); speech and levels caches warm."""
    import numpy as np
    import soxr

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        routine = session_file(work, 30)
        session = bench_session(routine, work / "probe-cache")
        timeline = session.timeline

        def render_all() -> Any:
            return api.render(session)

        t0 = time.perf_counter()
        pcm = render_all()  # fills the levels cache
        cold_render = time.perf_counter() - t0
        render_s = best_of(repeats, render_all)
        rows = []
        for suffix in suffixes:
            enc = encoding(FORMATS[suffix], None, None)
            same = pcm
            if enc.format.rate and enc.format.rate != SESSION_RATE:
                same = soxr.resample(pcm, SESSION_RATE, enc.format.rate, quality="HQ")
                same = np.ascontiguousarray(same, dtype=np.int16)
            options = ExportOptions(work / f"session{suffix}", enc, force=True)

            def export(options: ExportOptions = options) -> None:
                api.export(session, options)  # what `matcue export` runs, tags and checks too

            alones, syncs, wholes = [], [], []
            for _ in range(repeats if enc.format.suffix in (".wav", ".flac", ".ogg") else 1):
                alone, sync = encoder_alone(same, enc, work / f"alone{suffix}")
                alones.append(alone)
                syncs.append(sync)
                # into a new file, as the encoder alone writes one: replacing the last run's
                # file would add the time the kernel takes to free it (~40 ms for a WAV)
                options.output.unlink(missing_ok=True)
                wholes.append(best_of(1, export))
            rows.append((enc.describe(), min(wholes), min(alones), min(syncs)))
        return {
            "minutes": timeline.duration / 60,
            "render": render_s,
            "cold_render": cold_render,
            "rows": rows,
        }


def bench_two_hours() -> dict[str, Any]:
    """Peak memory (and time) of `matcue export` of a ~2-hour session to MP3."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        routine = session_file(work, 120)
        cache = work / "probe-cache"  # warm: the session file was made with it
        minutes = api.plan(routine, folders=folders_for(cache)).timeline.duration / 60
        run = timed_export(routine, work / "two-hours.mp3", cache)
        return {"minutes": minutes, "seconds": run.wall, "peak_mb": run.peak_mb}


def sparse_wav(path: Path, seconds: float, rate: int, channels: int) -> Path:
    """A 16-bit WAV of ``seconds`` whose samples take no disk space: a valid header, a second of
    a 50 Hz hum, then a hole (silence) as long as the rest of the samples."""
    size = round(seconds * rate) * channels * 2
    fmt = struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16)
    header = b"RIFF" + struct.pack("<I", 36 + size) + b"WAVE" + b"fmt " + fmt
    header += b"data" + struct.pack("<I", size)
    hum = (16000 * np.sin(2 * np.pi * 50 * np.arange(rate) / rate)).astype("<i2")
    with path.open("wb") as out:
        out.write(header + np.repeat(hum[:, None], channels, axis=1).tobytes())
        out.truncate(len(header) + size)
    return path


MUSIC_FILES = ((2 * 60 + 59, 44100, 2), (45, 96000, 8))  # minutes, rate, channels


def bench_music_memory() -> dict[str, Any]:
    """Peak memory (max RSS) of `matcue export` of a ~2-minute session with each of
    ``MUSIC_FILES`` as ``--music`` (warm speech cache), and without music."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        routine = session_file(work, 2)
        cache = work / "probe-cache"  # warm: the session file was made with it
        minutes = api.plan(routine, folders=folders_for(cache)).timeline.duration / 60
        peaks: list[tuple[str, float, float]] = []
        for music_minutes, rate, channels in MUSIC_FILES:
            name = (
                f"{music_minutes // 60} h {music_minutes % 60} min"
                if music_minutes >= 60
                else (f"{music_minutes} min")
            )
            label = f"{name} {rate / 1000:g} kHz {channels}-channel WAV"
            music = sparse_wav(work / "music.wav", music_minutes * 60, rate, channels)
            run = timed_export(routine, work / "out.wav", cache, "--music", str(music))
            peaks.append((label, run.wall, run.peak_mb))
            music.unlink()
        plain = timed_export(routine, work / "out.wav", cache)
        return {"minutes": minutes, "peaks": peaks, "plain_mb": plain.peak_mb}


def print_music_memory(m: dict[str, Any]) -> None:
    for label, wall, peak in m["peaks"]:
        print(
            f"| export a {m['minutes']:.0f}-minute session with a {label} as `--music`: peak "
            f"memory (max RSS), time | {peak:.0f} MB ({m['plain_mb']:.0f} MB without music), "
            f"{wall:.2f} s | < 300 MB |"
        )


def bench_long_play(minutes: float) -> dict[str, Any]:
    """Play a session of about ``minutes`` into a private PulseAudio null sink while recording
    it, and see how far the cues of its last five minutes are from the plan (it takes the
    session's own time)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        routine = session_file(work, minutes)
        cache = work / "probe-cache"  # warm: the session file was made with it
        plan, wav = long_play.prepare(routine, "100", cache, work)
        with private_pulse() as server:
            take = long_play.play_and_measure(
                server, routine, "100", cache, work, plan, wav, plan["duration_s"] - 300
            )
    return {
        "minutes": plan["duration_s"] / 60,
        "exit": take.code,
        "underruns": take.stderr.count(UNDERRUN),
        "cues": len(take.cues),
        "worst_ms": take.worst * 1000,
        "late": len(take.late(0.020)),
    }


def _recorder(server: PulseServer, work: Path) -> Callable[[], Recording]:
    def start() -> Recording:
        return Recording(server, work / f"take-{time.monotonic_ns()}.raw")

    return start


def _keyed_take(
    server: PulseServer,
    work: Path,
    env: dict[str, str],
    script: list[tuple[float, bytes]],
    routine: Path | str = SHORT_SESSION,
) -> tuple[npt.NDArray[np.int16], list[float]]:
    """Play ``routine`` on a pseudo-terminal, typing ``script`` (``pulse.keyed_play``); the
    recording (mono int16 at the sink's rate) and the recording time of each key (the start
    bell marks session time 0)."""
    take = keyed_play(_recorder(server, work), env, routine, script, timeout=300)
    if take.code != 0 or len(take.keys) != len(script):
        raise SystemExit(f"a keyed take failed (exit {take.code}):\n{take.stderr}")
    return take.recording, [take.lag + sent for sent, _ in take.keys]


def _sound_after(recording: npt.NDArray[np.int16], rate: int, t: float, level: float) -> float:
    """Seconds from recording time ``t`` until the first sample at ``level`` or louder."""
    loud = np.nonzero(np.abs(recording[round(t * rate) :].astype(np.float64)) >= level)[0]
    return float(loud[0]) / rate if loud.size else float("inf")


def bench_list(repeats: int) -> dict[str, float]:
    """Wall seconds of ``matcue list`` (a whole process), with a warm and with a cold speech
    cache: it speaks no line, so the two should be alike."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        command = [sys.executable, "-c", MEASURE, str(MATCUE), "list"]
        subprocess.run([str(MATCUE), "--help"], env=command_env(work), capture_output=True)

        def once(cache: Path) -> float:
            done = subprocess.run(
                command, env=command_env(cache), capture_output=True, text=True, check=True
            )
            return float(done.stdout.split()[0])

        warm = min(once(work / "warm") for _ in range(repeats))
        cold = min(once(work / f"cold-{i}") for i in range(repeats))
        return {"warm": warm, "cold": cold}


LATE = "a line was late"  # the player's note (under MATCUE_DEBUG) when the sound waits
ALL_MADE = "lines made"  # ... and when every line of a session started cold is made


@dataclass(frozen=True)
class FirstSound:
    seconds: float  # from the command to the first sound at the sink
    late: int  # lines the session had to wait for
    underruns: int  # ALSA's underruns while it played (the sound starved)
    made_after: float | None  # seconds from the start to every line made (None: all warm)


def first_sound(
    server: Any,
    routine: Path,
    env: dict[str, str],
    work: Path,
    ride: float = 0.0,
    args: tuple[str, ...] = (),
) -> FirstSound:
    """Seconds from starting ``matcue play ROUTINE`` (no terminal) to its first sound at the
    null sink's monitor (the output latency included), and the lines it was late with: after
    the first sound it plays on until every line is made and ``ride`` seconds more (past the
    first part, which a session started cold plays while its lines are made); then it is
    stopped."""
    rec = Recording(server, work / f"first-{time.monotonic_ns()}.raw")
    try:
        launched_at = rec.path.stat().st_size // 2  # the recording's frame at the launch
        child = subprocess.Popen(
            [str(MATCUE), "play", str(routine), "--quiet", *args],
            env={**env, "MATCUE_DEBUG": "1"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stderr is not None
        notes: list[str] = []
        reader = threading.Thread(target=lambda: notes.extend(child.stderr or ()), daemon=True)
        reader.start()
        deadline = time.monotonic() + 120
        heard = None
        while heard is None and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.1)
            data = rec.path.read_bytes()
            pcm = np.frombuffer(data[launched_at * 2 : len(data) // 2 * 2], dtype="<i2")
            loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > 300)
            if loud.size:
                heard = int(loud[0]) / rec.rate
        made_after = None
        if ride > 0:
            while time.monotonic() < deadline and child.poll() is None:
                made = [n for n in notes if ALL_MADE in n]
                if made:
                    made_after = float(made[0].split(", ")[1].split(" s ")[0])
                    break
                time.sleep(0.1)
            time.sleep(ride if made_after is not None else 0)
        child.send_signal(signal.SIGINT)
        child.wait(timeout=30)
        reader.join(timeout=5)
    finally:
        rec.close()
    if heard is None:
        raise SystemExit("matcue play made no sound in two minutes")
    late = sum(LATE in n for n in notes)
    return FirstSound(heard, late, sum(UNDERRUN in n for n in notes), made_after)


def bench_first_sound(repeats: int) -> dict[str, float]:
    """Time to the first sound of a 30-minute session: warm caches, and cold ones (the session
    starts once its first part is made and makes the other lines as it plays); the lines it
    was late with (cold: played on past its first part, until every line was made)."""
    from matcue.api.growing import FIRST_PART

    with tempfile.TemporaryDirectory() as tmp, private_pulse() as server:
        work = Path(tmp)
        routine = session_file(work, 30)
        warm_cache = work / "probe-cache"  # warm: the session file was made with it
        base = {**server.env, "MATCUE_DATA_DIR": str(work / "data")}
        base.pop("DBUS_SESSION_BUS_ADDRESS", None)
        subprocess.run(  # the levels cache warm too
            [str(MATCUE), "export", str(routine), "-o", str(work / "w.wav"), "--quiet"],
            env=command_env(warm_cache),
            check=True,
        )
        warm = [
            first_sound(server, routine, {**base, "MATCUE_CACHE_DIR": str(warm_cache)}, work)
            for _ in range(repeats)
        ]
        cold = [
            first_sound(
                server,
                routine,
                {**base, "MATCUE_CACHE_DIR": str(work / f"c{i}")},
                work,
                ride=FIRST_PART + 5,
            )
            for i in range(repeats)
        ]
        piper = [  # the natural voice, cold: its model loaded and each line made as needed
            first_sound(
                server,
                routine,
                {**base, "MATCUE_CACHE_DIR": str(work / f"p{i}")},
                work,
                ride=FIRST_PART + 5,
                args=("--voice", PIPER_VOICE),
            )
            for i in range(repeats)
        ]
        minutes = api.plan(routine, folders=folders_for(warm_cache)).timeline.duration / 60
        return {
            "warm": min(t.seconds for t in warm),
            "cold": min(t.seconds for t in cold),
            "piper": min(t.seconds for t in piper),
            "piper_made": max(t.made_after or 0.0 for t in piper),
            "late": sum(t.late for t in warm + cold + piper),
            "underruns": sum(t.underruns for t in warm + cold + piper),
            "takes": len(warm + cold + piper),
            "made": max(t.made_after or 0.0 for t in cold),
            "minutes": minutes,
        }


def print_felt(lst: dict[str, float], first: dict[str, float]) -> None:
    print(
        f"| `matcue list` (30 routines with their lengths), warm / cold speech cache "
        f"| {lst['warm']:.2f} s / {lst['cold']:.2f} s | ≤ 0.3 s |"
    )
    print(
        f"| time to first sound of a {first['minutes']:.0f}-minute session, warm caches "
        f"| {first['warm']:.2f} s | ≤ 0.5 s |"
    )
    print(
        f"| time to first sound of the same session, cold caches (it starts once its first "
        f"part is made; every line made {first['made']:.1f} s after the start, at worst) "
        f"| {first['cold']:.2f} s | ≤ 1.0 s |"
    )
    print(
        f"| time to first sound of the same session with Piper (en_US-joe-medium), cold caches "
        f"(every line made {first['piper_made']:.1f} s after the start, at worst) "
        f"| {first['piper']:.2f} s | ≤ 2.5 s |"
    )
    print(
        f"| lines late in those {first['takes']:.0f} takes (the sound waited for a line), "
        f"ALSA underruns | {first['late']:.0f}, {first['underruns']:.0f} | 0 |"
    )


def take_env(server: PulseServer, work: Path) -> dict[str, str]:
    """The environment of a latency take: the private server, a history of its own, and the
    speech cache of ``MATCUE_CACHE_DIR`` if set (else one in ``work``)."""
    return {
        **server.env,
        "MATCUE_DATA_DIR": str(work / "data"),
        "MATCUE_CACHE_DIR": os.environ.get("MATCUE_CACHE_DIR", str(work / "cache")),
    }


def bench_key_latency(repeats: int = 3) -> dict[str, float]:
    """Median latencies in seconds, measured on a private PulseAudio null sink: key to
    silence for pause and pain stop, key to sound for resume and skip (to the skip's tone).

    Times are relative to the sound as the sink plays it (the start bell marks session time
    0), so the output latency, common to every sound, is left out; the key's own way through
    the pseudo-terminal and the player's polling are in.
    """
    figures: dict[str, list[float]] = {"pause": [], "pain": [], "resume": [], "skip": []}
    with tempfile.TemporaryDirectory() as tmp, private_pulse() as server:
        work = Path(tmp)
        env = take_env(server, work)
        rate = server.rate
        for _ in range(repeats):
            # pause in the intro's speech, resume after a second and a half, then quit
            rec, keys = _keyed_take(server, work, env, [(2.5, b" "), (4.0, b" "), (6.0, b"q")])
            level = 0.01 * float(np.abs(rec.astype(np.float64)).max())
            figures["pause"].append(quiet_after(rec, rate, keys[0], level))
            # the pause tick (about 0.3 s) sounds first; resume is heard after quiet
            quiet = keys[1] - 0.05
            figures["resume"].append(_sound_after(rec, rate, quiet, level) - 0.05)
            rec, keys = _keyed_take(server, work, env, [(2.5, b"x")])
            level = 0.01 * float(np.abs(rec.astype(np.float64)).max())
            figures["pain"].append(quiet_after(rec, rate, keys[0], level))
            # skip from a pause, so the first sound after the key is the skip's
            rec, keys = _keyed_take(server, work, env, [(2.5, b" "), (4.0, b"n"), (5.0, b"q")])
            level = 0.01 * float(np.abs(rec.astype(np.float64)).max())
            figures["skip"].append(_sound_after(rec, rate, keys[1] - 0.05, level) - 0.05)
    return {name: statistics.median(values) for name, values in figures.items()}


@contextlib.contextmanager
def busy_loops(count: int) -> Iterator[None]:
    """``count`` processes that spin (``while True: pass``) for the duration of the block."""
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for loop in loops:
            loop.kill()
        for loop in loops:
            loop.wait()


def bench_dropouts(busy: int = BUSY_LOOPS, pauses: int = 5) -> dict[str, Any]:
    """Play a two-minute built-in session (``matcue --debug play``, no terminal, the buffer a
    user has) into a private PulseAudio null sink while ``busy`` busy loops run, record the
    sink's monitor, and find the dropouts against ``matcue export`` of the same session
    (``measure.find_dropouts``: silence in the recording where the export has sound, aligned
    by the start bell and kept aligned past each dropout). Then, under the same load, the
    same session on a pseudo-terminal, paused ``pauses`` times: key to silence for each."""
    with tempfile.TemporaryDirectory() as tmp, private_pulse() as server:
        work = Path(tmp)
        env = player_env(
            server,
            work / "cache",
            work / "home",
            MATCUE_DATA_DIR=str(work / "data"),
            MATCUE_CONFIG=str(work / "no-config" / "config.toml"),
        )
        wav = work / "session.wav"
        exported = run_matcue(["export", DROPOUT_ROUTINE, "-o", str(wav), "-q"], env, 600)
        if exported.returncode:
            raise SystemExit(f"matcue export failed:\n{exported.stderr}")
        reference, ref_rate = sf.read(str(wav), dtype="int16")
        if reference.ndim == 2:
            reference = reference.mean(axis=1)
        duration = reference.shape[0] / ref_rate
        # pause, resume two seconds later; the first after the intro's first words
        script = [(4.0 + 6.0 * k + d, b" ") for k in range(pauses) for d in (0.0, 2.0)]
        script.append((6.0 * pauses + 4.0, b"q"))
        with busy_loops(busy):
            rec = Recording(server, work / "capture.raw")
            try:
                played = run_matcue([*PLAY, DROPOUT_ROUTINE], env, duration + 300)
                recording = rec.stop(tail=1.0)
            finally:
                rec.close()
            keyed, keys = _keyed_take(server, work, env, script, DROPOUT_ROUTINE)
        if played.returncode:
            raise SystemExit(f"matcue play failed:\n{played.stderr}")
        drops = find_dropouts(reference, ref_rate, recording, server.rate)
        level = 0.01 * float(np.abs(keyed.astype(np.float64)).max())
        latencies = [quiet_after(keyed, server.rate, t, level) for t in keys[0:-1:2]]
    return {
        "routine": DROPOUT_ROUTINE,
        "minutes": duration / 60,
        "busy": busy,
        "underruns": played.stderr.count(UNDERRUN),
        "count": len(drops.found),
        "longest_ms": drops.longest * 1000,
        "silent_ms": drops.silent * 1000,
        "delay_ms": drops.delay * 1000,
        "found": [(d.at, d.silent * 1000, d.delay * 1000) for d in drops.found],
        "pause_ms": sorted(t * 1000 for t in latencies),
    }


def print_dropouts(d: dict[str, Any]) -> None:
    pause = d["pause_ms"]
    print(
        f"| play a {d['minutes']:.0f}-minute session ({d['routine']}) with {d['busy']} busy "
        f"loops on the cores: dropouts heard (silence where the export has sound; "
        f"ALSA reported {d['underruns']} underruns) | {d['count']}, longest "
        f"{d['longest_ms']:.0f} ms, {d['silent_ms']:.0f} ms in all; the end bell "
        f"{d['delay_ms']:+.0f} ms from where the start bell puts it | none |"
    )
    print(
        f"| pause under that load: key to silence (median and worst of {len(pause)}) "
        f"| {statistics.median(pause):.0f} ms, {max(pause):.0f} ms | ≤ 300 ms |"
    )


def print_capture(c: dict[str, Any]) -> None:
    print(
        f"| play a {c['minutes']:.0f}-minute session into the null sink, recorded: the worst "
        f"of the {c['cues']} cues of its last five minutes (exit {c['exit']}, "
        f"{c['underruns']} underruns) | {c['worst_ms']:.1f} ms off, {c['late']} beyond "
        "±20 ms | ≤ 20 ms |"
    )


def _media_take(
    server: Any, work: Path, env: dict[str, str], script: list[tuple[float, str]]
) -> tuple[Any, list[float], list[float]]:
    """Play the short test session with no terminal under a private session D-Bus, calling the
    MPRIS ``script`` methods with a jeepney client; the recording, the recording time of each
    call and how long each call took to be answered (after the player acted)."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    from measure import onsets
    from pulse import Recording, private_bus, start_matcue

    rec = Recording(server, work / f"media-{time.monotonic_ns()}.raw")
    child = None
    with private_bus() as bus:
        try:
            env = {**env, "DBUS_SESSION_BUS_ADDRESS": bus.address}
            child, _ = start_matcue(["play", str(SHORT_SESSION)], env)
            began = time.monotonic()
            conn = open_dbus_connection(bus=bus.address)
            player = DBusAddress(
                "/org/mpris/MediaPlayer2",
                "org.mpris.MediaPlayer2.matcue",
                "org.mpris.MediaPlayer2.Player",
            )
            sent, answered = [], []
            for delay, method in script:
                time.sleep(max(0.0, began + delay - time.monotonic()))
                t = time.monotonic()
                conn.send_and_get_reply(new_method_call(player, method), timeout=15)
                sent.append(t - began)
                answered.append(time.monotonic() - t)
            conn.close()
            child.wait(timeout=60)
        finally:
            if child is not None and child.poll() is None:
                child.kill()
                child.wait()
    recording = rec.stop(tail=1.0)
    lag = onsets(recording, rec.rate, fraction=0.05)[0]
    return recording, [lag + t for t in sent], answered


def bench_media_key_latency(repeats: int = 3) -> dict[str, float]:
    """Median latencies in seconds of the media keys (MPRIS PlayPause and Next, called by a
    jeepney client as a desktop does) on a private PulseAudio null sink and a private session
    D-Bus: call to silence, call to sound for resume and skip, and call to its answer."""
    import numpy as np

    figures: dict[str, list[float]] = {"pause": [], "resume": [], "skip": [], "answer": []}
    with tempfile.TemporaryDirectory() as tmp, private_pulse() as server:
        work = Path(tmp)
        env = take_env(server, work)
        rate = server.rate
        script = [(2.5, "PlayPause"), (4.0, "PlayPause"), (6.0, "Pause"), (7.5, "Next")]
        for _ in range(repeats):
            rec, calls, answered = _media_take(server, work, env, [*script, (9.0, "Stop")])
            level = 0.01 * float(np.abs(rec.astype(np.float64)).max())
            figures["pause"].append(quiet_after(rec, rate, calls[0], level))
            figures["resume"].append(_sound_after(rec, rate, calls[1] - 0.05, level) - 0.05)
            figures["skip"].append(_sound_after(rec, rate, calls[3] - 0.05, level) - 0.05)
            figures["answer"] += answered[:4]
    return {name: statistics.median(values) for name, values in figures.items()}


def print_media_key_latency(lat: dict[str, float]) -> None:
    print("| media key (MPRIS) | latency | target |")
    print("| --- | --- | --- |")
    print(f"| play-pause: call to silence | {lat['pause'] * 1000:.0f} ms | ≤ 300 ms |")
    print(f"| play-pause: call to sound (resume) | {lat['resume'] * 1000:.0f} ms | |")
    print(f"| next: call to sound | {lat['skip'] * 1000:.0f} ms | |")
    print(f"| call to its answer (once the player acted) | {lat['answer'] * 1000:.0f} ms | |")


def print_key_latency(lat: dict[str, float]) -> None:
    print("| key | latency | target |")
    print("| --- | --- | --- |")
    print(f"| pause: key to silence | {lat['pause'] * 1000:.0f} ms | ≤ 300 ms |")
    print(f"| pain stop: key to silence | {lat['pain'] * 1000:.0f} ms | ≤ 300 ms |")
    print(f"| resume: key to sound | {lat['resume'] * 1000:.0f} ms | |")
    print(f"| skip: key to sound | {lat['skip'] * 1000:.0f} ms | |")


def print_format_rows(fmts: dict[str, Any]) -> None:
    for name, whole, alone, sync in fmts["rows"]:
        overhead = whole - alone
        print(
            f"| export the {fmts['minutes']:.0f}-minute session to {name} (encoder alone "
            f"{alone:.2f} s, then {sync:.2f} s to sync the file to disk) | {whole:.2f} s, "
            f"overhead {overhead:.2f} s ({100 * overhead / alone:.0f} %) | ≤ 20 % |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one repeat of each benchmark")
    parser.add_argument(
        "--long",
        action="store_true",
        help="only play a two-hour session into a private null sink and report its drift",
    )
    parser.add_argument(
        "--long-minutes", type=float, default=120, help="the length for --long (default 120)"
    )
    parser.add_argument("--keys", action="store_true", help="only the keys' latency")
    parser.add_argument(
        "--felt",
        action="store_true",
        help="only what users feel first: `matcue list` and the time to first sound",
    )
    parser.add_argument(
        "--dropouts",
        action="store_true",
        help="only the dropouts (and pause) of a two-minute session played under load",
    )
    parser.add_argument(
        "--media-keys", action="store_true", help="only the media keys' (MPRIS) latency"
    )
    parser.add_argument(
        "--music-memory",
        action="store_true",
        help="only the peak memory of a short export with a huge music file",
    )
    parser.add_argument(
        "--formats",
        help="only the per-format export rows, for these suffixes (e.g. .wav,.flac)",
    )
    parser.add_argument(
        "--piper",
        action="store_true",
        help="only the Piper voice's rows: model load, line synthesis, a 30-minute export",
    )
    args = parser.parse_args()
    if args.long:
        drift = bench_long_play(args.long_minutes)
        print(
            f"played a {drift['minutes']:.0f}-minute session (exit {drift['exit']}, "
            f"{drift['underruns']} underruns): of the {drift['cues']} cues in its last five "
            f"minutes, the worst was {drift['worst_ms']:.1f} ms off, {drift['late']} beyond "
            "±20 ms"
        )
        sys.exit(0 if drift["exit"] == 0 and drift["late"] == 0 else 1)
    repeats = 1 if args.quick else 3
    if args.keys:
        print_key_latency(bench_key_latency(repeats))
        return
    if args.dropouts:
        drops = bench_dropouts()
        print("| what | figure | target |")
        print("| --- | --- | --- |")
        print_dropouts(drops)
        print()
        for at, silent, delay in drops["found"]:
            print(f"dropout at {at:8.3f} s: {silent:4.0f} ms silent, {delay:+5.0f} ms later after")
        print("pause, key to silence (ms):", ", ".join(f"{t:.0f}" for t in drops["pause_ms"]))
        return
    if args.media_keys:
        print_media_key_latency(bench_media_key_latency(repeats))
        return
    if args.music_memory:
        print("| what | figure | target |")
        print("| --- | --- | --- |")
        print_music_memory(bench_music_memory())
        return
    if args.formats:
        print_format_rows(bench_formats(repeats, tuple(args.formats.split(","))))
        return
    if args.felt:
        print("| what | figure | target |")
        print("| --- | --- | --- |")
        print_felt(bench_list(repeats), bench_first_sound(repeats))
        return
    if args.piper:
        print("| what | figure | target |")
        print("| --- | --- | --- |")
        print_piper(*bench_piper_rows(repeats))
        return

    felt = (bench_list(repeats), bench_first_sound(repeats))
    comp = bench_compile(repeats)
    exp = bench_export(repeats)
    fmts = bench_formats(repeats)
    long = bench_two_hours()
    piper = bench_piper_rows(repeats)
    cpu = platform.processor() or platform.machine()
    print(f"matcue benchmark — {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}")
    print()
    print("| what | figure | target |")
    print("| --- | --- | --- |")
    print_felt(*felt)
    print(
        f"| compile a {comp['exercises']:,}-exercise routine ({comp['cues']:,} cues, "
        f"{comp['hours']:.1f} h) | {comp['seconds']:.2f} s | ≤ 0.5 s |"
    )
    print(
        f"| export a {exp['minutes']:.0f}-minute session to WAV, cold speech and levels caches "
        f"({exp['lines']} distinct lines) | {exp['cold']:.2f} s (CPU {exp['cold_cpu']:.2f} s) "
        "| ≤ 3 s |"
    )
    print(
        f"| export the same session, warm caches | {exp['warm']:.2f} s "
        f"(CPU {exp['warm_cpu']:.2f} s) | ≤ 1 s |"
    )
    print(f"| peak memory (max RSS) of those exports | {exp['peak_mb']:.0f} MB | |")
    print_format_rows(fmts)
    print(
        f"| export a {long['minutes']:.0f}-minute session to MP3: time, peak memory (max RSS) "
        f"| {long['seconds']:.0f} s, {long['peak_mb']:.0f} MB | ≤ 200 MB |"
    )
    print_music_memory(bench_music_memory())
    print_piper(*piper)
    print()
    print(
        "Export times in the first rows are the whole `matcue export` command, interpreter "
        "start-up included; the per-format rows time the export in-process, with warm speech "
        f"and levels caches (rendering alone: {fmts['render']:.2f} s; with a cold levels cache, "
        f"loudness work included: {fmts['cold_render']:.2f} s)."
    )
    print()
    print_key_latency(bench_key_latency(repeats))
    print()
    print_media_key_latency(bench_media_key_latency(repeats))
    print()
    print("| playing on a private PulseAudio null sink | figure | target |")
    print("| --- | --- | --- |")
    print_capture(bench_long_play(10))
    print_dropouts(bench_dropouts())


if __name__ == "__main__":
    main()
