#!/usr/bin/env python3
"""Fuzz the routine loader, the validator and the compiler with mangled routine files.

    .venv/bin/python scripts/fuzz.py                    # one minute
    .venv/bin/python scripts/fuzz.py --seconds 600      # ten minutes
    .venv/bin/python scripts/fuzz.py --examples 5000 --seed 7

Every case starts from a real routine file (the library, the test routines, the hostile
corpus) and applies a few random mutations: characters, tokens and lines inserted, deleted,
duplicated or swapped; indentation and tabs; absurd numbers; tags, anchors and aliases; bytes
that are not UTF-8; a truncation. Each case is read by PyYAML's pure-Python parser or libyaml's
(alternately), and what validates is checked against the session bound and compiled at a
random pace with a fake, fixed-rate ``speech_len``.

A case passes when it ends in a ``Routine`` (and a sound timeline, or a clean
``SessionTooLong``) or in a ``RoutineError`` whose problems all have a place and a message,
within ``--time-bound`` seconds (ten times that with the pure-Python parser, matcue's fallback
without libyaml). The run prints a summary and exits 1 if any case failed; each failing input
is saved (``--save``) so it can be replayed with ``--replay FILE``.
"""

from __future__ import annotations

import argparse
import math
import random
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import yaml

from matcue.routine import Routine, RoutineError, parse_routine_bytes, source
from matcue.routine.library import LIBRARY_DIR
from matcue.timeline import Pace, Timeline, compile
from matcue.timeline.limits import SessionTooLong, check_routine, check_timeline

ROOT = Path(__file__).resolve().parent.parent
SEED_FOLDERS = (
    LIBRARY_DIR,
    ROOT / "tests" / "routines" / "good",
    ROOT / "tests" / "routines" / "bad",
    ROOT / "tests" / "routines" / "cli",
    ROOT / "tests" / "routines" / "export",
    ROOT / "tests" / "golden",
)
LOADERS: tuple[type[yaml.SafeLoader] | type[yaml.CSafeLoader], ...] = (
    yaml.SafeLoader,
    *((yaml.CSafeLoader,) if yaml.__with_libyaml__ else ()),
)
TOKENS = (
    " ", "  ", "\t", "\n", "\n  ", ":", ": ", "- ", "-", "[", "]", "{", "}", ",", "'", '"', "#",
    "&a ", "*a", "!!python/object/apply:os.system ", "!x ", "<<: ", "? ", "|", ">-", "---\n",
    "...\n", "%YAML 1.1\n", "{side}", "{other}", "{left}", "{", "}", "\\u0000", "\x00", "\x1b",
    "\ufeff", "\ud800", "é", "💥", "\u202e", "null", "~", "yes", "no", ".inf", "-.inf", ".nan",
)  # fmt: skip
NUMBERS = (
    "0", "-1", "-0.5", "0.0001", "1e-400", "1.0e+400", "99999999999999999999999", "3600",
    "3601", "100", "101", "20", "21", "50", "51", "0x10", "0o7", "1_000", "2min", "1h", "90s",
    "1min30s", "30s1min", "-2min", "nan", "1.5", "'5'",
)  # fmt: skip


PURE_PYTHON_SLOWER = 10.0  # the time bound's factor for PyYAML's pure-Python parser


def fake_speech_len(text: str) -> float:
    """A fixed speaking rate (about 150 words a minute) instead of a real voice."""
    return 0.1 + 0.065 * len(text)


@dataclass(frozen=True)
class Seeds:
    texts: tuple[bytes, ...]

    @classmethod
    def load(cls) -> Seeds:
        files = sorted(p for folder in SEED_FOLDERS for p in folder.glob("*.yaml"))
        return cls(tuple(p.read_bytes() for p in files if p.stat().st_size < 200_000))


