"""matcue: voice-guided audio sessions for home back-care routines.

Stages, one way only: routine -> timeline -> voice -> audio -> playback -> export -> store, with
the CLI on top.
"""

__version__ = "0.1.0"
