"""Exceptions shared by every stage. Only ``matcue.cli`` catches them and maps exit codes."""

from __future__ import annotations


class MatcueError(Exception):
    """Base class. ``str(err)`` is one clear sentence for the user."""


class InputError(MatcueError):
    """Invalid input or usage (exit code 2)."""


class RuntimeFailure(MatcueError):
    """A runtime failure: no audio device, TTS missing, I/O (exit code 1)."""


class SpeechEngineError(RuntimeFailure):
    """The text-to-speech engine is missing or failed."""


class AudioDeviceError(RuntimeFailure):
    """No usable audio output device."""


class ExportError(RuntimeFailure):
    """Writing an exported file failed."""
