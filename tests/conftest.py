"""Shared fixtures.

Audio: a private, headless PulseAudio server with a null sink (``pulse``), ALSA's default
device routed to it, and ``recorder`` to capture what reaches the sink in real time. Tests
play in a subprocess started with ``pulse.env``; this process's environment is never changed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pytest

if TYPE_CHECKING:
    from test_long_session import LongSessionTakes

SINK = "ci_sink"
SINK_RATE = 48000
_STARTUP_LIMIT = 20.0  # seconds PulseAudio and parec may take to come up
_TOOLS = ("pulseaudio", "pactl", "parec")
_INSTALL_HINT = "install pulseaudio, pulseaudio-utils and libasound2-plugins"

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


def _require_tools() -> None:
    missing = [tool for tool in _TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"the audio tests need {', '.join(missing)} on PATH ({_INSTALL_HINT})",
            pytrace=False,
        )


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
    _require_tools()
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
    deadline = time.monotonic() + _STARTUP_LIMIT
    info = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"PulseAudio exited with status {process.returncode} at startup:\n{server.log()}",
                pytrace=False,
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
    pytest.fail(
        f"PulseAudio did not offer the {SINK} sink in time.\n"
        f"pactl info said:\n{info}\nlog:\n{server.log()}",
        pytrace=False,
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
    _require_tools()
    # Not tmp_path: the server's socket path must stay short (unix sockets allow ~107 bytes).
    root = Path(tempfile.mkdtemp(prefix="matcue-pulse-"))
    try:
        server = start_pulse(root)
        try:
            yield server
        finally:
            stop_pulse(server)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def speech_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One speech cache for the whole run (the e2e tests' module fixtures use the same folder):
    espeak-ng speaks each line once."""
    path = tmp_path_factory.getbasetemp() / "speech-cache"
    path.mkdir(exist_ok=True)
    return path


LONG_SESSION_TEST = "test_long_session.py::test_a_ten_minute_session_ends_with_every_cue_on_time"


def _is_long_session(item: pytest.Item) -> bool:
    return item.nodeid.endswith(LONG_SESSION_TEST)


def _plays(item: pytest.Item) -> bool:
    """Whether a test plays sound on a PulseAudio server and measures it in real time."""
    # fixturenames holds what a test's fixtures ask for too (``recorder`` asks for ``pulse``)
    return item.get_closest_marker("audio") is not None or bool(
        {"pulse", "spare_pulse"} & set(getattr(item, "fixturenames", ()))
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The order of a run: the tests that play in real time after the others, and the
    ten-minute capture last. Its takes play in the background from the start of the run
    (``long_session_takes``), and the test waits for them once the rest is done; the CPU-heavy
    start of the takes (an export with a cold speech cache) meets the tests that only compute,
    and the takes' playing (light) meets the real-time tests."""
    items.sort(key=lambda item: (_is_long_session(item), _plays(item)))  # stable


@pytest.fixture(scope="session", autouse=True)
def long_session_takes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LongSessionTakes | None]:
    """When the run includes the ten-minute capture (tests/test_long_session.py), its takes
    start now, on a thread, a PulseAudio server and a speech cache of their own, so that they
    play while the other tests run (CI would otherwise wait eleven minutes or more for them).
    """
    if not any(_is_long_session(item) for item in request.session.items):
        yield None
        return
    from test_long_session import LongSessionTakes  # a test module: imported once collected

    takes = LongSessionTakes(tmp_path_factory.mktemp("long-session"))
    try:
        yield takes
    finally:
        takes.cancel()


@pytest.fixture(scope="session")
def pulse() -> Iterator[PulseServer]:
    """The session's private PulseAudio server (null sink ``ci_sink``, 48 kHz stereo)."""
    with private_pulse() as server:
        yield server


@pytest.fixture
def spare_pulse() -> Iterator[PulseServer]:
    """A second private server of the test's own, e.g. to kill it mid-playback."""
    with private_pulse() as server:
        yield server


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
        deadline = time.monotonic() + _STARTUP_LIMIT
        while path.stat().st_size == 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                err = self._end()
                died = server.exited()
                pytest.fail(
                    f"parec delivered no data from {server.monitor}: {err}"
                    + (f"\n{died}" if died else ""),
                    pytrace=False,
                )
            time.sleep(0.01)

    @property
    def rate(self) -> int:
        return self.server.rate

    def _end(self) -> str:
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
        self._end()
        data = self.path.read_bytes()
        return np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.int16)


@pytest.fixture
def recorder(pulse: PulseServer, tmp_path: Path) -> Iterator[Callable[[], Recording]]:
    """``recorder()`` starts parec on the sink's monitor, returning once data flows."""
    started: list[Recording] = []

    def start() -> Recording:
        rec = Recording(pulse, tmp_path / f"capture-{len(started)}.raw")
        started.append(rec)
        return rec

    yield start
    for rec in started:
        rec._end()
