"""Faults injected into the real ``matcue`` command: each ends in one sentence (or "Stopped."),
the right exit code, no traceback and no partial file.

- Ctrl-C at every stage of ``export`` and ``play``: a ``sitecustomize`` shim sends the process
  SIGINT at a chosen point (while loading the routine, in the middle of synthesising a line,
  of rendering, of encoding, while tagging, between the final renames).
- A full disk: a small tmpfs (when this machine lets us mount one) and a file size limit
  (RLIMIT_FSIZE, which the kernel enforces like a full disk, anywhere).
- The audio device lost mid-session: the PulseAudio server is killed while ``matcue play`` plays.
- A damaged speech cache is detected and rebuilt; errors nobody expected are one sentence.

(No audio device, a missing espeak-ng and an unwritable folder are in tests/test_cli.py; a
damaged cache entry at the voice level in tests/test_voice.py.)
"""

from __future__ import annotations

import contextlib
import errno
import os
import pty
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import soundfile as sf

from audio_helpers import cli_env
from conftest import PulseServer
from matcue import api, cli

MATCUE = Path(sys.executable).with_name("matcue")
ROUTINES = Path(__file__).parent / "routines"
EXPORT_ROUTINE = ROUTINES / "export" / "two-exercises.yaml"
PLAY_ROUTINE = ROUTINES / "cli" / "short-session.yaml"
STOPPED = "Stopped.\n"

# Sends this process SIGINT at the stage named by MATCUE_TEST_SIGINT_AT. Where a stage is a
# long call (synthesis), the signal comes from a timer while the call runs; elsewhere it is
# sent between two steps of the work (the third clip rendered, the second block encoded, the
# first file renamed), where a user's Ctrl-C would land.
SIGINT_SHIM = """\
import os
import signal
import threading

STAGE = os.environ.get("MATCUE_TEST_SIGINT_AT", "")
calls = {"n": 0}


def interrupt():
    os.kill(os.getpid(), signal.SIGINT)


def on_call(owner, name, nth=1, during=False):
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == nth:
            if during:
                threading.Timer(0.005, interrupt).start()
            else:
                interrupt()
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)


def after_call(owner, name):
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        interrupt()
        return result

    setattr(owner, name, wrapper)


if STAGE == "load":
    from matcue.routine import loader
    on_call(loader, "compose")
elif STAGE == "synthesis":
    from matcue.voice import pyttsx3_voice
    on_call(pyttsx3_voice._Engine, "synthesise", nth=3, during=True)
elif STAGE == "render":
    import importlib
    render = importlib.import_module("matcue.audio.render")  # not the function of that name
    # the third clip mixed in, whether levelled now or read back from the levels cache
    on_call(render._Renderer, "_pieces", nth=3)
elif STAGE == "levelling":
    from matcue.audio import levelling
    on_call(levelling, "_fitted", nth=3)  # a clip levelled in a worker thread (no levels cache)
elif STAGE == "encode":
    from matcue.export import encoders
    on_call(encoders._SoundfileEncoder, "write", nth=2)
elif STAGE == "tags":
    from matcue.export import encoders
    on_call(encoders, "write_metadata")
elif STAGE == "rename":
    from matcue.export import staging
    after_call(staging.Staging, "_place")
"""


def matcue(
    *args: str | Path,
    env: dict[str, str],
    cwd: Path,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MATCUE), *map(str, args)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        preexec_fn=preexec_fn,
    )


