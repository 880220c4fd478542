"""alsa-lib's own error lines go to matcue's handler, not to the terminal (issue #7).

alsa-lib is made to complain for real, in a child process (the handler is for the whole
process): opening a PCM that does not exist ("Unknown PCM ..."), and recovering a playback PCM
from an underrun (what simpleaudio's thread does when the machine stalls: "underrun occurred").
ALSA's ``null`` PCM needs no sound server. The playback itself is in tests/test_player.py and
tests/test_faults.py (the device lost mid-session).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from matcue.playback import alsa_notes
from matcue.playback.alsa_notes import Note

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="alsa-lib is Linux's")

CHILD = """
import ctypes, errno, json, sys
from matcue.playback import alsa_notes

echoed = []
installed = alsa_notes.install(lambda note: echoed.append(str(note))) if sys.argv[1] else None
lib = ctypes.CDLL("libasound.so.2")
pcm = ctypes.c_void_p()
if sys.argv[2] == "unknown":
    assert lib.snd_pcm_open(ctypes.byref(pcm), b"matcue-no-such-pcm", 0, 0) < 0
else:  # an underrun recovered, as simpleaudio's playback thread does it
    assert lib.snd_pcm_open(ctypes.byref(pcm), b"null", 0, 0) == 0
    # S16_LE, interleaved, mono, 22050 Hz, resampling allowed, 0.1 s
    assert lib.snd_pcm_set_params(pcm, 2, 3, 1, 22050, 1, 100000) == 0
    assert lib.snd_pcm_recover(pcm, -errno.EPIPE, 0) == 0
    lib.snd_pcm_close(pcm)
log = alsa_notes.recorded()
print(json.dumps({
    "installed": installed,
    "notes": [str(n) for n in log.notes],
    "total": log.total,
    "underruns": log.underruns,
    "echoed": echoed,
}))
"""


def provoke(install: bool, what: str) -> tuple[dict[str, object], str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MATCUE_DEBUG", "PYTHONPATH")}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, "1" if install else "", what],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result, done.stderr


@linux_only
def test_without_the_handler_alsa_lib_prints_on_stderr() -> None:
    """The yardstick: the complaint provoked below is real, and alsa-lib's own printing."""
    result, stderr = provoke(install=False, what="unknown")
    assert re.fullmatch(
        r"ALSA lib pcm\.c:\d+:\(snd_pcm_open_noupdate\) Unknown PCM matcue-no-such-pcm\n", stderr
    ), stderr
    assert result["notes"] == [] and result["total"] == 0


@linux_only
def test_the_handler_keeps_what_alsa_lib_says_and_prints_nothing() -> None:
    result, stderr = provoke(install=True, what="unknown")
    assert stderr == ""
    assert result["installed"] is True
    (note,) = result["notes"]  # type: ignore[misc]
    # the format as alsa-lib gave it: its variadic arguments are not read
    assert re.fullmatch(r"pcm\.c:\d+:\(snd_pcm_open_noupdate\) Unknown PCM %s", note), note
    assert result["echoed"] == [note]  # what --debug shows, as it comes
    assert (result["total"], result["underruns"]) == (1, 0)


@linux_only
def test_an_underrun_is_kept_and_counted() -> None:
    result, stderr = provoke(install=True, what="underrun")
    assert stderr == ""
    assert result["underruns"] == 1
    (note,) = result["notes"]  # type: ignore[misc]
    assert re.fullmatch(r"pcm\.c:\d+:\(snd_pcm_recover\) underrun occurred", note), note


def test_without_libasound_install_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on macOS or Windows: no library, no handler, no error."""
    monkeypatch.setattr(alsa_notes, "_installed", [])
    monkeypatch.setattr(alsa_notes, "LIBRARY", "libmatcue-no-such-library.so.0")
    assert alsa_notes.install() is False
    assert alsa_notes._installed == []


def test_a_note_reads_as_alsa_lib_would_print_it() -> None:
    note = Note("pcm.c", 8570, "snd_pcm_recover", "underrun occurred")
    assert str(note) == "pcm.c:8570:(snd_pcm_recover) underrun occurred"
    assert note.underrun
    assert not Note("pcm.c", 2666, "snd_pcm_open_noupdate", "Unknown PCM x").underrun
