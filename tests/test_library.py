"""The built-in routine library: it loads, compiles without overlapping speech, keeps the
articles' numbers (tests/fixtures/library_facts.yaml), and the README section is current."""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from matcue.routine.library import LIBRARY_DIR, builtin_ids, load_builtin_routines
from matcue.routine.model import LEVELS, SIDES, Exercise, Routine
from matcue.timeline import Pace, Timeline, compile

ROOT = Path(__file__).resolve().parent.parent
FACTS_PATH = Path(__file__).resolve().parent / "fixtures" / "library_facts.yaml"
FACTS: dict[str, Any] = yaml.safe_load(FACTS_PATH.read_text(encoding="utf-8"))
SECTION_FACTS: dict[str, Any] = FACTS["routines"]
CURATED: dict[str, list[str]] = FACTS["curated"]
DEFAULT_KINDS = {"reps", "sets", "sides", "hold", "for", "breathing"}
EPS = 1e-6


def _routines() -> dict[str, Routine]:
    loaded = load_builtin_routines()
    items = loaded.values() if isinstance(loaded, dict) else loaded
    return {r.id: r for r in items}


ROUTINES = _routines()
IDS = sorted(ROUTINES)


def fake_speech_len(text: str) -> float:
    """Deterministic and a little slow: 0.3 s plus 0.4 s a word (about 150 wpm)."""
    return 0.3 + 0.4 * len(text.split())


def speech_problems(tl: Timeline) -> list[str]:
    """Overlapping speech, or speech running past the phase it starts in."""
    problems = []
    speech = sorted((c for c in tl.cues if c.kind == "speech"), key=lambda c: c.t)
    for a, b in itertools.pairwise(speech):
        if b.t < a.end - EPS:
            problems.append(f"{a.text!r} ({a.t:.2f}-{a.end:.2f}) overlaps {b.text!r} ({b.t:.2f})")
    for cue in speech:
        phase = next(p for p in tl.phases if p.t - EPS <= cue.t < p.end - EPS)
        if cue.end > phase.end + EPS:
            problems.append(f"{cue.text!r} ends at {cue.end:.2f}, after its {phase.kind} phase")
    if tl.duration <= 0:
        problems.append("empty timeline")
    return problems


# -- the files ---------------------------------------------------------------------------------


def test_library_ships_inside_the_package() -> None:
    import matcue

    assert Path(LIBRARY_DIR).resolve().parent == Path(matcue.__file__).resolve().parent
    files = sorted(Path(LIBRARY_DIR).glob("*.yaml"))
    assert len(files) >= 20
    for path in files:
        assert re.fullmatch(r"[a-z0-9-]+\.yaml", path.name), path.name
    assert sorted(builtin_ids()) == sorted(p.stem for p in files) == IDS


@pytest.mark.parametrize("rid", IDS)
def test_routine_header(rid: str) -> None:
    routine = ROUTINES[rid]
    raw = yaml.safe_load((Path(LIBRARY_DIR) / f"{rid}.yaml").read_text(encoding="utf-8"))
    assert raw["matcue"] == 1
    for key in ("title", "level", "equipment", "source", "cautions"):
        assert key in raw, f"{rid}: {key} missing"
    assert routine.id == rid
    assert routine.level in LEVELS
    assert routine.cautions, f"{rid}: no cautions"
    source = routine.source or ""
    assert re.search(r"\barticle 00[0-4]\b", source), f"{rid}: source names no article"
    assert not re.search(r"://|www\.|[/\\]|\.txt\b", source), f"{rid}: source is a path or URL"
    for ex in routine.exercises:
        assert ex.sides in SIDES
        assert ex.reps >= 1 and ex.sets >= 1


# -- compiling ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rid", IDS)
def test_compiles_without_overlapping_speech_fake_lengths(rid: str) -> None:
    routine = ROUTINES[rid]
    for pace in (Pace(100), Pace(50), Pace(200)):
        tl = compile(routine, pace, fake_speech_len)
        assert speech_problems(tl) == []
        # one chapter per exercise, plus intro and closing
        assert len(tl.chapters) == len(routine.exercises) + 2