# --------------------------------------------------------------------------- mutations


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _mutations(rng: random.Random, seeds: Seeds) -> list[Callable[[bytes], bytes]]:
    def insert_token(d: bytes) -> bytes:
        at = rng.randrange(len(d) + 1)
        return d[:at] + rng.choice(TOKENS).encode("utf-8", "surrogatepass") + d[at:]

    def delete_span(d: bytes) -> bytes:
        at = rng.randrange(len(d) + 1)
        return d[:at] + d[at + rng.randint(1, 12) :]

    def replace_number(d: bytes) -> bytes:
        spots = [i for i, c in enumerate(d) if 48 <= c <= 57]
        if not spots:
            return insert_token(d)
        at = rng.choice(spots)
        end = at
        while end < len(d) and (48 <= d[end] <= 57 or d[end] in b".e+-"):
            end += 1
        return d[:at] + rng.choice(NUMBERS).encode() + d[end:]

    def duplicate_line(d: bytes) -> bytes:
        lines = _lines(d)
        i = rng.randrange(len(lines))
        return b"\n".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])

    def swap_lines(d: bytes) -> bytes:
        lines = _lines(d)
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines)

    def indent(d: bytes) -> bytes:
        lines = _lines(d)
        i = rng.randrange(len(lines))
        change = rng.choice([b" ", b"  ", b"\t", b""])
        lines[i] = change + lines[i] if change else lines[i][rng.randint(1, 4) :]
        return b"\n".join(lines)

    def repeat_line(d: bytes) -> bytes:  # many exercises or steps
        lines = _lines(d)
        i = rng.randrange(len(lines))
        return b"\n".join([*lines[:i], *[lines[i]] * rng.choice([2, 50, 120, 2000]), *lines[i:]])

    def splice(d: bytes) -> bytes:
        other = rng.choice(seeds.texts)
        at, cut = rng.randrange(len(d) + 1), rng.randrange(len(other) + 1)
        return d[:at] + other[cut : cut + rng.randint(1, 400)] + d[at:]

    def raw_bytes(d: bytes) -> bytes:
        at = rng.randrange(len(d) + 1)
        return d[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 4))) + d[at:]

    def alias_bomb(d: bytes) -> bytes:
        width = rng.choice([9, 30, 400])
        bomb = b"x0: &x0 [lol, lol]\n" + b"".join(
            f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * width)}]\n".encode() for i in range(1, 8)
        )
        return bomb + d.replace(b"exercises:", b"equipment: *x7\nexercises:", 1)

    def truncate(d: bytes) -> bytes:
        return d[: rng.randrange(len(d) + 1)]

    weighted = [
        (insert_token, 6),
        (delete_span, 4),
        (replace_number, 6),
        (duplicate_line, 3),
        (swap_lines, 2),
        (indent, 3),
        (repeat_line, 2),
        (splice, 2),
        (raw_bytes, 1),
        (alias_bomb, 1),
        (truncate, 1),
    ]
    return [m for m, weight in weighted for _ in range(weight)]


def cases(rng: random.Random, seeds: Seeds) -> Iterator[bytes]:
    """Endless mutated routine files."""
    mutations = _mutations(rng, seeds)
    while True:
        data = rng.choice(seeds.texts)
        for _ in range(rng.choice([1, 1, 2, 3, 6])):
            data = rng.choice(mutations)(data or b"\n")
        yield data


# --------------------------------------------------------------------------- checking


class Failure(Exception):
    """A case that broke a promise: an uncaught exception, a bad problem, too slow."""


class _TooSlow(BaseException):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _TooSlow


def check_timeline_sound(timeline: Timeline) -> None:
    """What a compiled session must be: finite, sorted, cues inside the session."""
    if not (math.isfinite(timeline.duration) and timeline.duration > 0):
        raise Failure(f"the session lasts {timeline.duration!r}")
    ends = [c.end for c in timeline.cues]
    if ends and max(ends) > timeline.duration + 1e-6:
        raise Failure("a cue ends after the session")


def check_case(data: bytes, pace: float, name: str = "fuzz.yaml") -> str:
    """Read, validate and compile one file; the outcome's name, or ``Failure``."""
    try:
        routine: Routine = parse_routine_bytes(data, name)
    except RoutineError as err:
        if not err.problems:
            raise Failure("a RoutineError without problems") from err
        for p in err.problems:
            if p.line < 1 or p.col < 1 or not p.message or "\n" in p.message:
                raise Failure(f"a problem without a proper place or message: {p!r}") from err
        if not err.format().startswith(str(err)):
            raise Failure("format() does not start with the first problem") from err
        return "invalid"
    except Exception as err:  # anything else escaping the loader is a bug
        raise Failure(f"the loader raised {type(err).__name__}: {err}") from err
    settings = Pace(percent=pace)
    try:
        check_routine(routine, settings)
        timeline = compile(routine, settings, fake_speech_len)
        check_timeline(timeline)
    except SessionTooLong:
        return "too long"
    except Exception as err:
        raise Failure(f"compiling a valid routine raised {type(err).__name__}: {err}") from err
    check_timeline_sound(timeline)
    return "valid"


