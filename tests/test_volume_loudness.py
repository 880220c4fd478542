"""Options that say what they do: ``--volume`` has one meaning (a fraction or a percentage; a
bare number over 1 is refused) and acts after the levelling, so it is heard; ``--loudness``
takes only targets a session reaches (louder is refused, saying why); Opus and M4A bitrates too
low to keep the true-peak ceiling are warned of, and M4A keeps it from 48 kbps."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from audio_helpers import matcue as run_matcue_in
from matcue.audio import Levels, render
from test_export_loudness import RATE, independent_true_peak, session

MATCUE = Path(sys.executable).with_name("matcue")
FIXTURES = Path(__file__).parent / "fixtures"
ROUTINE = Path(__file__).parent / "routines" / "export" / "two-exercises.yaml"
TOO_LOUD = (
    "matcue: --loudness {} is louder than matcue can reach: the voice's lines stay under the "
    "-1 dBTP true-peak ceiling with room for a tone on top, which holds a session near "
    "-15.5 LUFS; give -30 to -16\n"
)


def matcue(*args: str | Path, cache: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_matcue_in(*args, cache=cache, cwd=cwd, timeout=180)


def lufs(path: Path) -> float:
    data, rate = sf.read(str(path), dtype="float64")
    return float(pyloudnorm.Meter(rate).integrated_loudness(data))


# --- --volume --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1.2", "80", "1.5"])
def test_a_bare_volume_over_1_is_refused(value: str, speech_cache: Path, tmp_path: Path) -> None:
    done = matcue(
        "export", ROUTINE, "-o", "s.wav", "--volume", value, cache=speech_cache, cwd=tmp_path
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"matcue: volume {value} is over 1: give a fraction from 0 to 1 (0.8) or a percentage "
        "up to 100% (80%)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_the_config_refuses_a_bare_volume_over_1(speech_cache: Path, tmp_path: Path) -> None:
    done = matcue("config", "set", "volume", "1.2", cache=speech_cache, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "matcue: setting volume must be from 0 to 1 or a percentage like 80%, not '1.2'\n"
    )


def test_the_volume_scales_the_voice_after_the_levelling() -> None:
    tl, lines, sounds = session()
    full = render(tl, lines, sounds, RATE, levels=Levels(loudness=-16.0)).astype(np.float64)
    half = render(tl, lines, sounds, RATE, levels=Levels(loudness=-16.0, voice=0.5))
    speech = [c for c in tl.cues if c.kind == "speech"][3]
    a, b = round((speech.t + 0.4) * RATE), round(speech.end * RATE)  # after the tone under it
    ratio = np.abs(half[a:b]).sum() / np.abs(full[a:b]).sum()
    assert ratio == pytest.approx(0.5, abs=0.01)
    tone = slice(0, round(0.2 * RATE))  # the tones stay as they were
    assert np.array_equal(half[tone], full[tone].astype(np.int16))


def test_a_volume_is_heard_in_the_export(speech_cache: Path, tmp_path: Path) -> None:
    for volume, name in (("1", "full.wav"), ("50%", "half.wav"), ("0.25", "quarter.wav")):
        done = matcue(
            "export", ROUTINE, "-o", name, "--volume", volume, cache=speech_cache, cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
    full, half, quarter = (lufs(tmp_path / n) for n in ("full.wav", "half.wav", "quarter.wav"))
    assert full == pytest.approx(-16.0, abs=1.0)  # at 1 the target is reached
    # the voice 6 and 12 dB down (the tones, unchanged, hold the session up a little)
    assert full - half == pytest.approx(20 * math.log10(2), abs=1.0)
    assert full - quarter == pytest.approx(20 * math.log10(4), abs=1.5)


# --- --loudness ------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["-12", "-14", "-15.5"])
def test_a_loudness_that_cannot_be_reached_is_refused(
    target: str, speech_cache: Path, tmp_path: Path
) -> None:
    done = matcue(
        "export", ROUTINE, "-o", "s.wav", f"--loudness={target}", cache=speech_cache, cwd=tmp_path
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == TOO_LOUD.format(target)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("target", [-16.0, -23.0, -30.0])
def test_every_loudness_allowed_is_reached(
    target: float, speech_cache: Path, tmp_path: Path
) -> None:
    done = matcue(
        "export", ROUTINE, "-o", "s.wav", f"--loudness={target:g}", cache=speech_cache, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert lufs(tmp_path / "s.wav") == pytest.approx(target, abs=1.0)


# --- low Opus and M4A bitrates -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kbps", "warning"),
    [
        (
            "s.opus",
            "12",
            "Opus at 12 kbps can pass the -1 dBTP true-peak ceiling and land under the loudness "
            "target (its coding is that coarse); --bitrate 64 or more keeps both",
        ),
        (
            "s.m4a",
            "32",
            "M4A (AAC) at 32 kbps can pass the -1 dBTP true-peak ceiling (its coding is that "
            "coarse); --bitrate 48 or more keeps it",
        ),
        ("s.m4a", "48", None),
    ],
)
def test_a_bitrate_too_low_for_the_ceiling_is_warned_of(
    name: str, kbps: str, warning: str | None, speech_cache: Path, tmp_path: Path
) -> None:
    done = matcue(
        "export", ROUTINE, "-o", name, "--bitrate", kbps, cache=speech_cache, cwd=tmp_path
    )
    assert done.returncode == 0
    if warning is None:
        assert "warning" not in done.stderr
        return
    assert done.stderr.startswith(f"matcue: warning: {warning}\n")
    assert done.stderr.count("\n") == 2  # the warning and "Wrote ..."


def test_at_the_default_opus_bitrate_the_ceiling_holds_without_a_warning(
    speech_cache: Path, tmp_path: Path
) -> None:
    done = matcue(
        "export", ROUTINE, "-o", "s.opus", "--bitrate", "64", cache=speech_cache, cwd=tmp_path
    )
    assert done.returncode == 0
    assert "warning" not in done.stderr
    data, rate = sf.read(str(tmp_path / "s.opus"), dtype="float64")
    assert independent_true_peak(data, rate) <= 10 ** (-1 / 20)
    assert pyloudnorm.Meter(rate).integrated_loudness(data) == pytest.approx(-16.0, abs=1.0)


def test_m4a_at_its_default_bitrate_keeps_the_ceiling_where_aac_overshot(tmp_path: Path) -> None:
    """The fixture is 5 s of classic-set exported into an empty cache (the same samples every
    time), at -3.3 dBTP: M4A at 64 kbps made it +2.0 dBTP while the AAC encoder's temporal
    noise shaping was on (the whole session +2.5)."""
    from matcue.export.encoders import encode_into
    from matcue.export.formats import FORMATS, encoding
    from matcue.export.staging import Staging

    pcm, rate = sf.read(str(FIXTURES / "aac-overshoot.flac"), dtype="int16")
    out = tmp_path / "s.m4a"
    with Staging(force=True) as staging:
        encode_into(staging, out, [pcm], rate, encoding(FORMATS[".m4a"], None, None))
        staging.commit()
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(out), "-f", "f64le", "-ac", "1", "-"],
        capture_output=True,
        check=True,
    ).stdout
    data = np.frombuffer(raw, dtype="<f8")
    assert len(data) == pytest.approx(len(pcm), abs=2048)
    assert independent_true_peak(data, rate) <= 10 ** (-1 / 20)


@pytest.mark.parametrize("lufs", [-12.0, -40.0, float("nan")])
def test_the_api_says_which_loudness_it_can_reach(lufs: float) -> None:
    from matcue import api

    with pytest.raises(api.InputError, match=r"give -30 to -16"):
        api.prepare("first-aid", loudness=lufs)