@pytest.fixture(scope="module")
def speech_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="module")
def real_len(speech_cache: Path) -> Callable[[str], float]:
    from matcue.voice import Pyttsx3Voice, VoiceSettings

    voice = Pyttsx3Voice(VoiceSettings(), cache_dir=speech_cache)
    return lambda text: voice.clip(text).duration


@pytest.fixture(scope="module")
def real_plans(real_len: Callable[[str], float]) -> dict[str, Timeline]:
    return {rid: compile(ROUTINES[rid], Pace(), real_len) for rid in IDS}


def test_compiles_without_overlapping_speech_real_voice(real_plans: dict[str, Timeline]) -> None:
    problems = {rid: speech_problems(tl) for rid, tl in real_plans.items()}
    assert {rid: p for rid, p in problems.items() if p} == {}


def test_curated_programmes_fit_their_promise(real_plans: dict[str, Timeline]) -> None:
    minutes = {rid: real_plans[rid].duration / 60 for rid in CURATED}
    assert 8 <= minutes["gentle-daily"] <= 12, minutes
    assert 18 <= minutes["strength-20"] <= 23, minutes
    assert 8 <= minutes["sore-back"] <= 15, minutes


# -- the article facts -------------------------------------------------------------------------


def test_every_routine_is_in_the_facts_table() -> None:
    assert set(SECTION_FACTS) | set(CURATED) == set(IDS)
    assert not set(SECTION_FACTS) & set(CURATED)
    assert len(CURATED) >= 3


def _fact_rows() -> Iterator[tuple[str, int, dict[str, Any]]]:
    for rid, entry in SECTION_FACTS.items():
        for i, row in enumerate(entry["exercises"]):
            yield rid, i, row


def _numbers(ex: Exercise) -> dict[str, Any]:
    def num(x: float | None) -> float | None:
        return None if x is None else (int(x) if float(x).is_integer() else x)

    return {
        "name": ex.name,
        "reps": ex.reps,
        "sets": ex.sets,
        "sides": ex.sides,
        "hold": [num(s.seconds) for s in ex.steps if s.kind in ("hold", "relax")],
        "for": [
            num(s.seconds)
            for s in ex.steps
            if s.kind in ("inhale", "exhale", "move") and s.seconds is not None
        ],
    }


@pytest.mark.parametrize("rid", sorted(SECTION_FACTS))
def test_section_routine_matches_the_articles(rid: str) -> None:
    entry = SECTION_FACTS[rid]
    routine = ROUTINES[rid]
    assert f"article {entry['article']}" in (routine.source or "")
    expected = [
        {
            "name": row["name"],
            "reps": row["reps"],
            "sets": row.get("sets", 1),
            "sides": row.get("sides", "none"),
            "hold": row.get("hold", []),
            "for": row.get("for", []),
        }
        for row in entry["exercises"]
    ]
    assert [_numbers(ex) for ex in routine.exercises] == expected


@pytest.mark.parametrize(("rid", "i", "row"), list(_fact_rows()))
def test_defaults_are_marked_in_the_note(rid: str, i: int, row: dict[str, Any]) -> None:
    """A number the article does not give is called a default in the exercise's note."""
    ex = ROUTINES[rid].exercises[i]
    defaults = set(row.get("defaults", []))
    assert defaults <= DEFAULT_KINDS, defaults - DEFAULT_KINDS
    note = (ex.note or "").lower()
    if defaults:
        assert "default" in note, f"{rid}/{ex.name}: defaults {sorted(defaults)} not in note"
    if "breathing" in defaults:
        assert "breathing" in note or "breath" in note, f"{rid}/{ex.name}"
    if "breathing: default" in note:
        assert "breathing" in defaults, f"{rid}/{ex.name}: note says breathing is a default"
    assert row["says"].strip(), f"{rid}/{ex.name}: no article summary"


