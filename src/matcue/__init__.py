"""matcue: voice-guided audio sessions for home back-care routines.

The library is :mod:`matcue.api`; its names are here too, imported on first use, but for
``export``: ``matcue.export`` is the stage that writes files, so write ``api.export``::

    from matcue import api

    session = api.prepare("gentle-daily", api.Options(pace=80))
    api.export(session, "gentle.mp3")

Stages, one way only: routine -> timeline -> audio -> voice -> playback -> export -> store ->
api, with the command line on top.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # a module of the package (``from matcue import settings``) is the import system's to load,
    # without the api; any other name is the api's
    if name.startswith("_") or importlib.util.find_spec(f"{__name__}.{name}") is not None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    api = importlib.import_module("matcue.api")
    if name in api.__all__:
        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
