"""The helper process that makes each espeak-ng line in a fresh state (matcue.voice.espeak_helper)
ends with the process that started it: at its exit, when it is killed, and when a line is
interrupted; a new one is started for the next line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from matcue.voice import Pyttsx3Voice, VoiceSettings
from matcue.voice import pyttsx3_voice as pv

SCRIPT = """
import sys, time
from pathlib import Path
from matcue.voice import Pyttsx3Voice, VoiceSettings, pyttsx3_voice as pv
Pyttsx3Voice(VoiceSettings(), cache_dir=Path(sys.argv[1])).clip("Roll to your side.")
print(pv._ENGINE.helper.pid, flush=True)
if sys.argv[2] == "kill":  # wait to be killed
    time.sleep(60)
"""


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not gone, and not a zombie waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def ends_soon(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not running(pid)


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_the_helper_ends_with_its_process(how: str, tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(SCRIPT), str(tmp_path), how],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # where the helper keeps its files
    )
    assert child.stdout is not None
    helper = int(child.stdout.readline())
    if how == "kill":  # no clean-up runs: the helper sees its connection close
        assert running(helper)
        assert len(list(tmp_path.glob("matcue-tts-*"))) == 1
        child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert ends_soon(helper)
    assert not list(tmp_path.glob("matcue-tts-*"))


def test_an_interrupted_line_ends_the_helper_and_the_next_line_starts_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    voice = Pyttsx3Voice(VoiceSettings(), cache_dir=tmp_path)
    voice.clip("Lie still.")
    engine = pv._ENGINE
    assert engine is not None and engine.helper.pid is not None
    first, starts = engine.helper.pid, pv.helper_starts()

    def interrupted(_: object) -> object:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:  # Ctrl-C while the answer is awaited
        patch.setattr("multiprocessing.connection.Connection.recv", interrupted)
        with pytest.raises(KeyboardInterrupt):
            voice.clip("Sit up.")
    assert engine.helper.pid is None
    assert ends_soon(first)
    assert voice.clip("Sit up.").duration > 0.3
    assert pv.helper_starts() == starts + 1
