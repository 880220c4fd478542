"""`matcue export` to every format, read back with independent tools.

One short real session (tests/routines/export/two-exercises.yaml: real espeak-ng speech, two
exercises, four chapters) is exported once per format through the installed ``matcue`` script.
Each file is then read by ffprobe/ffmpeg (Debian's), soundfile and mutagen: its duration is the
plan's, its chapters and tags are there, its loudness (pyloudnorm) and true peak (ffmpeg's
ebur128) are on target, the sidecars parse and agree with the plan, and split tracks add up to
the whole.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyloudnorm
import pytest
import soundfile as sf

from audio_helpers import cli_env

MATCUE = Path(sys.executable).with_name("matcue")
ROUTINE = Path(__file__).parent / "routines" / "export" / "two-exercises.yaml"
SESSION_RATE = 22050
PLAN_ROUNDING = 0.0005  # seconds: plan --json rounds times to the millisecond
CHAPTER_TOLERANCE = 0.010  # seconds
TARGET_LUFS = -16.0
FORMATS = ["wav", "flac", "ogg", "opus", "mp3", "m4a"]
# one codec frame of slack where the format pads its last frame (MP3: 576 samples at 22.05 kHz)
FRAME_SLACK = {"mp3": 576 / SESSION_RATE, "m4a": 1024 / SESSION_RATE}


def matcue(
    *args: str | Path, cache: Path, cwd: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(MATCUE), *map(str, args)],
        cwd=cwd,
        env=cli_env(cache),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="session")
def plan(speech_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    cwd = tmp_path_factory.mktemp("plan")
    data: dict[str, Any] = json.loads(
        matcue("plan", ROUTINE, "--json", "--export", cache=speech_cache, cwd=cwd).stdout
    )
    return data


@dataclass(frozen=True)
class Export:
    folder: Path
    audio: Path
    stderr: str


@pytest.fixture(scope="session")
def exports(speech_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Export]:
    """Each format exported once; FLAC with every sidecar, MP3 with SRT subtitles."""
    out: dict[str, Export] = {}
    for fmt in FORMATS:
        folder = tmp_path_factory.mktemp(f"export-{fmt}")
        extra: list[str] = []
        if fmt == "flac":
            extra = ["--subtitles", "vtt", "--cue-sheet", "--labels", "--chapters-json"]
        elif fmt == "mp3":
            extra = ["--subtitles", "srt"]
        done = matcue(
            "export", ROUTINE, "-o", f"session.{fmt}", *extra, cache=speech_cache, cwd=folder
        )
        out[fmt] = Export(folder, folder / f"session.{fmt}", done.stderr)
    return out


PROBE = ["ffprobe", "-v", "error"]
R128 = ["ffmpeg", "-nostats", "-hide_banner"]


def ffprobe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [*PROBE, "-show_chapters", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data: dict[str, Any] = json.loads(out)
    return data


def decode(path: Path) -> tuple[npt.NDArray[np.float32], int]:
    """The file decoded by ffmpeg: mono float samples and their rate."""
    rate = int(ffprobe(path)["streams"][0]["sample_rate"])
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "1", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<f4").copy(), rate


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) by ffmpeg's EBU R128 meter."""
    log = subprocess.run(
        [*R128, "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    summary = log[log.rindex("Summary:") :]
    lufs = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))  # type: ignore[union-attr]
    return lufs, peak


def chapters_of(plan: dict[str, Any]) -> list[tuple[float, str]]:
    return [(c["t"], c["title"]) for c in plan["chapters"]]


