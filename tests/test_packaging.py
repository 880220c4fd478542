"""The wheel: built from the repository as pip builds it, it carries everything matcue needs.

The tones (``sounds/*.wav``, force-included as ``matcue/sounds``), the built-in routines
(``matcue/library/*.yaml``), every module, and the ``matcue`` console script. The unpacked
wheel is then imported on its own, to show it finds its tones and routines without the
repository.
"""

from __future__ import annotations

import configparser
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from matcue.timeline.sounds import SOUND_LENGTHS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    built = sorted(out.glob("matcue-*.whl"))
    assert len(built) == 1, built
    return built[0]


@pytest.fixture(scope="module")
def names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def test_every_tone_is_in_the_wheel_as_shipped(wheel: Path, names: set[str]) -> None:
    assert SOUND_LENGTHS  # the names the compiler places
    with zipfile.ZipFile(wheel) as zf:
        for sound in SOUND_LENGTHS:
            member = f"matcue/sounds/{sound}.wav"
            assert member in names, member
            assert zf.read(member) == (ROOT / "sounds" / f"{sound}.wav").read_bytes(), member


def test_every_built_in_routine_is_in_the_wheel(names: set[str]) -> None:
    library = sorted(p.name for p in (ROOT / "src" / "matcue" / "library").glob("*.yaml"))
    assert {"gentle-daily.yaml", "first-aid.yaml"} <= set(library)
    packed = sorted(
        n.removeprefix("matcue/library/") for n in names if n.startswith("matcue/library/")
    )
    assert packed == library


def test_every_module_is_in_the_wheel_and_no_tests(names: set[str]) -> None:
    modules = {
        p.relative_to(ROOT / "src").as_posix() for p in (ROOT / "src" / "matcue").rglob("*.py")
    }
    assert modules <= names, sorted(modules - names)
    assert not [n for n in names if n.startswith(("tests/", "scripts/"))]


def test_the_console_script_is_declared(wheel: Path, names: set[str]) -> None:
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    parser = configparser.ConfigParser()
    with zipfile.ZipFile(wheel) as zf:
        parser.read_string(zf.read(entry_points).decode())
    assert dict(parser["console_scripts"]) == {"matcue": "matcue.__main__:run"}


def test_the_unpacked_wheel_finds_its_tones_and_routines(wheel: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(tmp_path)
    probe = (
        "import json, matcue\n"
        "from matcue.audio.tones import load_sounds, sounds_dir\n"
        "from matcue.routine.library import builtin_ids\n"
        "print(json.dumps({'package': matcue.__file__, 'sounds': str(sounds_dir()),\n"
        "    'tones': sorted(load_sounds(22050)), 'routines': builtin_ids()}))\n"
    )
    # PYTHONPATH comes before the editable install's path: the wheel's copy is imported
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert Path(found["package"]).is_relative_to(tmp_path)
    assert Path(found["sounds"]) == tmp_path / "matcue" / "sounds"
    assert found["tones"] == sorted(SOUND_LENGTHS)
    assert found["routines"] == sorted(
        p.stem for p in (ROOT / "src" / "matcue" / "library").glob("*.yaml")
    )