def timed_case(data: bytes, pace: float, bound: float) -> tuple[str, float]:
    """``check_case`` within ``bound`` seconds (an alarm stops it); outcome and seconds."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, bound)
    t0 = time.perf_counter()
    try:
        outcome = check_case(data, pace)
    except _TooSlow:
        raise Failure(f"took more than {bound:g} s") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.perf_counter() - t0
    if elapsed > bound:  # C code does not see the alarm until it returns
        raise Failure(f"took {elapsed:.2f} s, more than {bound:g} s")
    return outcome, elapsed


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Summary:
    cases: int
    outcomes: dict[str, int]
    failures: tuple[str, ...]
    slowest: float
    seconds: float


def run(
    *,
    seconds: float | None,
    examples: int | None,
    seed: int,
    bound: float,
    save: Path | None,
    report: Callable[[str], None] = print,
) -> Summary:
    rng = random.Random(seed)
    seeds = Seeds.load()
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    slowest = 0.0
    start = time.monotonic()
    n = 0
    for data in cases(rng, seeds):
        if examples is not None and n >= examples:
            break
        if seconds is not None and time.monotonic() - start >= seconds:
            break
        n += 1
        source._LOADER = LOADERS[n % len(LOADERS)]
        pace = rng.choice([10.0, 50.0, 100.0, 200.0, 400.0])
        # PyYAML's pure-Python parser (matcue's fallback when libyaml is missing) reads about
        # 100 kB a second on a busy machine, ten times slower than libyaml: it gets more time.
        limit = bound if source._LOADER is not yaml.SafeLoader else PURE_PYTHON_SLOWER * bound
        try:
            outcome, elapsed = timed_case(data, pace, limit)
        except Failure as err:
            detail = "".join(traceback.format_exception(err)) if err.__cause__ else str(err)
            where = ""
            if save is not None:
                save.mkdir(parents=True, exist_ok=True)
                path = save / f"case-{seed}-{n}.yaml"
                path.write_bytes(data)
                where = f" (saved as {path})"
            failures.append(f"case {n}, pace {pace:g}{where}: {detail}")
            report(f"FAIL {failures[-1]}")
            outcomes["failed"] += 1
            continue
        outcomes[outcome] += 1
        slowest = max(slowest, elapsed)
    return Summary(n, dict(outcomes), tuple(failures), slowest, time.monotonic() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=None, help="run this long (default 60)")
    parser.add_argument("--examples", type=int, default=None, help="run this many cases")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: time)")
    parser.add_argument(
        "--time-bound", type=float, default=2.0, help="seconds one case may take (default 2)"
    )
    parser.add_argument(
        "--save", type=Path, default=Path("fuzz-failures"), help="folder for failing inputs"
    )
    parser.add_argument("--replay", type=Path, nargs="*", help="check these files and stop")
    args = parser.parse_args(argv)
    if args.replay:
        bad = 0
        for path in args.replay:
            for pace in (10.0, 100.0, 400.0):
                try:
                    outcome, elapsed = timed_case(path.read_bytes(), pace, args.time_bound)
                    print(f"{path} pace {pace:g}: {outcome} in {elapsed:.3f} s")
                except Failure as err:
                    bad += 1
                    print(f"{path} pace {pace:g}: FAIL {err}")
                    traceback.print_exception(err)
        return 1 if bad else 0
    seconds = args.seconds if args.seconds is not None or args.examples is not None else 60.0
    seed = args.seed if args.seed is not None else int(time.time())
    summary = run(
        seconds=seconds, examples=args.examples, seed=seed, bound=args.time_bound, save=args.save
    )
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.outcomes.items()))
    print(
        f"fuzz: seed {seed}, {summary.cases} cases in {summary.seconds:.1f} s ({counts}); "
        f"slowest {summary.slowest * 1000:.0f} ms; {len(summary.failures)} failed"
    )
    return 1 if summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())
