"""Code quality gates, and the architecture rule of DESIGN §1: no stage imports a later one.

The stages, in order: routine -> timeline -> audio -> voice -> playback -> export -> store -> api
-> cli. ``audio`` comes before ``voice``: it holds ``Clip`` and the sound-file readers, and the
voice turns text into a ``Clip``; the renderer takes clips as ``Clip`` values and knows no voice.
``matcue/errors.py``, ``matcue/settings.py`` and ``matcue/__init__.py`` are shared leaves that
any stage may import and that import no stage; nothing imports the cli but
``matcue/__main__.py`` (``python -m matcue``), which is nothing but the cli's entry point.
Every import counts, including those inside functions (the lazy imports of audio libraries) and
under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "matcue"
STAGES = ("routine", "timeline", "audio", "voice", "playback", "export", "store", "api", "cli")
LEAVES = frozenset({"matcue", "matcue.errors", "matcue.settings"})
ENTRY_POINT = "matcue.__main__"
CLI_MAY_USE = [["matcue", "api"], ["matcue", "store"], ["matcue", "cli"]]  # and the leaves


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        ("ruff", "check", "src", "tests", "scripts"),
        ("ruff", "format", "--check", "src", "tests", "scripts"),
        ("mypy",),  # files and strictness from pyproject.toml
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_tool_is_clean(args: tuple[str, ...]) -> None:
    done = run_tool(*args)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


# --- architecture --------------------------------------------------------------------------------


def module_name(path: Path) -> str:
    """``src/matcue/voice/cache.py`` -> ``matcue.voice.cache``; a package's ``__init__`` -> it."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(module: str) -> bool:
    return (PACKAGE.parent / module.replace(".", "/") / "__init__.py").is_file()


def imported_modules(module: str, source: str) -> list[tuple[int, str]]:
    """Every ``matcue`` module that ``source`` (the text of ``module``) imports, with its line.

    Relative imports are resolved; ``from matcue.x import y`` counts as importing
    ``matcue.x.y`` when that is a module, else ``matcue.x``.
    """
    package = module if is_package(module) else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                has_sub = (
                    is_package(sub) or (PACKAGE.parent / f"{sub.replace('.', '/')}.py").is_file()
                )
                found.append((node.lineno, sub if has_sub else target))
    return [(line, name) for line, name in found if name == "matcue" or name.startswith("matcue.")]


def stage_of(module: str) -> int | None:
    """The stage index of a matcue module; None for the shared leaves."""
    if module in LEAVES:
        return None
    if module == ENTRY_POINT:
        return STAGES.index("cli")
    second = module.split(".")[1]
    if second not in STAGES:
        raise AssertionError(f"{module} belongs to no stage; add it to the architecture test")
    return STAGES.index(second)


def violations(module: str, source: str) -> list[str]:
    """Each import in ``module`` that breaks the rule, as a readable line."""
    problems = []
    own = stage_of(module)
    for line, target in imported_modules(module, source):
        other = stage_of(target)
        in_cli = module.split(".")[:2] == ["matcue", "cli"]
        if target.split(".")[:2] == ["matcue", "cli"] and not in_cli and module != ENTRY_POINT:
            problems.append(f"{module}:{line} imports {target}: nothing may import the cli")
        elif in_cli and target.split(".")[:2] not in CLI_MAY_USE and target not in LEAVES:
            problems.append(
                f"{module}:{line} imports {target}: the cli is an adapter over the api, "
                "settings and store"
            )
        elif own is None and other is not None:
            problems.append(f"{module}:{line} imports {target}: a shared leaf imports no stage")
        elif own is not None and other is not None and other > own:
            problems.append(
                f"{module}:{line} imports {target}: {STAGES[own]} may not import the later "
                f"stage {STAGES[other]}"
            )
    return problems


def all_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_belongs_to_a_stage_or_is_a_leaf() -> None:
    names = [module_name(p) for p in all_modules()]
    assert {"matcue", "matcue.errors", "matcue.cli", ENTRY_POINT} <= set(names)
    for stage in STAGES[:-1]:
        assert any(n.startswith(f"matcue.{stage}.") for n in names), stage
    for name in names:
        stage_of(name)  # raises for a module outside the known stages