@pytest.mark.parametrize("rid", sorted(CURATED))
def test_curated_programme_copies_its_exercises(rid: str) -> None:
    routine = ROUTINES[rid]
    assert (routine.source or "").startswith("curated from article")
    assert routine.title and routine.cautions and routine.equipment
    assert [ex.name for ex in routine.exercises] == [ref.split("/", 1)[1] for ref in CURATED[rid]]
    for ex, ref in zip(routine.exercises, CURATED[rid], strict=True):
        source_id, name = ref.split("/", 1)
        assert source_id in SECTION_FACTS, ref
        (original,) = [e for e in ROUTINES[source_id].exercises if e.name == name]
        # same words, steps and numbers; only the pacing defaults may come from the programme
        assert dataclasses.replace(ex, timing=original.timing) == original, ref


def test_facts_table_checker_catches_a_changed_number() -> None:
    """Guard for the guard: a routine with one hold changed no longer matches its row."""
    rid, i, row = next(r for r in _fact_rows() if r[2].get("hold"))
    ex = ROUTINES[rid].exercises[i]
    k = next(j for j, s in enumerate(ex.steps) if s.kind == "hold")
    steps = list(ex.steps)
    steps[k] = dataclasses.replace(steps[k], seconds=(steps[k].seconds or 0) + 1)
    changed = dataclasses.replace(ex, steps=tuple(steps))
    assert _numbers(changed)["hold"] != row["hold"]
    assert _numbers(ex)["hold"] == row["hold"]


# -- the README section ------------------------------------------------------------------------


def _docs_script() -> ModuleType:
    path = ROOT / "scripts" / "gen_library_docs.py"
    spec = importlib.util.spec_from_file_location("gen_library_docs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


DOCS = _docs_script()


def test_docs_section_lists_every_routine_and_the_left_out() -> None:
    section = DOCS.render(DOCS.rows(ROUTINES.values(), fake_speech_len))
    table_ids = re.findall(r"^\| `([a-z0-9-]+)` \|", section, flags=re.M)
    assert sorted(table_ids) == IDS
    assert table_ids[: len(CURATED)] == sorted(CURATED)  # programmes first
    assert section.count("\n- article ") == len(DOCS.LEFT_OUT) >= 5
    assert re.search(r"\| \d+:\d{2} \|$", section, flags=re.M)


def test_docs_check_and_write_round_trip(tmp_path: Path) -> None:
    fresh = DOCS.render(DOCS.rows(ROUTINES.values(), fake_speech_len))
    readme = f"# matcue\n\nintro\n\n{DOCS.START}\nold text\n{DOCS.END}\n\nafter\n"
    written = DOCS.replace_section(readme, fresh)
    assert written.startswith("# matcue\n\nintro\n\n") and written.endswith("\n\nafter\n")
    assert DOCS.same_section(DOCS.split(written)[1], fresh)
    assert not DOCS.same_section(DOCS.split(readme)[1], fresh)
    # a duration off by a second is speech jitter; by a minute, a stale section
    line = next(x for x in fresh.splitlines() if x.startswith("| `"))
    m, s = re.search(r"\| (\d+):(\d{2}) \|$", line).groups()  # type: ignore[union-attr]
    for shift, ok in ((1, True), (60, False)):
        total = int(m) * 60 + int(s) + shift
        moved = line[: line.rindex("| ", 0, -2)] + f"| {total // 60}:{total % 60:02d} |"
        assert DOCS.same_section(fresh.replace(line, moved), fresh) is ok
    # a changed title is never within tolerance
    assert not DOCS.same_section(fresh.replace("Gentle daily", "Gentle nightly"), fresh)
    with pytest.raises(ValueError, match="markers"):
        DOCS.split("# no markers here\n")
    assert DOCS.clock(605.4) == "10:05" and DOCS.clock(59.6) == "1:00"


def test_readme_library_section_is_up_to_date(
    speech_cache: Path,
    real_plans: dict[str, Timeline],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``gen_library_docs.py --check README.md`` passes: the section is current."""
    monkeypatch.setenv("MATCUE_CACHE_DIR", str(speech_cache))  # reuse the lines spoken above
    status = DOCS.main(["--check", str(ROOT / "README.md")])
    assert status == 0, capsys.readouterr().err
