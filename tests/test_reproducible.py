"""What the README promises about getting the same samples again (Export formats, Loudness).

A session exported into an empty speech cache is the same file every time, and exporting it
again from that cache gives the same file. What is not promised: a cache that already holds
some of its lines, made while another session was spoken, can give slightly different samples,
because espeak-ng carries its pitch flutter from one utterance to the next (see the notes at the
top of matcue.voice.pyttsx3_voice).
"""

from __future__ import annotations

from pathlib import Path

from audio_helpers import matcue

ROUTINE = Path(__file__).parent / "routines" / "good" / "design-example.yaml"


def test_a_session_from_an_empty_cache_is_the_same_file_every_time(tmp_path: Path) -> None:
    files = []
    for take, cache in enumerate(["first", "second", "first"]):  # the last from a warm cache
        out = tmp_path / f"take-{take}.wav"
        done = matcue("export", ROUTINE, "-o", out, "--quiet", cache=tmp_path / cache, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        files.append(out.read_bytes())
    assert len(files[0]) > 1_000_000  # a whole session, not an empty file
    assert files[1] == files[0]  # another empty cache, another process
    assert files[2] == files[0]  # the cache the first take filled