# --- audio: duration, loudness, true peak --------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_decoded_duration_is_the_plans(
    fmt: str, exports: dict[str, Export], plan: dict[str, Any]
) -> None:
    samples, rate = decode(exports[fmt].audio)
    assert rate == (48000 if fmt == "opus" else SESSION_RATE)
    slack = PLAN_ROUNDING + 1 / rate + FRAME_SLACK.get(fmt, 0.0)
    assert abs(samples.size / rate - plan["duration_s"]) <= slack


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "opus", "mp3"])
def test_soundfile_reads_the_same_length(
    fmt: str, exports: dict[str, Export], plan: dict[str, Any]
) -> None:
    info = sf.info(str(exports[fmt].audio))
    assert info.channels == 1
    assert (
        abs(info.frames / info.samplerate - plan["duration_s"])
        <= PLAN_ROUNDING + 1 / info.samplerate
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_loudness_and_true_peak_are_on_target(fmt: str, exports: dict[str, Export]) -> None:
    samples, rate = decode(exports[fmt].audio)
    lufs = pyloudnorm.Meter(rate).integrated_loudness(samples.astype(np.float64))
    assert abs(lufs - TARGET_LUFS) <= 1.0, lufs
    r128_lufs, true_peak = ebur128(exports[fmt].audio)
    assert abs(r128_lufs - TARGET_LUFS) <= 1.0
    assert true_peak <= -1.0


def test_the_wav_is_the_pcm_the_player_plays(
    exports: dict[str, Export], speech_cache: Path
) -> None:
    import matcue
    from matcue.store import paths

    hermetic = paths.folders(
        {
            paths.CACHE_ENV: str(speech_cache),
            paths.CONFIG_ENV: str(speech_cache.parent / "no-config" / "config.toml"),
            paths.DATA_ENV: str(speech_cache.parent / "no-history"),
        }
    )
    pcm = matcue.render(matcue.plan(ROUTINE, folders=hermetic))
    data, rate = sf.read(str(exports["wav"].audio), dtype="int16")
    assert rate == SESSION_RATE
    assert np.array_equal(data, pcm)


def test_the_summary_names_the_file(exports: dict[str, Export], plan: dict[str, Any]) -> None:
    minutes, seconds = divmod(round(plan["duration_s"]), 60)
    assert exports["wav"].stderr == f"Wrote session.wav ({minutes}:{seconds:02d}).\n"
    assert sorted(p.name for p in exports["wav"].folder.iterdir()) == ["session.wav"]


# --- chapters and tags ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["flac", "ogg", "opus", "mp3", "m4a"])
def test_ffprobe_finds_a_chapter_per_part(
    fmt: str, exports: dict[str, Export], plan: dict[str, Any]
) -> None:
    found = sorted(
        (float(c["start_time"]), c["tags"]["title"])
        for c in ffprobe(exports[fmt].audio)["chapters"]
    )
    expected = chapters_of(plan)
    assert [title for _, title in found] == [title for _, title in expected]
    assert expected[0][1] == "Introduction"
    for (start, _), (t, _) in zip(found, expected, strict=True):
        assert abs(start - t) <= CHAPTER_TOLERANCE


def test_mutagen_reads_the_mp3_chapter_frames(
    exports: dict[str, Export], plan: dict[str, Any]
) -> None:
    from mutagen.id3 import ID3

    tags = ID3(str(exports["mp3"].audio))
    toc = tags.getall("CTOC")
    assert len(toc) == 1
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    ordered = [chaps[i] for i in toc[0].child_element_ids]  # the table of contents' order
    expected = chapters_of(plan)
    assert [c.sub_frames["TIT2"].text[0] for c in ordered] == [t for _, t in expected]
    for chap, (t, _) in zip(ordered, expected, strict=True):
        assert abs(chap.start_time / 1000 - t) <= CHAPTER_TOLERANCE
    ends = [c.end_time / 1000 for c in ordered]
    assert abs(ends[-1] - plan["duration_s"]) <= CHAPTER_TOLERANCE


@pytest.mark.parametrize("fmt", ["flac", "ogg", "opus"])
def test_mutagen_reads_the_vorbis_chapter_comments(
    fmt: str, exports: dict[str, Export], plan: dict[str, Any]
) -> None:
    import mutagen

    comments = mutagen.File(str(exports[fmt].audio)).tags
    expected = chapters_of(plan)
    for i, (t, title) in enumerate(expected, 1):
        hours, minutes, seconds = comments[f"CHAPTER{i:03d}"][0].split(":")
        start = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        assert abs(start - t) <= CHAPTER_TOLERANCE
        assert comments[f"CHAPTER{i:03d}NAME"] == [title]
    assert f"CHAPTER{len(expected) + 1:03d}" not in comments


def test_mutagen_reads_the_m4a_chapters(exports: dict[str, Export], plan: dict[str, Any]) -> None:
    from mutagen.mp4 import MP4

    chapters = MP4(str(exports["m4a"].audio)).chapters
    expected = chapters_of(plan)
    assert [c.title for c in chapters] == [t for _, t in expected]
    for chapter, (t, _) in zip(chapters, expected, strict=True):
        assert abs(chapter.start - t) <= CHAPTER_TOLERANCE


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_tags_are_there(fmt: str, exports: dict[str, Export]) -> None:
    probe = ffprobe(exports[fmt].audio)
    tags = {k.lower(): v for k, v in probe["format"].get("tags", {}).items()}
    tags |= {k.lower(): v for k, v in probe["streams"][0].get("tags", {}).items()}
    assert tags["title"] == "Export check"
    assert tags["album"] == "Export check"
    assert tags["artist"] == "matcue"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", tags["date"])
    assert "pace 100 %" in tags["comment"]
    assert "at 150 words a minute" in tags["comment"]


def test_mutagen_reads_the_id3_tags(exports: dict[str, Export]) -> None:
    from mutagen.id3 import ID3

    tags = ID3(str(exports["mp3"].audio))
    assert tags.version[:2] == (2, 3)
    assert str(tags["TIT2"]) == "Export check"
    assert str(tags["TALB"]) == "Export check"
    assert str(tags["TPE1"]) == "matcue"
    assert "voice" in str(tags.getall("COMM")[0])


# --- sidecars ------------------------------------------------------------------------------------


def speech_cues(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in plan["cues"] if c["kind"] == "speech"]


def test_the_sidecars_sit_next_to_the_audio(exports: dict[str, Export]) -> None:
    assert sorted(p.name for p in exports["flac"].folder.iterdir()) == [
        "session.chapters.json",
        "session.cue",
        "session.flac",
        "session.labels.txt",
        "session.vtt",
    ]
    assert sorted(p.name for p in exports["mp3"].folder.iterdir()) == ["session.mp3", "session.srt"]


@pytest.mark.parametrize(("fmt", "ext"), [("flac", "vtt"), ("mp3", "srt")])
def test_ffprobe_reads_every_spoken_line_from_the_subtitles(
    fmt: str, ext: str, exports: dict[str, Export], plan: dict[str, Any]
) -> None:
    path = exports[fmt].folder / f"session.{ext}"
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_packets", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    packets = json.loads(out)["packets"]
    cues = speech_cues(plan)
    assert len(packets) == len(cues)
    for packet, cue in zip(packets, cues, strict=True):
        assert abs(float(packet["pts_time"]) - cue["t"]) <= PLAN_ROUNDING + 0.001
        assert abs(float(packet["duration_time"]) - cue["dur"]) <= 2 * PLAN_ROUNDING + 0.001
    text = path.read_text(encoding="utf-8")
    blocks = [b for b in text.split("\n\n") if "-->" in b]
    assert [b.split("\n", 2)[2].strip() for b in blocks] == [c["text"] for c in cues]


def test_the_cue_sheet_has_a_track_per_chapter(
    exports: dict[str, Export], plan: dict[str, Any]
) -> None:
    text = (exports["flac"].folder / "session.cue").read_text(encoding="utf-8")
    assert re.search(r'^FILE "session\.flac" WAVE$', text, re.M)
    titles = re.findall(r'^    TITLE "(.*)"$', text, re.M)
    starts = [
        int(m) * 60 + int(s) + int(f) / 75
        for m, s, f in re.findall(r"^    INDEX 01 (\d+):(\d\d):(\d\d)$", text, re.M)
    ]
    numbers = re.findall(r"^  TRACK (\d\d) AUDIO$", text, re.M)
    expected = chapters_of(plan)
    assert titles == [t for _, t in expected]
    assert numbers == [f"{i:02d}" for i in range(1, len(expected) + 1)]
    for start, (t, _) in zip(starts, expected, strict=True):
        assert abs(start - t) <= CHAPTER_TOLERANCE  # CD frames are 1/75 s: off by 6.7 ms at most


def test_the_labels_are_the_phases(exports: dict[str, Export], plan: dict[str, Any]) -> None:
    rows = [
        line.split("\t")
        for line in (exports["flac"].folder / "session.labels.txt").read_text("utf-8").splitlines()
    ]
    phases = plan["phases"]
    assert len(rows) == len(phases)
    for (start, end, label), phase in zip(rows, phases, strict=True):
        assert abs(float(start) - phase["t"]) <= PLAN_ROUNDING
        assert abs(float(end) - (phase["t"] + phase["dur"])) <= 2 * PLAN_ROUNDING
        assert phase["kind"].replace("_", " ") in label
    assert rows[9][2] == "Knee hug · hold · set 1 · rep 1 · left"


def test_the_json_chapters_follow_podcasting_2(
    exports: dict[str, Export], plan: dict[str, Any]
) -> None:
    data = json.loads((exports["flac"].folder / "session.chapters.json").read_text("utf-8"))
    assert data["version"] == "1.2.0"
    expected = chapters_of(plan)
    assert [c["title"] for c in data["chapters"]] == [t for _, t in expected]
    for chapter, (t, _) in zip(data["chapters"], expected, strict=True):
        assert abs(chapter["startTime"] - t) <= CHAPTER_TOLERANCE
    assert abs(data["chapters"][-1]["endTime"] - plan["duration_s"]) <= CHAPTER_TOLERANCE


# --- split tracks --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def split_flac(speech_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("split-flac")
    matcue(
        "export",
        ROUTINE,
        "-o",
        "session.flac",
        "--split",
        "--cue-sheet",
        cache=speech_cache,
        cwd=folder,
    )
    return folder


def test_split_tracks_add_up_to_the_whole(
    split_flac: Path, exports: dict[str, Export], plan: dict[str, Any]
) -> None:
    names = [
        "session-01-introduction.flac",
        "session-02-tilt.flac",
        "session-03-knee-hug.flac",
        "session-04-closing.flac",
    ]
    assert sorted(p.name for p in split_flac.iterdir()) == sorted(
        [*names, "session.cue", "session.m3u"]
    )
    parts = [sf.read(str(split_flac / name), dtype="int16")[0] for name in names]
    whole, _ = sf.read(str(exports["flac"].audio), dtype="int16")
    assert np.array_equal(np.concatenate(parts), whole)
    ends = [c["t"] for c in plan["chapters"][1:]] + [plan["duration_s"]]
    for part, start, end in zip(parts, [c["t"] for c in plan["chapters"]], ends, strict=True):
        assert abs(part.size / SESSION_RATE - (end - start)) <= 2 * PLAN_ROUNDING + 1 / SESSION_RATE


def test_split_tracks_are_numbered_and_titled(split_flac: Path, plan: dict[str, Any]) -> None:
    import mutagen

    tracks = sorted(split_flac.glob("*.flac"))
    for i, (path, (_, title)) in enumerate(zip(tracks, chapters_of(plan), strict=True), 1):
        tags = mutagen.File(str(path)).tags
        assert tags["TITLE"] == [title]
        assert tags["ALBUM"] == ["Export check"]
        assert tags["TRACKNUMBER"] == [str(i)]
        assert tags["TRACKTOTAL"] == [str(len(tracks))]


def test_the_playlist_lists_the_tracks_in_order(split_flac: Path, plan: dict[str, Any]) -> None:
    lines = (split_flac / "session.m3u").read_text("utf-8").splitlines()
    assert lines[0] == "#EXTM3U"
    files = [line for line in lines if not line.startswith("#")]
    assert files == sorted(p.name for p in split_flac.glob("*.flac"))
    infos = [line for line in lines if line.startswith("#EXTINF:")]
    assert [i.split(",", 1)[1] for i in infos] == [
        f"Export check - {t}" for _, t in chapters_of(plan)
    ]
    total = sum(int(i.split(":")[1].split(",")[0]) for i in infos)
    assert abs(total - plan["duration_s"]) <= len(infos) / 2  # whole seconds, rounded


def test_the_split_cue_sheet_names_each_file(split_flac: Path) -> None:
    text = (split_flac / "session.cue").read_text("utf-8")
    files = re.findall(r'^FILE "(.*)" WAVE$', text, re.M)
    assert files == sorted(p.name for p in split_flac.glob("*.flac"))
    assert set(re.findall(r"INDEX 01 (\S+)", text)) == {"00:00:00"}


def test_split_mp3_tracks_add_up_to_the_whole_at_another_loudness(
    speech_cache: Path, tmp_path: Path, plan: dict[str, Any]
) -> None:
    matcue(
        "export",
        ROUTINE,
        "-o",
        "s.mp3",
        "--split",
        "--bitrate",
        "56",
        "--loudness",
        "-20",
        cache=speech_cache,
        cwd=tmp_path,
    )
    tracks = sorted(tmp_path.glob("*.mp3"))
    assert len(tracks) == len(plan["chapters"])
    lengths = [sf.info(str(p)).frames for p in tracks]
    slack = PLAN_ROUNDING + len(tracks) / SESSION_RATE
    assert abs(sum(lengths) / SESSION_RATE - plan["duration_s"]) <= slack
    for path in tracks:
        probe = ffprobe(path)
        assert probe["format"]["tags"]["track"].endswith(f"/{len(tracks)}")
        assert int(probe["format"]["bit_rate"]) <= 60_000
    whole = np.concatenate([decode(p)[0] for p in tracks]).astype(np.float64)
    assert abs(pyloudnorm.Meter(SESSION_RATE).integrated_loudness(whole) + 20.0) <= 1.0
