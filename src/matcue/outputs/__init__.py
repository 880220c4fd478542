"""Outputs: the exporters (files from the rendered PCM), the config file and the history.

The names below are imported on first use, so ``from matcue.outputs import history`` (the
``history`` command, the week from the history) does not load the audio stack."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matcue.outputs.export import export_wav

_WHERE = {"export_wav": "export"}

__all__ = ["export_wav"]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"matcue.outputs.{module}"), name)
