"""SIGTERM and SIGHUP (``kill``, ``timeout``, systemd, a closed terminal) end ``matcue`` like
Ctrl-C: at any stage of an export (speech being made included) nothing is left, the one line is
"Stopped." and the exit status 130; the same before ``play``'s sound starts. Ctrl-\\ (SIGQUIT)
in the key mode interrupts like Ctrl-C with the terminal put back (the session itself:
tests/test_e2e_keys.py).
"""

from __future__ import annotations

import contextlib
import os
import pty
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from audio_helpers import cli_env
from matcue.cli.terminal import keys_mode
from test_faults import EXPORT_ROUTINE, PLAY_ROUTINE, SIGINT_SHIM, assert_whole_cache, files_in
from test_faults import matcue as run
from test_faults import warm as warm  # the shared warm speech cache

MATCUE = Path(sys.executable).with_name("matcue")
STOPPED = "Stopped.\n"
SHIM = SIGINT_SHIM.replace(
    "os.kill(os.getpid(), signal.SIGINT)",
    "os.kill(os.getpid(), getattr(signal, os.environ['MATCUE_TEST_SIGNAL']))",
)
assert SHIM != SIGINT_SHIM


def signalled(name: str, stage: str, tmp_path: Path, cache: Path) -> dict[str, str]:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(SHIM)
    return cli_env(
        cache, PYTHONPATH=str(shim), MATCUE_TEST_SIGINT_AT=stage, MATCUE_TEST_SIGNAL=name
    )


@pytest.mark.parametrize(
    ("name", "stage", "split"),
    [
        ("SIGTERM", "load", False),
        ("SIGTERM", "synthesis", False),
        ("SIGHUP", "synthesis", True),
        ("SIGTERM", "render", True),
        ("SIGHUP", "levelling", False),
        ("SIGTERM", "encode", True),
        ("SIGHUP", "encode", False),
        ("SIGTERM", "tags", False),
        ("SIGHUP", "rename", False),
        ("SIGTERM", "rename", True),
    ],
)
def test_term_and_hup_during_an_export_end_it_like_ctrl_c(
    name: str, stage: str, split: bool, warm: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cold" if stage in ("synthesis", "levelling") else warm
    if stage == "levelling":  # the speech, but no loudness work yet
        import shutil

        shutil.copytree(warm / "speech", cache / "speech")
    out = tmp_path / "out"
    out.mkdir()
    args = ["export", EXPORT_ROUTINE, "-o", "s.flac", "--subtitles", "vtt", "--cue-sheet"]
    if split:
        args.append("--split")
    done = run(*args, env=signalled(name, stage, tmp_path, cache), cwd=out)
    assert (done.returncode, done.stderr, done.stdout) == (130, STOPPED, "")
    assert files_in(out) == []  # no audio, no track, no sidecar, no temporary file
    assert_whole_cache(cache)


@pytest.mark.parametrize(("name", "stage"), [("SIGTERM", "synthesis"), ("SIGHUP", "render")])
def test_term_and_hup_before_the_sound_starts_stop_play_like_ctrl_c(
    name: str, stage: str, warm: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cold" if stage == "synthesis" else warm
    done = run("play", PLAY_ROUTINE, env=signalled(name, stage, tmp_path, cache), cwd=tmp_path)
    assert (done.returncode, done.stderr, done.stdout) == (130, STOPPED, "")
    assert_whole_cache(cache)


@pytest.mark.parametrize("delay", [0.3, 0.6, 0.9])
def test_a_term_from_outside_at_any_moment_leaves_nothing(delay: float, tmp_path: Path) -> None:
    """``kill`` at several moments of an export with a cold cache (the speech made first)."""
    out = tmp_path / "out"
    out.mkdir()
    child = subprocess.Popen(
        [str(MATCUE), "export", str(EXPORT_ROUTINE), "-o", "s.opus", "--split", "--labels"],
        cwd=out,
        env=cli_env(tmp_path / "cold"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(delay)
    child.send_signal(signal.SIGTERM)
    stdout, stderr = child.communicate(timeout=120)
    if child.returncode == 0:  # the export was done before the signal came
        assert not [name for name in files_in(out) if name.startswith(".")]
        return
    assert (child.returncode, stderr, stdout) == (130, STOPPED, "")
    assert files_in(out) == []
    assert_whole_cache(tmp_path / "cold")


@pytest.mark.parametrize("sig", [signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP])
def test_the_key_mode_puts_the_terminal_back_when_a_signal_ends_it(sig: int) -> None:
    """Ctrl-\\ (SIGQUIT), TERM and HUP in the key mode: KeyboardInterrupt (the session's
    Ctrl-C: place saved, history row, exit 130), echo and line editing back."""
    master, slave = pty.openpty()
    try:
        before = termios.tcgetattr(slave)
        with pytest.raises(KeyboardInterrupt), keys_mode(slave) as fd:
            assert not termios.tcgetattr(fd)[3] & termios.ECHO
            os.kill(os.getpid(), sig)
            time.sleep(1.0)  # the handler runs before this ends
        assert termios.tcgetattr(slave) == before
        assert signal.getsignal(sig) is not None
    finally:
        for end in (master, slave):
            with contextlib.suppress(OSError):
                os.close(end)
