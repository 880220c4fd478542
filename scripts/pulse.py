"""A private, headless PulseAudio server with a null sink, ``parec`` recording what reaches it,
and the real ``matcue`` played on it (straight through, or typed at on a pseudo-terminal).

Shared by the playback smoke tests (``tests/conftest.py``, ``tests/audio_helpers.py``) and
``scripts/bench.py``. Players run in subprocesses started with ``PulseServer.env``; the calling
process's environment is never changed. A server or recorder that cannot start raises
:class:`PulseError` (the tests' fixtures turn it into a failure with the message alone).
"""

from __future__ import annotations

import contextlib
import os
import pty
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from measure import onsets

SINK = "ci_sink"
SINK_RATE = 48000
STARTUP_LIMIT = 20.0  # seconds PulseAudio and parec may take to come up
TOOLS = ("pulseaudio", "pactl", "parec")
INSTALL_HINT = "install pulseaudio, pulseaudio-utils and libasound2-plugins"

_PA_SCRIPT = f"""\
load-module module-native-protocol-unix auth-anonymous=1
load-module module-null-sink sink_name={SINK} rate={SINK_RATE} channels=2
set-default-sink {SINK}
"""
_ASOUNDRC = "pcm.!default { type pulse }\nctl.!default { type pulse }\n"
# PulseAudio run as root makes its sink thread real-time and, by default, caps how long such a
# thread may run without sleeping (RLIMIT_RTTIME, 200 ms): past it the kernel kills the whole
# server. -1 leaves the limit alone (none), so a virtual machine's stall cannot end the server
# in the middle of a run; every test after it would fail for a reason that is not theirs.
_DAEMON_CONF = "rlimit-rttime = -1\n"


class PulseError(RuntimeError):
    """The private PulseAudio server or its recorder could not be started."""


@dataclass(frozen=True)
class PulseServer:
    """A running private PulseAudio server; pass ``env`` to every subprocess that plays."""

    root: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] = field(repr=False)
    sink: str = SINK
    rate: int = SINK_RATE

    @property
    def monitor(self) -> str:
        return f"{self.sink}.monitor"

    def log(self) -> str:
        path = self.root / "pa.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def exited(self, lines: int = 15) -> str | None:
        """``None`` while the server runs; else how it ended, with the end of its log."""
        status = self.process.poll()
        if status is None:
            return None
        how = f"killed by signal {-status}" if status < 0 else f"exited with status {status}"
        tail = "\n".join(self.log().splitlines()[-lines:])
        return f"PulseAudio {how}; the end of its log:\n{tail}"


def require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise PulseError(f"playing on a null sink needs {', '.join(missing)} ({INSTALL_HINT})")


def _pulse_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("PULSE_SINK", "PULSE_SOURCE", "PULSE_COOKIE", "ALSA_CONFIG_PATH"):
        env.pop(name, None)
    env.update(
        HOME=str(root / "home"),
        XDG_RUNTIME_DIR=str(root / "run"),
        XDG_CONFIG_HOME=str(root / "home" / ".config"),
        PULSE_SERVER=f"unix:{root / 'run' / 'pulse' / 'native'}",
    )
    return env


