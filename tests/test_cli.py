"""The command line contract (DESIGN §5), through the real ``matcue`` console script.

Every test runs ``matcue`` in a subprocess, as a user would: exit codes 0/1/2, one sentence on
stderr for an error and never a traceback, the ``plan --json`` shape. The speech cache is one
folder per test session (``MATCUE_CACHE_DIR``), so espeak-ng speaks each line only once.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf

from audio_helpers import cli_env
from matcue.routine import load_routine
from matcue.routine.library import LIBRARY_DIR
from matcue.timeline.sounds import SOUND_LENGTHS

MATCUE = Path(sys.executable).with_name("matcue")
ROUTINES = Path(__file__).parent / "routines" / "cli"
SESSION_RATE = 22050  # Hz: what `matcue export` writes (espeak-ng's native rate)
ROUNDING = 0.0015  # seconds: plan --json rounds every time to the millisecond

TOP_KEYS = {"routine", "title", "pace", "duration_s", "chapters", "phases", "cues"}
EXTRA_KEYS = {"language", "week", "settings", "exercises"}  # the pace settings applied
CHAPTER_KEYS = {"t", "title"}
PHASE_KEYS = {"t", "dur", "kind", "exercise", "set", "rep", "side"}
SPEECH_KEYS = {"t", "dur", "kind", "text", "exercise"}
TONE_KEYS = {"t", "dur", "kind", "sound", "exercise"}
STEP_KINDS = {"inhale", "exhale", "hold", "move", "relax"}
PART_KINDS = {"intro", "position", "get_ready", "switch", "set_rest", "rest", "outro"}
TIMED_KINDS = ("inhale", "exhale", "hold")

NO_DEVICE = (
    "matcue: No audio output device is available; connect speakers or headphones, "
    "or write the session to a file with `matcue export`.\n"
)
NO_ESPEAK = (
    "matcue: Text-to-speech needs espeak-ng: install it with `apt-get install espeak-ng` "
    "(Debian/Ubuntu) or your system's package manager.\n"
)

# validate/plan on tests/routines/cli/broken.yaml, run from that folder: every problem, with
# its position, the offending line and a caret under the column.
BROKEN = """\
broken.yaml:4:8: level must be one of gentle, beginner, intermediate or advanced, \
got 'beginer' (did you mean 'beginner'?)
    4 | level: beginer
      |        ^
broken.yaml:8:11: reps must be a whole number from 1 to 100, got 0
    8 |     reps: 0
      |           ^
broken.yaml:11:9: unknown key 'hld' in step (did you mean 'hold'?)
   11 |       - hld: 5
      |         ^
"""

# Makes libespeak-ng impossible to load, as on a machine without espeak-ng installed:
# pyttsx3's espeak driver loads it through ctypes.cdll.LoadLibrary.
NO_ESPEAK_SHIM = """\
import ctypes

_load = ctypes.cdll.LoadLibrary


def _without_espeak(name, *args, **kwargs):
    if "espeak" in str(name):
        raise OSError(f"{name}: cannot open shared object file: No such file or directory")
    return _load(name, *args, **kwargs)


