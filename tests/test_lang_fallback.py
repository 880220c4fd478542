"""``--lang`` names only the languages matcue speaks; a routine in another language says what
falls back (issue 19)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from matcue.cli import Environment, main
from matcue.store.paths import Folders

ROUTINE = Path(__file__).parent / "routines" / "cli" / "short-session.yaml"
SPEAKS = "en (English), pl (Polish) and cs (Czech)"


def run(tmp_path: Path, cache: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    where = Folders(tmp_path / "c.toml", tmp_path / "data", cache, True)
    status = main(list(args), Environment(out, err, stdin_is_tty=False, folders=where))
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("code", ["ja", "de", "DE_at"])
def test_lang_refuses_a_language_matcue_does_not_speak(
    tmp_path: Path, speech_cache: Path, code: str
) -> None:
    status, out, err = run(tmp_path, speech_cache, "plan", str(ROUTINE), "--lang", code)
    shown = code.lower().replace("_", "-")
    assert (status, out, err) == (2, "", f"matcue: --lang {shown}: matcue speaks {SPEAKS}\n")


def test_a_routine_in_another_language_says_what_falls_back(
    tmp_path: Path, speech_cache: Path
) -> None:
    text = ROUTINE.read_text().replace("id: short-session\n", "id: short-de\nlanguage: de\n")
    routine = tmp_path / "short-de.yaml"
    routine.write_text(text)
    status, out, err = run(tmp_path, speech_cache, "plan", str(routine))
    assert status == 0
    assert err == (
        f"matcue: warning: short-de is in de, and matcue speaks {SPEAKS}: its own words "
        "(breathe in, hold, the numbers) fall back to English\n"
    )
    assert "language en" in out.splitlines()[1]


def test_lang_of_a_spoken_language_with_a_region_is_fine(
    tmp_path: Path, speech_cache: Path
) -> None:
    status, _, err = run(tmp_path, speech_cache, "plan", str(ROUTINE), "--lang", "en-GB")
    assert (status, err) == (0, "")
