"""The shipped tones: exact lengths, deterministic, recognisable and distinct, clean edges."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from matcue.audio.files import resample
from matcue.audio.tones import load_sounds, sounds_dir
from matcue.errors import RuntimeFailure
from matcue.timeline.sounds import SOUND_LENGTHS, SoundName

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "make_sounds.py"
RATE = 44100

Signal = npt.NDArray[np.float64]


def read(name: str) -> Signal:
    data, rate = sf.read(str(REPO / "sounds" / f"{name}.wav"), dtype="float64")
    assert rate == RATE
    return np.asarray(data, dtype=np.float64)


def centroid_trend(x: Signal, win: int = 1024, hop: int = 256) -> float:
    """Energy-weighted slope of the spectral centroid over time, in Hz per second."""
    window = np.hanning(win)
    freqs = np.fft.rfftfreq(win, 1 / RATE)
    times, cents, weights = [], [], []
    for start in range(0, x.size - win, hop):
        seg = x[start : start + win] * window
        mag = np.abs(np.fft.rfft(seg))
        times.append((start + win / 2) / RATE)
        cents.append(float((freqs * mag).sum() / max(mag.sum(), 1e-12)))
        weights.append(float((seg**2).sum()))
    slope = np.polyfit(times, cents, 1, w=np.sqrt(weights))[0]
    return float(slope)


def fingerprint(x: Signal, segments: int = 6) -> Signal:
    """Third-octave band energies in equal time slices: a rough 'what it sounds like'."""
    edges = 60.0 * 2.0 ** (np.arange(0, 8.4, 1 / 3))
    rows = []
    for part in np.array_split(x, segments):
        spec = np.abs(np.fft.rfft(part, n=1 << 16)) ** 2
        freqs = np.fft.rfftfreq(1 << 16, 1 / RATE)
        rows.append(
            [spec[(freqs >= lo) & (freqs < hi)].sum() for lo, hi in itertools.pairwise(edges)]
        )
    vec: Signal = np.sqrt(np.asarray(rows, dtype=np.float64).ravel())
    return vec / float(np.linalg.norm(vec))


@pytest.mark.parametrize("name", list(SOUND_LENGTHS))
def test_every_sound_exists_with_its_exact_length(name: SoundName) -> None:
    info = sf.info(str(REPO / "sounds" / f"{name}.wav"))
    assert (info.samplerate, info.channels, info.subtype, info.format) == (
        RATE,
        1,
        "PCM_16",
        "WAV",
    )
    assert info.frames == round(SOUND_LENGTHS[name] * RATE)


def test_make_sounds_check_passes_on_the_shipped_files() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout


def test_make_sounds_is_deterministic_and_check_catches_changes(tmp_path: Path) -> None:
    for _ in range(2):
        subprocess.run(
            [sys.executable, str(SCRIPT), "--out", str(tmp_path)], check=True, capture_output=True
        )
        for name in SOUND_LENGTHS:
            a, _ = sf.read(str(tmp_path / f"{name}.wav"), dtype="int16")
            b, _ = sf.read(str(REPO / "sounds" / f"{name}.wav"), dtype="int16")
            assert np.array_equal(a, b), name
    # a changed, shortened and missing file each make --check fail
    data, _ = sf.read(str(tmp_path / "move.wav"), dtype="int16")
    sf.write(str(tmp_path / "move.wav"), (data // 2).astype(np.int16), RATE, subtype="PCM_16")
    sf.write(str(tmp_path / "tick.wav"), np.zeros(100, dtype=np.int16), RATE, subtype="PCM_16")
    (tmp_path / "end.wav").unlink()
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "move.wav: samples differ" in done.stderr
    assert "tick.wav: 100 frames, expected 2646" in done.stderr
    assert "end.wav: missing" in done.stderr


def test_inhale_rises_and_exhale_falls() -> None:
    assert centroid_trend(read("inhale")) > 300  # Hz per second: ~250 Hz up over 0.6 s
    assert centroid_trend(read("exhale")) < -300
    # and they are mirror images in pitch, not the same sound
    assert fingerprint(read("inhale")) @ fingerprint(read("exhale")) < 0.9


def test_each_sound_is_distinct_from_every_other() -> None:
    prints = {name: fingerprint(read(name)) for name in SOUND_LENGTHS}
    for a, b in itertools.combinations(SOUND_LENGTHS, 2):
        assert prints[a] @ prints[b] < 0.9, (a, b)


def test_sounds_have_the_character_they_are_named_for() -> None:
    def centroid(x: Signal) -> float:
        mag = np.abs(np.fft.rfft(x))
        return float((np.fft.rfftfreq(x.size, 1 / RATE) * mag).sum() / mag.sum())

    def envelope(x: Signal, seconds: float = 0.005) -> Signal:
        width = round(seconds * RATE)
        env: Signal = np.convolve(x**2, np.ones(width) / width, mode="same")
        return env

    def loudest_at(x: Signal) -> float:
        """Where the sound is loudest, as a fraction of its length."""
        return float(np.argmax(envelope(x)) / x.size)

    def loudest_in_s(x: Signal) -> float:
        return float(np.argmax(envelope(x, 0.02)) / RATE)

    def decays(x: Signal) -> bool:
        quarters = [float((part**2).sum()) for part in np.array_split(x, 4)]
        return quarters[0] > 4 * quarters[3] and quarters == sorted(quarters, reverse=True)

    def strikes_again_at(x: Signal, seconds: float) -> bool:
        env = envelope(x)
        return bool(env[round((seconds + 0.01) * RATE)] > 2 * env[round((seconds - 0.006) * RATE)])

    # low and warm vs bright
    assert centroid(read("rest")) < 400
    assert centroid(read("end")) < 400
    assert centroid(read("start")) > 2 * centroid(read("end"))
    # bells and clicks strike at once and decay; the pad swells to its middle
    for name in ("tick", "start", "end"):
        assert loudest_in_s(read(name)) < 0.06, name
    for name in ("tick", "start", "end", "exhale"):
        assert decays(read(name)), name
    # the chime and the switch are two notes each
    assert strikes_again_at(read("move"), 0.16)
    assert strikes_again_at(read("switch"), 0.14)
    assert 0.3 < loudest_at(read("rest")) < 0.7
    # the inhale swells towards its end, the exhale fades from its start
    assert loudest_at(read("inhale")) > 0.5
    assert loudest_at(read("exhale")) < 0.3
    # the tick is over within ~20 ms
    tick = read("tick")
    assert np.abs(tick[round(0.03 * RATE) :]).max() < 0.05


@pytest.mark.parametrize("name", list(SOUND_LENGTHS))
def test_no_clipping_and_smooth_edges(name: str) -> None:
    x = read(name)
    assert np.abs(x).max() == pytest.approx(0.9, abs=1e-3)
    assert np.abs(x[:8]).max() < 0.01  # first and last 0.2 ms are near silence
    assert np.abs(x[-8:]).max() < 0.01
    assert x[0] == 0.0
    assert abs(x[-1]) < 1e-3
    # no sample-to-sample jump that would click
    assert np.abs(np.diff(x)).max() < 0.5


@pytest.mark.parametrize("rate", [22050, 44100, 48000])
def test_load_sounds_gives_every_sound_at_the_asked_rate(rate: int) -> None:
    sounds = load_sounds(rate)
    assert set(sounds) == set(SOUND_LENGTHS)
    for name, length in SOUND_LENGTHS.items():
        clip = sounds[name]
        assert clip.rate == rate
        assert clip.samples.dtype == np.float32
        assert clip.frames == round(length * rate)
        assert clip.duration == pytest.approx(length, abs=1 / rate)
        # interpolation never overshoots; halving the rate may miss the very peak
        assert 0.75 < np.abs(clip.samples).max() <= 0.9 + 1e-4


def test_resampling_keeps_the_pitch() -> None:
    tone = np.sin(2 * np.pi * 440 * np.arange(44100) / 44100).astype(np.float32)
    for rate in (22050, 48000):
        out = resample(tone, 44100, rate)
        assert out.size == rate
        spectrum = np.abs(np.fft.rfft(out))
        assert np.argmax(spectrum) * 1.0 == pytest.approx(440, abs=1)  # 1 Hz bins


def test_sounds_dir_is_the_repository_folder_in_an_editable_install() -> None:
    assert sounds_dir() == REPO / "sounds"
    assert sorted(p.stem for p in sounds_dir().glob("*.wav")) == sorted(SOUND_LENGTHS)


def test_a_missing_sound_file_says_how_to_make_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("matcue.audio.tones.sounds_dir", lambda: tmp_path)
    with pytest.raises(RuntimeFailure) as err:
        load_sounds(44100)
    message = str(err.value)
    assert "inhale.wav" in message
    assert "scripts/make_sounds.py" in message
