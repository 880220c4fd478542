"""Shared fixtures.

Audio: a private, headless PulseAudio server with a null sink (``pulse``, one per test
session), ALSA's default device routed to it, and ``recorder`` to capture what reaches the sink
in real time; the server and the recorder are ``scripts/pulse.py``'s (the bench uses them too).
Tests play in a subprocess started with ``pulse.env``; this process's environment is never
changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pulse import PulseError, PulseServer, Recording, private_pulse

__all__ = ["PulseServer", "Recording"]  # the tests that play import them from here


@pytest.fixture(scope="session")
def speech_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One speech cache for the whole run (the e2e tests' module fixtures use the same folder):
    espeak-ng speaks each line once."""
    path = tmp_path_factory.getbasetemp() / "speech-cache"
    path.mkdir(exist_ok=True)
    return path


def _server() -> Iterator[PulseServer]:
    try:
        with private_pulse() as server:
            yield server
    except PulseError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def pulse() -> Iterator[PulseServer]:
    """The session's private PulseAudio server (null sink ``ci_sink``, 48 kHz stereo)."""
    yield from _server()


@pytest.fixture
def spare_pulse() -> Iterator[PulseServer]:
    """A second private server of the test's own, e.g. to kill it mid-playback."""
    yield from _server()


@pytest.fixture
def recorder(pulse: PulseServer, tmp_path: Path) -> Iterator[Callable[[], Recording]]:
    """``recorder()`` starts parec on the sink's monitor, returning once data flows."""
    started: list[Recording] = []

    def start() -> Recording:
        try:
            rec = Recording(pulse, tmp_path / f"capture-{len(started)}.raw")
        except PulseError as error:
            pytest.fail(str(error), pytrace=False)
        started.append(rec)
        return rec

    yield start
    for rec in started:
        rec.close()