def start_pulse(root: Path) -> PulseServer:
    """Start a private PulseAudio under ``root`` and wait until its null sink is the default."""
    require_tools()
    (root / "home").mkdir(parents=True)
    (root / "run").mkdir(mode=0o700)
    (root / "home" / ".asoundrc").write_text(_ASOUNDRC)
    (root / "ci.pa").write_text(_PA_SCRIPT)
    (root / "home" / ".config" / "pulse").mkdir(parents=True)
    (root / "home" / ".config" / "pulse" / "daemon.conf").write_text(_DAEMON_CONF)
    env = _pulse_env(root)
    process = subprocess.Popen(
        [
            "pulseaudio",
            "-n",
            "-F",
            str(root / "ci.pa"),
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--use-pid-file=no",
            f"--log-target=file:{root / 'pa.log'}",
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = PulseServer(root=root, env=env, process=process)
    deadline = time.monotonic() + STARTUP_LIMIT
    info = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PulseError(
                f"PulseAudio exited with status {process.returncode} at startup:\n{server.log()}"
            )
        result = subprocess.run(
            ["pactl", "info"],
            env={**env, "LC_ALL": "C"},
            capture_output=True,
            text=True,
            check=False,
        )
        info = result.stdout
        if f"Default Sink: {SINK}" in info:
            return server
        time.sleep(0.05)
    stop_pulse(server)
    raise PulseError(
        f"PulseAudio did not offer the {SINK} sink in time.\n"
        f"pactl info said:\n{info}\nlog:\n{server.log()}"
    )


def stop_pulse(server: PulseServer) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextlib.contextmanager
def private_pulse() -> Iterator[PulseServer]:
    """A private PulseAudio server for the duration of the ``with`` block."""
    require_tools()
    # Not a test's tmp_path: the server's socket path must stay short (~107 bytes at most).
    root = Path(tempfile.mkdtemp(prefix="matcue-pulse-"))
    try:
        server = start_pulse(root)
        try:
            yield server
        finally:
            stop_pulse(server)
    finally:
        shutil.rmtree(root, ignore_errors=True)


class Recording:
    """``parec`` capturing the sink's monitor: mono int16 at the sink's rate, in real time."""

    def __init__(self, server: PulseServer, path: Path) -> None:
        self.server = server
        self.path = path
        self._file = path.open("wb")
        self._stderr = ""
        # A small latency makes parec deliver continuously; by default the monitor hands
        # out ~2 s blocks and stalls while nothing plays.
        self.process = subprocess.Popen(
            [
                "parec",
                "-d",
                server.monitor,
                f"--rate={server.rate}",
                "--channels=1",
                "--format=s16le",
                "--raw",
                "--latency-msec=10",
            ],
            env=server.env,
            stdin=subprocess.DEVNULL,
            stdout=self._file,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + STARTUP_LIMIT
        while path.stat().st_size == 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                err = self.close()
                died = server.exited()
                raise PulseError(
                    f"parec delivered no data from {server.monitor}: {err}"
                    + (f"\n{died}" if died else "")
                )
            time.sleep(0.01)

    @property
    def rate(self) -> int:
        return self.server.rate

    def close(self) -> str:
        """Stop recording (if it still does); what parec said on stderr."""
        if self._file.closed:
            return self._stderr
        if self.process.poll() is None:
            self.process.terminate()
        try:
            _, err = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        self._file.close()
        self._stderr = err.decode(errors="replace").strip() if err else ""
        return self._stderr

    def stop(self, tail: float = 0.5) -> npt.NDArray[np.int16]:
        """Keep recording ``tail`` seconds more (sound still on its way), then stop; the samples."""
        time.sleep(tail)
        self.close()
        data = self.path.read_bytes()
        return np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.int16)


# --- playing matcue on the private server ------------------------------------------------------

MATCUE = Path(sys.executable).with_name("matcue")
UNDERRUN = "underrun occurred"  # ALSA's note when the playback thread did not keep up
# ``matcue play`` as the smoke tests and the bench run it: --debug shows ALSA's own notes on
# stderr ("matcue: ALSA: ...", an underrun among them), which matcue keeps off the terminal
# otherwise; --no-media-keys keeps the session what its export is compared with, on a machine
# with a desktop bus too (the intro would name the headphone button), and --debug quiet about it.
PLAY = ("--debug", "play", "--no-media-keys")
ALSA_NOTE = "matcue: ALSA: "  # how --debug shows each of ALSA's notes, on a line of its own

# ALSA's default device as the server sets it (PulseAudio), and with PulseAudio's own underflows
# (the server found no sound to play: everything after comes late) reported as ALSA underruns,
# so that a take the machine disturbed says so on stderr like any other underrun.
ASOUNDRC = """\
pcm.!default {
    type pulse
    handle_underrun true
}
ctl.!default { type pulse }
"""

# For a timing take: PulseAudio holds two seconds of the stream (libpulse reads this) instead
# of the ~0.1 s simpleaudio asks for, so that a virtual machine's scheduling stalls do not run
# it dry. The constant latency is taken out by the alignment; a take that measures how fast the
# sound stops, or what a key does, or how often the device runs dry, keeps the small buffer.
RIDE_OUT_STALLS = {"PULSE_LATENCY_MSEC": "2000"}


def without_alsa_notes(stderr: str) -> str:
    """A take's ``stderr`` as a user sees it: without the ALSA notes that ``--debug`` adds."""
    lines = stderr.splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith(ALSA_NOTE))


def matcue_env(base: Mapping[str, str], **extra: str) -> dict[str, str]:
    """``base`` without what would change how matcue runs (``MATCUE_DEBUG``, ``PYTHONPATH``),
    with ``extra``."""
    env = {k: v for k, v in base.items() if k not in ("MATCUE_DEBUG", "PYTHONPATH")}
    return {**env, **extra}


def player_env(server: PulseServer, cache: Path, home: Path, **extra: str) -> dict[str, str]:
    """The environment to play in on ``server``: the speech cache ``cache``, and a ``home``
    whose .asoundrc reports PulseAudio's underflows as underruns (:data:`ASOUNDRC`)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / ".asoundrc").write_text(ASOUNDRC)
    return matcue_env(server.env, MATCUE_CACHE_DIR=str(cache), HOME=str(home), **extra)


def run_matcue(
    args: Sequence[str], env: Mapping[str, str], timeout: float = 120, nice: int = 0
) -> subprocess.CompletedProcess[str]:
    """``matcue ARGS`` to its end, no terminal; stdout and stderr as text. ``nice`` > 0 runs it
    at that lower priority."""
    niced = ["nice", "-n", str(nice)] if nice else []
    return subprocess.run(
        [*niced, str(MATCUE), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_matcue(args: Sequence[str], env: Mapping[str, str]) -> tuple[subprocess.Popen[str], str]:
    """``matcue ARGS`` started with no terminal, once it has printed its first line on stderr
    ("Playing …", once the device has the sound): the process, and that line."""
    child = subprocess.Popen(
        [str(MATCUE), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None
    return child, child.stderr.readline()


@dataclass(frozen=True)
class KeyTake:
    """One ``matcue play`` under the keys, recorded."""

    code: int
    stderr: str
    recording: npt.NDArray[np.int16]
    rate: int
    keys: list[tuple[float, bytes]]  # seconds after "Playing …", key bytes

    @property
    def lag(self) -> float:
        """Recording time of session time 0: the start bell's onset."""
        return onsets(self.recording, self.rate, fraction=0.05)[0]

    def at(self, t: float) -> int:
        return round(t * self.rate)


def _controlling_terminal() -> None:
    """In the child (after ``setsid``): its stdin becomes its controlling terminal."""
    import fcntl
    import termios

    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def keyed_play(
    recorder: Callable[[], Recording],
    env: Mapping[str, str],
    routine: Path | str,
    script: Sequence[tuple[float, bytes]],
    args: Sequence[str] = (),
    timeout: float = 90,
    controlling: bool = False,
) -> KeyTake:
    """``matcue --debug play ROUTINE ARGS`` with stdin a pseudo-terminal, recorded by
    ``recorder()``; each ``(delay, key)`` of ``script`` is typed ``delay`` seconds after
    "Playing …" appeared (none if another line came first). ``controlling``: the terminal is
    matcue's controlling terminal (in a session of its own), so Ctrl-C and Ctrl-\\ typed on
    it are signals, as at a shell."""
    rec = recorder()
    master, slave = pty.openpty()
    child = subprocess.Popen(
        [str(MATCUE), *PLAY, str(routine), *args],
        env=env,
        stdin=slave,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=controlling,
        preexec_fn=_controlling_terminal if controlling else None,
    )
    os.close(slave)
    sent = []
    try:
        assert child.stderr is not None
        line = child.stderr.readline()
        started = time.monotonic()
        for delay, key in script if line.startswith("Playing ") else ():
            time.sleep(max(0.0, started + delay - time.monotonic()))
            os.write(master, key)
            sent.append((time.monotonic() - started, key))
        code = child.wait(timeout=timeout)
        err = child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(master)
    return KeyTake(code, line + err, rec.stop(tail=1.0), rec.rate, sent)


# --- a private session D-Bus (the media keys) --------------------------------------------------


@dataclass(frozen=True)
class SessionBus:
    address: str  # what DBUS_SESSION_BUS_ADDRESS is set to
    pid: int


@contextlib.contextmanager
def private_bus() -> Iterator[SessionBus]:
    """A private ``dbus-daemon --session`` (up in milliseconds); killed by its pid at the end
    (an orphaned player would otherwise keep a test or the bench waiting)."""
    started = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--nopidfile", "--print-address=1", "--print-pid=1"],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    address, pid = started.stdout.split("\n")[:2]
    bus = SessionBus(address.strip(), int(pid))
    try:
        yield bus
    finally:
        os.kill(bus.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and Path(f"/proc/{bus.pid}").exists():
            time.sleep(0.01)
        if Path(f"/proc/{bus.pid}").exists():
            os.kill(bus.pid, signal.SIGKILL)