def test_no_stage_imports_a_later_one() -> None:
    problems, edges = [], set()
    for path in all_modules():
        module, source = module_name(path), path.read_text(encoding="utf-8")
        problems += violations(module, source)
        edges |= {(module, target) for _, target in imported_modules(module, source)}
    assert not problems, "\n".join(problems)
    # the check saw the real wiring, lazy imports inside functions included
    assert ("matcue.cli.sessions", "matcue.api") in edges
    assert ("matcue.api.player", "matcue.playback.loop") in edges  # inside Player.run
    assert ("matcue.audio.tones", "matcue.timeline.sounds") in edges
    assert ("matcue.voice.base", "matcue.audio.clip") in edges
    assert ("matcue.store.history", "matcue.playback.transport") in edges
    assert ("matcue.__main__", "matcue.cli") in edges


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        (
            "matcue.timeline.compiler",
            "def f():\n    from matcue.audio.render import render\n",
            "matcue.timeline.compiler:2 imports matcue.audio.render: timeline may not import "
            "the later stage audio",
        ),
        (
            "matcue.routine.loader",
            "from ..audio import Clip\n",
            "matcue.routine.loader:1 imports matcue.audio: routine may not import the later "
            "stage audio",
        ),
        (
            "matcue.audio.render",
            "from ..voice import Pyttsx3Voice\n",
            "matcue.audio.render:1 imports matcue.voice: audio may not import the later stage "
            "voice",
        ),
        (
            "matcue.voice.cache",
            "import matcue.playback.device\n",
            "matcue.voice.cache:1 imports matcue.playback.device: voice may not import the later "
            "stage playback",
        ),
        (
            "matcue.playback.loop",
            "from matcue.store import history\n",
            "matcue.playback.loop:1 imports matcue.store.history: playback may not import the "
            "later stage store",
        ),
        (
            "matcue.export.session",
            "def f():\n    from matcue.store.paths import cache_dir\n",
            "matcue.export.session:2 imports matcue.store.paths: export may not import the later "
            "stage store",
        ),
        (
            "matcue.voice.cache",
            "from matcue.store import paths\n",
            "matcue.voice.cache:1 imports matcue.store.paths: voice may not import the later "
            "stage store",
        ),
        (
            "matcue.export",
            "from . import session\nfrom matcue import cli\n",
            "matcue.export:2 imports matcue.cli: nothing may import the cli",
        ),
        (
            "matcue.store",
            "from . import history\nfrom matcue.cli import main\n",
            "matcue.store:2 imports matcue.cli: nothing may import the cli",
        ),
        (
            "matcue.errors",
            "from matcue.routine import Routine\n",
            "matcue.errors:1 imports matcue.routine: a shared leaf imports no stage",
        ),
        (
            "matcue.cli.sessions",
            "from matcue.api import Options\nfrom matcue.playback.loop import Session\n",
            "matcue.cli.sessions:2 imports matcue.playback.loop: the cli is an adapter over the "
            "api, settings and store",
        ),
    ],
)
def test_the_architecture_check_catches_a_backward_import(
    module: str, source: str, expected: str
) -> None:
    assert violations(module, source) == [expected]


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("matcue.audio.render", "from matcue.timeline import Timeline\nfrom .clip import Clip\n"),
        ("matcue.voice.cache", "from matcue.audio.clip import Clip\nfrom ..audio import files\n"),
        (
            "matcue.cli.sessions",
            "from matcue.api import Player\nfrom matcue.errors import InputError\n"
            "from matcue import settings\nfrom matcue.store import history\n",
        ),
        ("matcue.routine.loader", "from matcue.errors import InputError\nimport yaml\n"),
        ("matcue.store.history", "from matcue.playback.transport import Ending\n"),
        ("matcue.store.paths", "from matcue.export.formats import FORMATS\n"),
        (
            "matcue.export.encoders",
            "from matcue.voice.cache import soundfile_module\nfrom ..audio import units\n",
        ),
    ],
)
def test_the_architecture_check_allows_forward_imports(module: str, source: str) -> None:
    assert violations(module, source) == []


MAX_LINES = 420  # "no module over ~400 lines": one a newcomer can hold in their head


def test_no_module_is_too_big_to_read() -> None:
    sizes = {module_name(p): len(p.read_text(encoding="utf-8").splitlines()) for p in all_modules()}
    too_big = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not too_big, f"split these along their seams (over {MAX_LINES} lines): {too_big}"
