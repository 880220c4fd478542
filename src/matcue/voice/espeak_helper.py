"""Each attempt at a line in a fresh espeak-ng: a helper process forks a child per attempt.

A line's sound depends on what espeak-ng spoke before it in the same process: two counters in
its wave generator, function-local statics that no call resets, carry over between utterances
(``Flutter_ix`` in ``AdvanceParameters``, the place in its pitch-flutter table, one step per 64
voiced samples round 368 steps; ``cycle_count`` in ``Wavegen``, the wave cycles its roughness
modulation counts, modulo 4). On espeak-ng 1.51 a line made after others came out up to 4 %
(90 ms) longer or shorter and within 0.2 dB. Speaking a fixed primer first only moves the
counters on by a fixed amount, and setting the voice again does not touch them.

So the lines are not made in matcue's process. A helper process (started on the first line
that is not cached, one per matcue process, in a process group of its own so that a terminal's
Ctrl-C is matcue's to handle) starts pyttsx3 once and never speaks; for each attempt it forks a
child, which starts espeak-ng again as pyttsx3 does (a forked process has none of espeak's
threads), speaks exactly that line, sends the clip back and exits. Every child starts from the
same state, so the same text and settings give the same samples whatever was spoken before.
That costs about 10 ms a line (fork, start, exit) against 2-3 in one process.

The helper is not forked from matcue's process (its threads would be lost at the fork), but
started anew with the same Python; it ends when matcue closes the connection (at exit, or after
an interrupted exchange) or goes away, and each child is waited for before its answer is sent.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from multiprocessing.connection import Connection
from pathlib import Path

from matcue.audio.clip import Clip
from matcue.errors import MatcueError, SpeechEngineError
from matcue.voice.espeak_speaker import INSTALL_ESPEAK, Speaker

Answer = tuple[Clip | None, str]  # the clip, or None and why not
Request = tuple[str, str, int, float]  # text, voice id, rate, volume

ENDED = "espeak-ng's helper process ended without an answer"
STOP_TIMEOUT = 5.0  # seconds the helper has to end before it is killed


class FreshEspeak:
    """matcue's side of the helper: started on first use, ended at exit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._registered = False
        self.starts = 0  # helpers started (for tests)

    @property
    def pid(self) -> int | None:
        """The helper's process id while it runs (for tests)."""
        return None if self._process is None else self._process.pid

    def attempt(self, text: str, voice_id: str, rate: int, volume: float) -> Answer:
        """One attempt at ``text`` in a fresh espeak-ng: its clip (untrimmed) or a reason."""
        with self._lock:
            conn = self._conn if self._conn is not None else self._start()
            try:
                conn.send((text, voice_id, rate, volume))
                answer: Answer = conn.recv()
            except (EOFError, OSError):
                self._stop()
                return None, ENDED
            except BaseException:  # Ctrl-C mid-exchange: the pipe is out of step
                self._stop()
                raise
            return answer

    def close(self) -> None:
        """End the helper (if it runs) and wait for it."""
        with self._lock:
            self._stop()

    def _start(self) -> Connection:
        ours, theirs = socket.socketpair()
        self._conn = conn = Connection(ours.detach())
        if not self._registered:
            self._registered = True
            atexit.register(self.close)
        try:
            with theirs:
                self._process = subprocess.Popen(
                    [
                        sys.executable,
                        "-P",
                        "-c",
                        f"import {__name__} as h; h.serve({theirs.fileno()})",
                    ],
                    pass_fds=(theirs.fileno(),),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,  # pyttsx3 prints, espeak-ng may too
                    stderr=subprocess.DEVNULL,
                    process_group=0,
                )
            self.starts += 1
            status, message = conn.recv()
        except (EOFError, OSError):
            status, message = "error", INSTALL_ESPEAK
        except BaseException:
            self._stop()
            raise
        if status != "ready":
            self._stop()
            raise SpeechEngineError(message)
        return conn

    def _stop(self) -> None:
        conn, process = self._conn, self._process
        self._conn = self._process = None
        if conn is not None:
            conn.close()  # the helper reads the end of its input and ends
        if process is not None:
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
            finally:
                if process.returncode is None:
                    process.kill()
                    process.wait()


def serve(fd: int) -> None:
    """The helper's life: answer each request on ``fd`` from a fresh child, until it closes."""
    conn = Connection(fd)
    try:
        speaker = Speaker()
    except MatcueError as exc:
        conn.send(("error", str(exc)))
        return
    folder = Path(tempfile.mkdtemp(prefix="matcue-tts-"))
    try:
        conn.send(("ready", ""))
        while True:
            try:
                request: Request = conn.recv()
            except (EOFError, OSError):
                return
            conn.send(_in_child(speaker, folder, request))
    except (EOFError, OSError):
        return
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _in_child(speaker: Speaker, folder: Path, request: Request) -> Answer:
    """One attempt made by a child forked for it (the helper itself never speaks)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: speak, answer, and leave without running any clean-up
        code = 1
        try:
            os.close(read)
            spoken = _speak(speaker, folder / f"line-{os.getpid()}.wav", request)
            with os.fdopen(write, "wb") as out:
                pickle.dump(spoken, out, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as source:
        data = source.read()
    os.waitpid(pid, 0)
    if not data:
        return None, ENDED
    answer: Answer = pickle.loads(data)
    return answer


def _speak(speaker: Speaker, raw: Path, request: Request) -> Answer:
    text, voice_id, rate, volume = request
    if not speaker.restart():
        return None, "espeak-ng could not be started again"
    try:
        return speaker.attempt(text, raw, voice_id, rate, volume)
    finally:
        with contextlib.suppress(OSError):
            raw.unlink(missing_ok=True)
