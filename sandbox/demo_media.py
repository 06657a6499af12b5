"""Generate short, real H.264/AAC MP4 demo videos with the ffmpeg shipped by imageio-ffmpeg.

The output is deterministic (bitexact flags, fixed sources), so the same spec always gives
the same bytes and therefore the same info-hash. One video keeps its index (``moov``) at
the end of the file, as most encoders write it; the others are "faststart" (index first).
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

from core.errors import MiauflixError


class DemoMediaError(MiauflixError):
    """ffmpeg failed or is missing."""


@dataclass(frozen=True)
class DemoVideo:
    name: str  # file name, ends with .mp4
    width: int
    height: int
    seconds: int
    video_kbps: int
    faststart: bool
    title: str
    subtitles: bool = False  # seeded as a folder with an English .srt and a Spanish .ass
    embedded_subtitles: bool = False  # English and Spanish text tracks (mov_text) inside


DEMO_VIDEOS: tuple[DemoVideo, ...] = (
    DemoVideo("miauflix-demo-720p.mp4", 1280, 720, 30, 2500, True, "Demo 720p (faststart)"),
    DemoVideo("miauflix-demo-720p-tail-index.mp4", 1280, 720, 30, 2500, False,
              "Demo 720p (index at the end)"),
    DemoVideo("miauflix-demo-1080p.mp4", 1920, 1080, 20, 5000, True, "Demo 1080p",
              embedded_subtitles=True),
    DemoVideo("miauflix-demo-480p.mp4", 854, 480, 30, 1200, False, "Demo 480p", True),
)  # fmt: skip


def ffmpeg_exe() -> str:
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:  # pragma: no cover - the wheel ships one
        raise DemoMediaError(f"no ffmpeg available: {exc}") from exc


def render(video: DemoVideo, out_dir: Path, *, timeout: float = 300.0) -> Path:
    """Encode ``video`` into ``out_dir`` (skipped when the file already exists)."""
    target = out_dir / video.name
    if target.exists() and target.stat().st_size > 0:
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part.mp4")
    duration = video.seconds
    cmd = [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i",
        f"testsrc2=size={video.width}x{video.height}:rate=25:duration={duration}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={duration}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "50",
        "-b:v", f"{video.video_kbps}k", "-maxrate", f"{video.video_kbps}k",
        "-bufsize", f"{video.video_kbps * 2}k",
        "-c:a", "aac", "-b:a", "128k",
        "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
        "-map_metadata", "-1",
    ]  # fmt: skip
    if video.faststart:
        cmd += ["-movflags", "+faststart"]
    cmd += ["-f", "mp4", str(partial)]
    try:
        with tempfile.TemporaryDirectory(prefix="miauflix-srt-") as scratch:
            if video.embedded_subtitles:
                cmd = _with_text_tracks(cmd, video, Path(scratch))
            subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
    except subprocess.CalledProcessError as exc:
        partial.unlink(missing_ok=True)
        raise DemoMediaError(
            f"ffmpeg failed on {video.name} (exit {exc.returncode}): "
            f"{exc.stderr.decode(errors='replace')[-400:]}"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        partial.unlink(missing_ok=True)
        raise DemoMediaError(f"ffmpeg timed out after {timeout:.0f}s on {video.name}") from exc
    partial.replace(target)
    return target


def _with_text_tracks(cmd: list[str], video: DemoVideo, scratch: Path) -> list[str]:
    """``cmd`` with an English and a Spanish SRT (written to ``scratch``) muxed in as
    ``mov_text`` text tracks."""
    inputs, maps = [], ["-map", "0:v", "-map", "1:a"]
    for n, (language, text) in enumerate((("eng", _english_srt(video)),
                                          ("spa", _spanish_srt(video)))):  # fmt: skip
        source = scratch / f"{language}.srt"
        source.write_bytes(text.encode("utf-8"))
        inputs += ["-i", str(source)]
        maps += ["-map", f"{n + 2}:s", f"-metadata:s:s:{n}", f"language={language}"]
    split = cmd.index("-c:v")
    return [*cmd[:split], *inputs, *maps, "-c:s", "mov_text", *cmd[split:]]


def _cue_times(video: DemoVideo) -> list[tuple[int, int]]:
    return [(start, min(start + 2500, video.seconds * 1000))
            for start in range(500, video.seconds * 1000 - 500, 3000)]  # fmt: skip


def _srt(video: DemoVideo, line: Callable[[int, int], str]) -> str:
    """An SRT of the demo's cue times; ``line(n, start_ms)`` is cue ``n``'s text."""
    srt = []
    for n, (start, end) in enumerate(_cue_times(video), 1):
        srt.append(f"{n}\r\n{_clock(start, ',')} --> {_clock(end, ',')}\r\n{line(n, start)}\r\n")
    return "\r\n".join(srt)


def _english_srt(video: DemoVideo) -> str:
    return _srt(video, lambda n, start: f"<i>{video.title}</i>: second {start // 1000}"
                if n % 2 else "The cat sees you.")  # fmt: skip


def _spanish_srt(video: DemoVideo) -> str:
    return _srt(video, lambda n, start: f"Segundo {start // 1000}: ¿Qué tal?\r\n¡Buenos días!"
                if n % 2 else "El gato.")  # fmt: skip


def _clock(ms: int, sep: str, fraction_digits: int = 3) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    fraction = f"{millis:03d}"[:fraction_digits]
    if fraction_digits == 2:
        return f"{hours}:{minutes:02d}:{seconds:02d}{sep}{fraction}"
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{sep}{fraction}"


def write_subtitles(video: DemoVideo, out_dir: Path) -> list[Path]:
    """Subtitle files beside ``video`` as a release would ship them: an English SRT named
    after the video (UTF-8) and ``Subs/Spanish.ass`` in Windows-1252. Deterministic."""
    stem = Path(video.name).stem
    cues = _cue_times(video)
    english = out_dir / f"{stem}.en.srt"
    english.write_bytes(_english_srt(video).encode("utf-8"))
    events = [
        f"Dialogue: 0,{_clock(start, '.', 2)},{_clock(end, '.', 2)},Default,,0,0,0,,"
        + (f"{{\\i1}}Segundo {start // 1000}{{\\i0}}: ¿Qué tal?\\N¡Buenos días, señor!"
           if n % 2 else "{\\an8}El niño está aquí.")
        for n, (start, end) in enumerate(cues, 1)
    ]  # fmt: skip
    ass = "\r\n".join([
        "[Script Info]", f"Title: {video.title}", "ScriptType: v4.00+", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, Bold, Italic, Alignment",
        "Style: Default,Arial,20,&H00FFFFFF,0,0,2", "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
        *events, "",
    ])  # fmt: skip
    spanish = out_dir / "Subs" / "Spanish.ass"
    spanish.parent.mkdir(parents=True, exist_ok=True)
    spanish.write_bytes(ass.encode("cp1252"))
    return [english, spanish]


def render_large(out_dir: Path, *, megabytes: int = 200, name: str = "") -> Path:
    """A long 1080p video of about ``megabytes`` MB, for streaming benchmarks."""
    kbps = 20_000
    seconds = max(5, int(megabytes * 8_000 / (kbps + 128)))
    video = DemoVideo(name or f"miauflix-bench-{megabytes}mb.mp4", 1920, 1080, seconds, kbps,
                      False, f"Benchmark {megabytes} MB")  # fmt: skip
    return render(video, out_dir, timeout=1800.0)


def moov_at_end(path: Path) -> bool:
    """True when the top-level ``moov`` box comes after ``mdat`` (index at the end)."""
    order: list[bytes] = []
    with path.open("rb") as handle:
        size = path.stat().st_size
        pos = 0
        while pos + 8 <= size:
            handle.seek(pos)
            header = handle.read(16)
            box_size = int.from_bytes(header[:4], "big")
            kind = header[4:8]
            if box_size == 1:
                box_size = int.from_bytes(header[8:16], "big")
            if box_size < 8:
                break
            order.append(kind)
            pos += box_size
    if b"moov" not in order or b"mdat" not in order:
        raise DemoMediaError(f"{path} is not an MP4 with moov and mdat boxes")
    return order.index(b"moov") > order.index(b"mdat")