ctypes.cdll.LoadLibrary = _without_espeak
"""


def matcue(
    *args: str | Path,
    cache: Path,
    cwd: Path = ROUTINES,
    env: dict[str, str] | None = None,
    prefix: list[str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``matcue`` script (stdin not a terminal); its exit code and output."""
    return subprocess.run(
        [*(prefix or []), str(MATCUE), *map(str, args)],
        cwd=cwd,
        env=env if env is not None else cli_env(cache),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def plan_json(routine: str, cache: Path, *options: str) -> dict[str, Any]:
    done = matcue("plan", routine, "--json", *options, cache=cache)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def assert_one_sentence(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    assert stderr.startswith("matcue: "), stderr


@pytest.fixture(scope="module")
def timed_plans(speech_cache: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """``plan --json`` of timed.yaml at pace 100 and at pace 50."""
    return plan_json("timed.yaml", speech_cache), plan_json("timed.yaml", speech_cache, "-p", "50")


# --- validate ------------------------------------------------------------------------------------


def test_validate_a_good_file(speech_cache: Path) -> None:
    done = matcue("validate", "timed.yaml", cache=speech_cache)
    assert (done.returncode, done.stdout, done.stderr) == (0, "timed.yaml: ok (2 exercises)\n", "")


def test_validate_reports_every_problem_and_still_checks_the_good_file(
    speech_cache: Path,
) -> None:
    done = matcue("validate", "broken.yaml", "timed.yaml", cache=speech_cache)
    assert done.returncode == 2
    assert done.stderr == BROKEN
    assert done.stdout == "timed.yaml: ok (2 exercises)\n"


def test_validate_says_matcues_own_sentence_for_deep_nesting(
    speech_cache: Path, tmp_path: Path
) -> None:
    """libyaml (PyYAML 6.0.4) stops at 1,000 levels in words of its own; matcue says its own."""
    (tmp_path / "deep.yaml").write_text("matcue: 1\ntitle: " + "[" * 5_000 + "\n", "utf-8")
    done = matcue("validate", "deep.yaml", cache=speech_cache, cwd=tmp_path)
    assert done.returncode == 2
    first = done.stderr.splitlines()[0]
    assert re.fullmatch(
        r"deep\.yaml:2:\d+: the file nests lists and mappings more than 50 levels deep", first
    ), done.stderr
    assert done.stdout == ""


def test_validate_accepts_the_keys_of_a_session_arc(speech_cache: Path, tmp_path: Path) -> None:
    warm_up = len(load_routine(LIBRARY_DIR / "warm-up.yaml").exercises)
    head = "matcue: 1\ntitle: Arc\nbase: back\nwarmup: warm-up\n"
    body = (
        "exercises:\n  - name: Bridge\n    base: back\n    get_there: Lie on your back.\n"
        "    position: Lie down.\n    steps:\n      - hold: 20\n        remind: [Breathe.]\n"
    )
    (tmp_path / "arc.yaml").write_text(head + "cooldown: none\n" + body, "utf-8")
    (tmp_path / "typo.yaml").write_text(head + "cooldown: cool-dwn\n" + body, "utf-8")
    done = matcue("validate", "arc.yaml", "typo.yaml", cache=speech_cache, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == f"arc.yaml: ok ({warm_up + 1} exercises)\n"  # as the session plays
    assert done.stderr.startswith(
        "typo.yaml:5:11: cooldown must name a built-in routine, or none; there is none called "
        "'cool-dwn'"
    )


def test_validate_a_missing_file_is_invalid_input(speech_cache: Path) -> None:
    done = matcue("validate", "no-such-file.yaml", cache=speech_cache)
    assert done.returncode == 2
    assert "no-such-file.yaml" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


# --- plan ----------------------------------------------------------------------------------------


def check_plan_shape(plan: dict[str, Any]) -> None:
    """Everything DESIGN §5 promises about ``plan --json``, for any routine."""
    assert set(plan) == TOP_KEYS | EXTRA_KEYS
    assert isinstance(plan["week"], int) and plan["week"] >= 1
    assert isinstance(plan["routine"], str) and plan["routine"]
    assert isinstance(plan["title"], str) and plan["title"]
    assert isinstance(plan["pace"], int | float)
    duration = plan["duration_s"]
    assert isinstance(duration, int | float) and duration > 0

    chapters, phases, cues = plan["chapters"], plan["phases"], plan["cues"]
    assert chapters and phases and cues
    for chapter in chapters:
        assert set(chapter) == CHAPTER_KEYS
        assert isinstance(chapter["title"], str) and chapter["title"]
        assert 0 <= chapter["t"] < duration
    assert chapters[0]["t"] == 0
    assert [c["t"] for c in chapters] == sorted(c["t"] for c in chapters)

    n_exercises = max(p["exercise"] or 0 for p in phases)
    for phase in phases:
        assert set(phase) == PHASE_KEYS
        assert phase["kind"] in STEP_KINDS | PART_KINDS, phase
        assert phase["dur"] > 0
        assert phase["side"] in ("right", "left", None)
        assert phase["exercise"] is None or 1 <= phase["exercise"] <= n_exercises
        for key in ("set", "rep"):
            assert phase[key] is None or (isinstance(phase[key], int) and phase[key] >= 1)
        if phase["kind"] in STEP_KINDS:  # a step of a rep belongs to an exercise, set and rep
            assert None not in (phase["exercise"], phase["set"], phase["rep"]), phase
    # the phases tile the session: no gap, no overlap, from 0 to duration_s
    assert phases[0]["t"] == 0
    for before, after in itertools.pairwise(phases):
        assert after["t"] == pytest.approx(before["t"] + before["dur"], abs=ROUNDING)
    assert phases[-1]["t"] + phases[-1]["dur"] == pytest.approx(duration, abs=ROUNDING)

    for cue in cues:
        assert cue["kind"] in ("speech", "tone"), cue
        if cue["kind"] == "speech":
            assert set(cue) - {"side"} == SPEECH_KEYS
            assert cue.get("side", "left") in ("right", "left")
            assert isinstance(cue["text"], str) and cue["text"].strip()
        else:
            assert set(cue) == TONE_KEYS
            assert cue["sound"] in SOUND_LENGTHS
            assert cue["dur"] == pytest.approx(SOUND_LENGTHS[cue["sound"]], abs=ROUNDING)
        assert cue["exercise"] is None or 1 <= cue["exercise"] <= n_exercises
        assert cue["t"] >= 0 and cue["dur"] > 0
        assert cue["t"] + cue["dur"] <= duration + ROUNDING
    assert [c["t"] for c in cues] == sorted(c["t"] for c in cues)
    speech = [c for c in cues if c["kind"] == "speech"]
    for before, after in itertools.pairwise(speech):
        assert after["t"] >= before["t"] + before["dur"] - ROUNDING, (before, after)


def test_plan_json_has_the_documented_shape(
    timed_plans: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    plan, _ = timed_plans
    check_plan_shape(plan)
    assert (plan["routine"], plan["title"], plan["pace"]) == ("timed", "Timed breathing", 100)
    assert [c["title"] for c in plan["chapters"]] == [
        "Introduction",
        "Belly breath",
        "Side hold",
        "Closing",
    ]
    phases = plan["phases"]
    assert phases[0]["kind"] == "intro" and phases[-1]["kind"] == "outro"
    # each exercise's chapter starts where its first phase starts
    for number, chapter in enumerate(plan["chapters"][1:-1], start=1):
        first = next(p for p in phases if p["exercise"] == number)
        assert chapter["t"] == first["t"]
    # timed.yaml: 2 reps of inhale/exhale; then a hold on each side with a switch between
    steps = [(p["kind"], p["exercise"], p["rep"], p["side"]) for p in phases if p["rep"]]
    assert steps == [
        ("inhale", 1, 1, None),
        ("exhale", 1, 1, None),
        ("inhale", 1, 2, None),
        ("exhale", 1, 2, None),
        ("inhale", 2, 1, "right"),
        ("hold", 2, 1, "right"),
        ("exhale", 2, 1, "right"),
        ("inhale", 2, 1, "left"),
        ("hold", 2, 1, "left"),
        ("exhale", 2, 1, "left"),
    ]
    assert "switch" in [p["kind"] for p in phases]
    texts = [c["text"] for c in plan["cues"] if c["kind"] == "speech"]
    assert any("right leg" in t for t in texts) and any("left leg" in t for t in texts)


def test_pace_50_makes_every_timed_phase_twice_as_long(
    timed_plans: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    normal, slow = timed_plans
    check_plan_shape(slow)
    assert slow["pace"] == 50
    assert [p["kind"] for p in slow["phases"]] == [p["kind"] for p in normal["phases"]]
    pairs = [
        (a["dur"], b["dur"])
        for a, b in zip(normal["phases"], slow["phases"], strict=True)
        if a["kind"] in TIMED_KINDS
    ]
    assert len(pairs) == 10
    # timed.yaml's words fit in every timed phase, so pace alone sets their length
    assert [a for a, _ in pairs] == [5, 6, 5, 6, 5, 5, 6, 5, 5, 6]
    assert [b for _, b in pairs] == [2 * a for a, _ in pairs]
    assert slow["duration_s"] > normal["duration_s"] + sum(a for a, _ in pairs)


def test_plan_prints_a_readable_table(speech_cache: Path) -> None:
    done = matcue("plan", "timed.yaml", cache=speech_cache)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Timed breathing — 1:41 at pace 100"
    assert lines[1] == "settings: pace 100 %, week 1, language en"
    assert lines[2].startswith("  1. Belly breath: 2 reps, breath 5.0:6.0 s")
    header = lines.index("") + 1
    assert lines[header].split() == ["time", "len", "phase", "ex", "set", "rep", "side", "heard"]
    rows = lines[header + 1 :]
    kinds = [row.split()[2] for row in rows]
    assert kinds[0] == "intro" and kinds[-1] == "outro"
    assert {"position", "get_ready", "inhale", "exhale", "hold", "switch", "rest"} <= set(kinds)
    assert rows[0].startswith("  0:00") and "Timed breathing." in rows[0]
    assert "Question mark lists the keys." in rows[0]  # it previews `play` on a terminal
    assert any("Lift your right leg." in row and "right" in row.split() for row in rows)


def test_a_broken_routine_is_invalid_input_with_positions(speech_cache: Path) -> None:
    done = matcue("plan", "broken.yaml", cache=speech_cache)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == BROKEN


def test_debug_before_the_command_shows_the_traceback(speech_cache: Path) -> None:
    done = matcue("--debug", "plan", "broken.yaml", cache=speech_cache)
    assert done.returncode == 2
    assert done.stderr.startswith("Traceback (most recent call last):")
    assert "RoutineError" in done.stderr
    assert done.stderr.endswith(BROKEN)


def test_an_unknown_routine_id_is_invalid_input(speech_cache: Path) -> None:
    done = matcue("plan", "zzqx", cache=speech_cache)
    assert done.returncode == 2
    assert done.stderr == (
        "matcue: no routine named 'zzqx'; run `matcue list` to see the built-in routines\n"
    )


BAD_USAGE = {
    "pace-too-slow": ("plan", "{timed}", "--pace", "5"),
    "pace-too-fast": ("plan", "{timed}", "--pace", "401"),
    "pace-not-a-number": ("plan", "{timed}", "--pace", "fast"),
    "export-pace-too-slow": ("export", "{timed}", "-o", "out.wav", "--pace", "5"),
    "unknown-option": ("plan", "{timed}", "--no-such-option"),
    "missing-routine": ("plan",),
    "unknown-command": ("no-such-command",),
}
HELP = {
    "validate": False,  # command: whether it takes --pace
    "plan": True,
    "play": True,
    "export": True,
    "show": False,
    "list": False,
    "voices": False,
    "history": False,
    "config": False,
}


@pytest.fixture(scope="module")
def quick(
    speech_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, ...], subprocess.CompletedProcess[str]]:
    """The runs that need no speech (help, usage errors), two at a time to save time.

    They run in an empty folder, which must stay empty.
    """
    folder = tmp_path_factory.mktemp("quick")
    timed = str(ROUTINES / "timed.yaml")
    runs = [(), ("--help",), ("--version",), *((c, "--help") for c in HELP)]
    runs += [tuple(a.format(timed=timed) for a in args) for args in BAD_USAGE.values()]
    env = cli_env(speech_cache)
    with ThreadPoolExecutor(max_workers=2) as pool:  # two at a time: the machine has 2 cores
        done = dict(
            zip(
                runs,
                pool.map(lambda a: matcue(*a, cache=speech_cache, cwd=folder, env=env), runs),
                strict=True,
            )
        )
    assert list(folder.iterdir()) == []  # no usage error wrote a file
    return done


@pytest.mark.parametrize("case", BAD_USAGE)
def test_bad_usage_is_exit_2(
    quick: dict[tuple[str, ...], subprocess.CompletedProcess[str]], case: str
) -> None:
    timed = str(ROUTINES / "timed.yaml")
    done = quick[tuple(a.format(timed=timed) for a in BAD_USAGE[case])]
    assert done.returncode == 2, done.stderr
    # click's wording (typer's): acceptable only while typer is locked (<0.29)
    assert "Error: " in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    if "pace" in case:
        # click's wording (typer's): acceptable only while typer is locked (<0.29)
        assert "Invalid value for '--pace'" in done.stderr


# --- export --------------------------------------------------------------------------------------


def test_export_writes_the_whole_session_as_wav(speech_cache: Path, tmp_path: Path) -> None:
    plan = plan_json("timed.yaml", speech_cache, "--pace", "200", "--export")
    done = matcue(
        "export",
        ROUTINES / "timed.yaml",
        "-o",
        "out.wav",
        "-p",
        "200",
        cache=speech_cache,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    duration = plan["duration_s"]  # `plan --export`: as the file says it, without the keys line
    assert not any("keys" in c.get("text", "") for c in plan["cues"])
    minutes, seconds = divmod(round(duration), 60)
    assert done.stderr == f"Wrote out.wav ({minutes}:{seconds:02d}).\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]
    info = sf.info(str(tmp_path / "out.wav"))
    assert (info.format, info.subtype, info.channels, info.samplerate) == (
        "WAV",
        "PCM_16",
        1,
        SESSION_RATE,
    )
    assert abs(info.frames - duration * SESSION_RATE) <= 0.001 * SESSION_RATE + 1


def test_export_to_an_unknown_format_is_invalid_input(speech_cache: Path, tmp_path: Path) -> None:
    done = matcue(
        "export", ROUTINES / "timed.yaml", "-o", "out.txt", cache=speech_cache, cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.startswith("matcue: cannot export to '.txt': use ")
    assert_one_sentence(done.stderr)
    assert list(tmp_path.iterdir()) == []


def test_export_into_a_missing_folder_is_a_runtime_failure(
    speech_cache: Path, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "out.wav"
    done = matcue("export", "timed.yaml", "-o", target, cache=speech_cache)
    assert done.returncode == 1
    assert (
        done.stderr == f"matcue: cannot write {target}: the folder {target.parent} does not exist\n"
    )
    assert_one_sentence(done.stderr)
    assert list(tmp_path.iterdir()) == []


def without_root_override() -> list[str]:
    """The prefix that makes file permissions apply to this user (root normally bypasses them)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("running as root, this test needs setpriv (util-linux) to drop the override")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}"]


def test_export_into_an_unwritable_folder_is_a_runtime_failure(
    speech_cache: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    target = folder / "out.wav"
    try:
        done = matcue(
            "export", "timed.yaml", "-o", target, cache=speech_cache, prefix=without_root_override()
        )
    finally:
        folder.chmod(0o755)
    assert done.returncode == 1
    assert done.stderr == f"matcue: cannot write {target}: permission denied\n"
    assert list(folder.iterdir()) == []  # no partial file, no temporary file


# --- runtime failures: no audio device, no speech engine ----------------------------------------


def test_play_without_an_audio_device_says_to_export(speech_cache: Path, tmp_path: Path) -> None:
    # ALSA's default goes to PulseAudio (as on a desktop), but no PulseAudio server listens
    home, run = tmp_path / "home", tmp_path / "run"
    home.mkdir()
    run.mkdir(mode=0o700)
    (home / ".asoundrc").write_text("pcm.!default { type pulse }\nctl.!default { type pulse }\n")
    env = cli_env(
        speech_cache,
        HOME=str(home),
        XDG_RUNTIME_DIR=str(run),
        XDG_CONFIG_HOME=str(home / ".config"),
        PULSE_SERVER=f"unix:{tmp_path / 'nobody' / 'native'}",
    )
    env.pop("ALSA_CONFIG_PATH", None)
    done = matcue("play", "short-session.yaml", cache=speech_cache, env=env)
    assert done.returncode == 1
    assert done.stderr == NO_DEVICE
    assert_one_sentence(done.stderr)
    assert done.stdout == ""


@pytest.mark.parametrize("args", [["plan", "timed.yaml"], ["voices"]])
def test_a_missing_espeak_ng_is_a_runtime_failure(tmp_path: Path, args: list[str]) -> None:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(NO_ESPEAK_SHIM)
    cache = tmp_path / "cache"  # empty: nothing may come from an earlier run
    done = matcue(*args, cache=cache, env=cli_env(cache, PYTHONPATH=str(shim)))
    assert done.returncode == 1
    assert done.stderr == NO_ESPEAK
    assert_one_sentence(done.stderr)
    assert done.stdout == ""


# --- list, voices, help --------------------------------------------------------------------------


LIST_TIMEOUT = 60  # `list` speaks no line: its lengths are estimated from the words


def test_list_shows_every_built_in_routine(speech_cache: Path) -> None:
    done = matcue("list", cache=speech_cache, timeout=LIST_TIMEOUT)
    assert done.returncode == 0, done.stderr
    shipped = sorted(p.stem for p in LIBRARY_DIR.glob("*.yaml"))
    assert {"gentle-daily", "first-aid"} <= set(shipped)
    header, *rows = done.stdout.splitlines()
    assert header.split() == ["id", "level", "ex", "length", "title"]
    assert [row.split()[0] for row in rows] == shipped
    first_aid = next(row for row in rows if row.startswith("first-aid "))
    assert first_aid.endswith("First aid for sudden back pain")
    assert re.fullmatch(r"\d+:[0-5]\d", first_aid.split()[3])  # its length, m:ss


def test_list_speaks_no_line_and_its_lengths_are_close_to_the_plans(
    speech_cache: Path, tmp_path: Path
) -> None:
    cold = tmp_path / "cold-cache"
    done = matcue("list", "--json", cache=cold, timeout=LIST_TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert not cold.exists() or not any(cold.rglob("*.wav"))  # nothing was spoken
    listed = {row["id"]: row["duration_s"] for row in json.loads(done.stdout)}
    for rid in ("gentle-daily", "first-aid", "desk-seated"):
        plan = matcue("plan", rid, "--json", "--week", "1", cache=speech_cache)
        assert plan.returncode == 0, plan.stderr
        exact = json.loads(plan.stdout)["duration_s"]
        assert abs(listed[rid] - exact) <= 0.05 * exact, (rid, listed[rid], exact)


def test_list_json_describes_every_built_in_routine(speech_cache: Path) -> None:
    done = matcue("list", "--json", cache=speech_cache, timeout=LIST_TIMEOUT)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["id"] for r in rows] == sorted(p.stem for p in LIBRARY_DIR.glob("*.yaml"))
    for row in rows:
        assert set(row) == {"id", "title", "level", "equipment", "exercises", "duration_s"}
        assert row["level"] in ("gentle", "beginner", "intermediate", "advanced")
        assert row["exercises"] >= 1
        assert row["duration_s"] > 0


def test_voices_lists_an_english_voice(speech_cache: Path) -> None:
    done = matcue("voices", cache=speech_cache)
    assert done.returncode == 0, done.stderr
    header, *rows = [line.split(None, 5) for line in done.stdout.splitlines()]
    assert header == ["id", "engine", "language", "quality", "rate", "name"]
    assert len(rows) > 1
    english = [r for r in rows if r[1] == "espeak-ng" and r[2].split(",")[0].startswith("en")]
    assert english, done.stdout
    assert any("English" in r[5] for r in english)


def test_version(quick: dict[tuple[str, ...], subprocess.CompletedProcess[str]]) -> None:
    done = quick[("--version",)]
    assert (done.returncode, done.stdout) == (0, "matcue 0.1.0\n")


def test_top_level_help_lists_the_commands(
    quick: dict[tuple[str, ...], subprocess.CompletedProcess[str]],
) -> None:
    done = quick[("--help",)]
    assert done.returncode == 0, done.stderr
    for command in HELP:
        assert command in done.stdout
    assert "--debug" in done.stdout


@pytest.mark.parametrize("command", HELP)
def test_each_command_has_help(
    quick: dict[tuple[str, ...], subprocess.CompletedProcess[str]], command: str
) -> None:
    done = quick[(command, "--help")]
    assert done.returncode == 0, done.stderr
    # click's wording (typer's): acceptable only while typer is locked (<0.29)
    assert f"Usage: matcue {command}" in done.stdout
    assert ("--pace" in done.stdout) is HELP[command]
    if HELP[command]:
        assert "Pace in percent" in done.stdout


def test_no_command_is_usage_with_the_help(
    quick: dict[tuple[str, ...], subprocess.CompletedProcess[str]],
) -> None:
    done = quick[()]
    assert done.returncode == 2
    # click's wording (typer's): acceptable only while typer is locked (<0.29)
    assert "Usage: matcue [OPTIONS] COMMAND" in done.stdout
    assert "Traceback" not in done.stderr
