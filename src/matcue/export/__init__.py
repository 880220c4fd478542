"""Export: a rendered session as audio files, with tags, chapters and sidecars, written atomically.

- :mod:`~matcue.export.formats`: the formats by file extension, their bitrate and quality;
- :mod:`~matcue.export.encoders`: int16 blocks into one file (soundfile, or PyAV for M4A);
- :mod:`~matcue.export.metadata`: tags and chapters in the files (mutagen);
- :mod:`~matcue.export.sidecars`: subtitles, CUE sheet, Audacity labels, JSON chapters;
- :mod:`~matcue.export.staging`: all files or none (temporary files renamed at the end);
- :mod:`~matcue.export.streaming`: the blocks rendered ahead, counted, split, Ctrl-C held;
- :mod:`~matcue.export.session`: the whole export (``export_session``, ``export_wav``).

The names below are imported on first use, so importing one module of this package (the
formats, to check an option) does not load the audio stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matcue.export.formats import FORMATS, AudioFormat, Encoding, audio_format, encoding
    from matcue.export.metadata import Tags
    from matcue.export.session import (
        ExportOptions,
        check_export,
        export_session,
        export_targets,
        export_wav,
    )
    from matcue.export.staging import describe_os_error, refuse_existing

_WHERE = {
    "FORMATS": "formats",
    "AudioFormat": "formats",
    "Encoding": "formats",
    "audio_format": "formats",
    "encoding": "formats",
    "Tags": "metadata",
    "ExportOptions": "session",
    "check_export": "session",
    "export_session": "session",
    "export_targets": "session",
    "export_wav": "session",
    "describe_os_error": "staging",
    "refuse_existing": "staging",
}

__all__ = [
    "FORMATS",
    "AudioFormat",
    "Encoding",
    "ExportOptions",
    "Tags",
    "audio_format",
    "check_export",
    "describe_os_error",
    "encoding",
    "export_session",
    "export_targets",
    "export_wav",
    "refuse_existing",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"matcue.export.{module}"), name)
