"""Outputs: the player and the exporters. Both consume the same rendered PCM."""

from matcue.outputs.export import export_wav
from matcue.outputs.player import PlayResult, play

__all__ = ["PlayResult", "export_wav", "play"]
