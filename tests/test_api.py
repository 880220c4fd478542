"""The library face: the README's "Use from Python" example runs as written, on the private
null sink, and says what it should; the names it promises are there."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from mutagen.id3 import ID3

import matcue
from conftest import PulseServer
from matcue import api
from matcue.store import history, paths

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- python-example:start -->", 1)[1].split("<!-- python-example:end -->")[
        0
    ]
    match = re.search(r"```python\n(.*?)```", block, re.S)
    assert match, "the README's Python example is not in a ```python block"
    return match.group(1)


@pytest.mark.audio
def test_the_readme_example_runs(pulse: PulseServer, speech_cache: Path, tmp_path: Path) -> None:
    env = {
        **pulse.env,
        "MATCUE_CACHE_DIR": str(speech_cache),
        "MATCUE_DATA_DIR": str(tmp_path / "data"),
        "MATCUE_CONFIG": str(tmp_path / "config.toml"),
    }
    done = subprocess.run(
        [sys.executable, "-c", readme_example()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"First aid for sudden back pain: \d+ minutes", lines[0]), lines[0]
    session = api.plan("first-aid", api.Options(pace=80, reps=2), folders=paths.folders(env))
    chapters = [(round(c.t, 1), c.title) for c in session.timeline.chapters]
    shown = [re.fullmatch(r" *([\d.]+) s  (.+)", line) for line in lines[1:-1]]
    assert [(float(m[1]), m[2]) for m in shown if m] == chapters
    assert lines[-1] == "quit 0"  # quit at once: no exercise was done in this session
    tags = ID3(tmp_path / "first-aid.mp3")
    assert len(tags.getall("CHAP")) == len(chapters)
    (row,) = history.sessions(paths.folders(env).history)
    assert row.ending == "quit"


def test_the_package_gives_the_api_names() -> None:
    for name in set(api.__all__) - {"export"}:  # matcue.export is the export stage
        assert getattr(matcue, name) is getattr(api, name)
    with pytest.raises(AttributeError):
        matcue.no_such_name  # noqa: B018