@pytest.fixture(scope="session")
def warm(speech_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared speech cache holding every line of both routines used here."""
    cwd = tmp_path_factory.mktemp("warm")
    for routine in (EXPORT_ROUTINE, PLAY_ROUTINE):
        done = matcue("plan", routine, env=cli_env(speech_cache), cwd=cwd)
        assert done.returncode == 0, done.stderr
    return speech_cache


def assert_one_sentence(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert stderr.startswith("matcue: ") and stderr.endswith("\n"), stderr
    assert stderr.count("\n") == 1, stderr


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- Ctrl-C at every stage -----------------------------------------------------------------------


def interrupted(stage: str, tmp_path: Path, cache: Path) -> dict[str, str]:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(SIGINT_SHIM)
    return cli_env(cache, PYTHONPATH=str(shim), MATCUE_TEST_SIGINT_AT=stage)


@pytest.mark.parametrize(
    "stage", ["load", "synthesis", "render", "levelling", "encode", "tags", "rename"]
)
def test_ctrl_c_at_any_stage_of_an_export_leaves_nothing(
    stage: str, warm: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cold" if stage == "synthesis" else warm  # synthesis needs a cold cache
    if stage == "levelling":  # the speech, but no loudness work yet
        cache = tmp_path / "no-levels"
        shutil.copytree(warm / "speech", cache / "speech")
    out = tmp_path / "out"
    out.mkdir()
    args = ["export", EXPORT_ROUTINE, "-o", "s.flac", "--subtitles", "vtt", "--cue-sheet"]
    done = matcue(*args, env=interrupted(stage, tmp_path, cache), cwd=out)
    assert (done.returncode, done.stderr) == (130, STOPPED)
    assert files_in(out) == []  # no audio, no sidecar, no temporary file
    assert_whole_cache(cache)


def assert_whole_cache(cache: Path) -> None:
    """Every file in the speech cache is a complete entry (no temporary file is left)."""
    for path in (cache / "speech").rglob("*") if (cache / "speech").exists() else ():
        if path.is_file():
            assert path.suffix == ".wav" and not path.name.startswith("."), path
            assert sf.info(str(path)).frames > 0


def test_the_shim_alone_changes_nothing(warm: Path, tmp_path: Path) -> None:
    """The same export with the shim loaded but no stage picked writes every file."""
    out = tmp_path / "out"
    out.mkdir()
    args = ["export", EXPORT_ROUTINE, "-o", "s.flac", "--subtitles", "vtt", "--cue-sheet"]
    done = matcue(*args, env=interrupted("", tmp_path, warm), cwd=out)
    assert done.returncode == 0, done.stderr
    assert files_in(out) == ["s.cue", "s.flac", "s.vtt"]


def test_ctrl_c_during_the_renames_keeps_the_files_it_replaced_whole(
    warm: Path, tmp_path: Path
) -> None:
    """With --force, a file already replaced holds the complete new session, never a part."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "s.vtt").write_text("old")
    args = ["export", EXPORT_ROUTINE, "-o", "s.wav", "--subtitles", "vtt", "--force"]
    done = matcue(*args, env=interrupted("rename", tmp_path, warm), cwd=out)
    assert (done.returncode, done.stderr) == (130, STOPPED)
    # the subtitles are staged first, so they are the file renamed before the Ctrl-C
    assert files_in(out) == ["s.vtt"]
    assert (out / "s.vtt").read_text().startswith("WEBVTT")


@pytest.mark.parametrize("stage", ["load", "synthesis", "render"])
def test_ctrl_c_before_the_sound_starts_stops_play(stage: str, warm: Path, tmp_path: Path) -> None:
    # (Ctrl-C while the sound plays: tests/test_e2e_play.py, on the private PulseAudio sink)
    cache = tmp_path / "cold" if stage == "synthesis" else warm
    done = matcue("play", PLAY_ROUTINE, env=interrupted(stage, tmp_path, cache), cwd=tmp_path)
    assert (done.returncode, done.stderr, done.stdout) == (130, STOPPED, "")
    assert_whole_cache(cache)


# --- a full disk ---------------------------------------------------------------------------------


def file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:  # in the child, before exec; SIG_IGN survives the exec
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.parametrize("fmt", ["wav", "mp3"])
def test_a_file_size_limit_midway_is_one_sentence_and_leaves_nothing(
    fmt: str, warm: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    # The limit covers every file, memory files too: the PulseAudio client library that
    # espeak-ng loads would complain that it cannot size its shared memory, so it is told
    # not to use any (a real full disk leaves memory files alone: see the tmpfs test below).
    client = tmp_path / "pulse-client.conf"
    client.write_text("enable-shm = no\nautospawn = no\n")
    done = matcue(
        "export",
        EXPORT_ROUTINE,
        "-o",
        f"s.{fmt}",
        "--labels",
        env=cli_env(warm, PULSE_CLIENTCONFIG=str(client)),
        cwd=out,
        preexec_fn=file_size_limit(40_000),  # the session's WAV is ~1 MB, its MP3 ~200 kB
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr == (
        f"matcue: cannot write s.{fmt}: the file is too large for this file system\n"
    )
    assert files_in(out) == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real, nearly full file system: a 256 kB tmpfs (needs the right to mount)."""
    mount = shutil.which("mount")
    folder = tmp_path / "disk"
    folder.mkdir()
    if mount is None or os.geteuid() != 0:
        pytest.fail("the full-disk tests mount a small tmpfs: run them as root, with mount(8)")
    done = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"the full-disk tests cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_full_disk_is_one_sentence_and_leaves_nothing(warm: Path, small_disk: Path) -> None:
    (small_disk / "keep.txt").write_text("the user's own file\n")
    done = matcue("export", EXPORT_ROUTINE, "-o", "s.wav", env=cli_env(warm), cwd=small_disk)
    assert done.returncode == 1, done.stderr
    assert done.stderr == "matcue: cannot write s.wav: the disk is full\n"
    assert files_in(small_disk) == ["keep.txt"]
    assert (small_disk / "keep.txt").read_text() == "the user's own file\n"


def test_a_speech_cache_on_a_full_disk_is_one_sentence(small_disk: Path, tmp_path: Path) -> None:
    cache = small_disk / "cache"
    with contextlib.suppress(OSError), (small_disk / "filler").open("wb") as f:
        while True:  # to the last block
            f.write(b"\0" * 4096)
            f.flush()
    done = matcue("plan", PLAY_ROUTINE, env=cli_env(cache), cwd=tmp_path)
    assert done.returncode == 0, done.stderr  # the speech is made in memory (issue 19)
    assert done.stderr == (
        f"matcue: warning: the speech cache cannot be written: the disk of {cache / 'speech'} "
        "is full; make room, or set MATCUE_CACHE_DIR to a writable folder; the speech is made "
        "in memory this time\n"
    )
    leftovers = [p for p in cache.rglob("*") if p.is_file()] if cache.exists() else []
    assert leftovers == []  # no half-written entry


# --- no voice ------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["plan", PLAY_ROUTINE], ["voices"]])
def test_espeak_ng_without_its_voice_data_is_one_sentence(
    args: list[str | Path], tmp_path: Path
) -> None:
    """libespeak-ng itself would print a line and exit(1) from C: matcue looks first."""
    empty = tmp_path / "no-data"
    empty.mkdir()
    cache = tmp_path / "cache"
    done = matcue(*args, env=cli_env(cache, ESPEAK_DATA_PATH=str(empty)), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"matcue: Text-to-speech needs espeak-ng's voice data, which is missing from {empty}: "
        "reinstall it with `apt-get install --reinstall espeak-ng-data` (Debian/Ubuntu) or "
        "your system's package manager.\n"
    )


def test_a_voice_that_does_not_exist_is_invalid_input(warm: Path, tmp_path: Path) -> None:
    done = matcue("plan", PLAY_ROUTINE, "--voice", "nobody", env=cli_env(warm), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "matcue: no voice 'nobody'; run `matcue voices` to list them\n"


def test_a_language_without_a_voice_is_invalid_input(warm: Path, tmp_path: Path) -> None:
    routine = tmp_path / "klingon.yaml"
    routine.write_text(PLAY_ROUTINE.read_text().replace("level: beginner", "language: tlh"))
    done = matcue("plan", routine, env=cli_env(warm), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "matcue: no voice for language 'tlh'; run `matcue voices` to list them\n"
    )


# --- the audio device lost mid-session -----------------------------------------------------------


DEVICE_LOST = (
    "matcue: The audio output device stopped playing before the session ended; check your "
    "speakers or headphones, or write the session to a file with `matcue export`.\n"
)

# On SIGUSR1, makes alsa-lib complain mid-session, through its error handler: the same way
# as its notes on a lost device or an underrun, which come only now and then.
ALSA_SHIM = """\
import ctypes
import signal


def complain(signum, frame):
    pcm = ctypes.c_void_p()
    ctypes.CDLL("libasound.so.2").snd_pcm_open(ctypes.byref(pcm), b"matcue-no-such-pcm", 0, 0)


signal.signal(signal.SIGUSR1, complain)
"""


@pytest.mark.audio
@pytest.mark.parametrize(
    ("keys", "debug"),
    [(False, False), (True, False), (False, True)],
    ids=["plain", "keys", "debug"],
)
def test_the_audio_device_lost_mid_session_is_one_sentence(
    spare_pulse: PulseServer, warm: Path, tmp_path: Path, keys: bool, debug: bool
) -> None:
    """Exit 1 and matcue's one sentence, nothing of ALSA's (with a terminal too, where the
    status line is); with --debug, ALSA's notes as well, each marked as ALSA's."""
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(ALSA_SHIM)
    env = {k: v for k, v in spare_pulse.env.items() if k != "MATCUE_DEBUG"}
    env.update(MATCUE_CACHE_DIR=str(warm), MATCUE_DATA_DIR=str(tmp_path / "data"))
    env["PYTHONPATH"] = str(shim)
    master, slave = pty.openpty() if keys else (-1, -1)
    child = subprocess.Popen(
        [
            str(MATCUE),
            *(["--debug"] if debug else []),
            "play",
            "--no-media-keys",
            str(PLAY_ROUTINE),
        ],
        env=env,
        stdin=slave if keys else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert child.stderr is not None
        # the first lines, read from the pipe itself (communicate() reads past any buffer)
        started = b""
        while started.count(b"\n") < (2 if keys else 1):
            chunk = os.read(child.stderr.fileno(), 4096)
            assert chunk, started
            started += chunk
        assert started.startswith(b"Playing Short session"), started
        time.sleep(0.5)
        child.send_signal(signal.SIGUSR1)  # alsa-lib complains while the session plays
        time.sleep(1.0)
        spare_pulse.process.kill()  # the sound server (and so the device) is gone
        out, err_bytes = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
        if keys:
            os.close(slave)
            os.close(master)
    err = err_bytes.decode()
    assert child.returncode == 1, err
    assert out == b""
    if not debug:
        assert err == DEVICE_LOST
        return
    lines = err.splitlines()
    assert lines[-1] == DEVICE_LOST.rstrip("\n")
    assert "Traceback" in err  # --debug
    # alsa-lib's format as it gave it: its variadic arguments are not read (alsa_notes)
    complaint = r"matcue: ALSA: pcm\.c:\d+:\(snd_pcm_open_noupdate\) Unknown PCM %s"
    assert [line for line in lines if re.fullmatch(complaint, line)], err
    assert not [line for line in lines if line.startswith("ALSA lib")], err


# --- the speech cache ----------------------------------------------------------------------------


def test_a_damaged_speech_cache_is_rebuilt_by_the_command(warm: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    done = matcue("plan", EXPORT_ROUTINE, env=cli_env(cache), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    entries = sorted((cache / "speech").rglob("*.wav"))
    assert len(entries) > 10
    for i, entry in enumerate(entries):  # truncated, emptied, overwritten
        data = entry.read_bytes()
        entry.write_bytes([data[: len(data) // 2], b"", b"RIFF garbage" * 4][i % 3])
    done = matcue("export", EXPORT_ROUTINE, "-o", "s.wav", env=cli_env(cache), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    again = matcue("export", EXPORT_ROUTINE, "-o", "t.wav", env=cli_env(warm), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    a, b = sf.read(str(tmp_path / "s.wav"))[0], sf.read(str(tmp_path / "t.wav"))[0]
    assert abs(a.size - b.size) <= 0.05 * b.size  # the same session, from rebuilt entries
    assert all(sf.info(str(e)).frames > 0 for e in entries)  # every entry made anew


# --- errors nobody expected ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "sentence"),
    [
        (OSError(errno.EIO, "Input/output error"), "matcue: input/output error\n"),
        (
            OSError(errno.ENOSPC, "No space left on device", "/cache/x"),
            "matcue: no space left on device: /cache/x\n",
        ),
        (
            MemoryError(),
            "matcue: there is not enough memory to go on; close other programs or try a "
            "shorter session\n",
        ),
        (RecursionError(), "matcue: the input is nested too deeply to be read\n"),
        (ValueError("odd"), "matcue: unexpected error: odd (run again with --debug for details)\n"),
    ],
)
def test_a_failure_of_the_system_is_one_sentence(
    error: BaseException,
    sentence: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def fail(name: str) -> Path:
        raise error

    monkeypatch.setattr(api, "load", fail)
    assert cli.main(["show", "gentle-daily"]) == 1
    assert capsys.readouterr().err == sentence
    assert cli.main(["--debug", "show", "gentle-daily"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_ctrl_c_anywhere_in_a_command_is_exit_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def stop(name: str) -> Path:
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "load", stop)
    assert cli.main(["show", "gentle-daily"]) == 130
    assert capsys.readouterr().err == STOPPED


def test_a_closed_pipe_ends_quietly(speech_cache: Path, tmp_path: Path) -> None:
    """``matcue plan ROUTINE --json | head -c 1``: no complaint when the reader leaves early."""
    child = subprocess.Popen(
        [str(MATCUE), "plan", "classic-set", "--json"],  # far more than a pipe holds
        cwd=tmp_path,
        env=cli_env(speech_cache),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    try:
        assert child.stdout.read(1) == b"{"
        child.stdout.close()
        err = child.stderr.read().decode()
        child.wait(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    assert (child.returncode, err) == (1, "")


def test_a_terminal_that_cannot_show_a_character_gets_a_question_mark(
    warm: Path, tmp_path: Path
) -> None:
    done = matcue("plan", PLAY_ROUTINE, env=cli_env(warm, PYTHONIOENCODING="ascii"), cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("Short session ? ")  # the title's dash


_INTERRUPT_WHILE_LOADING = """
import sys

class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == "matcue.cli":  # the Ctrl-C lands while the CLI's libraries load
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, Interrupt())
from matcue.__main__ import run
run()
"""


def test_ctrl_c_while_loading_is_quiet() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _INTERRUPT_WHILE_LOADING],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 130
    assert done.stderr == "Stopped.\n"
