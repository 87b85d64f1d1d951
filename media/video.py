"""Video guides: recognise, probe and transcode an uploaded video with FFmpeg (subprocesses, never in the loop).

The upload is recognised from its bytes (MP4/MOV `ftyp`, WebM EBML), probed by `ffprobe` (a video stream,
a duration under the cap), then transcoded for phones: H.264 (main profile, yuv420p), AAC stereo 96 kb/s,
the short side at most `MEDIA_VIDEO_MAX_SIDE` (720), `+faststart` MP4, and a JPEG poster frame.
Captions are WebVTT, checked here before anything is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from core.errors import ApiError

FFMPEG, FFPROBE = "ffmpeg", "ffprobe"
PROBE_TIMEOUT_S = 30.0
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}
_CUE_TIME = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_CUE = re.compile(rf"^{_CUE_TIME}[ \t]+-->[ \t]+{_CUE_TIME}(?:[ \t].*)?$")
NOT_VIDEO = "不支持该文件类型，请上传 MP4、MOV 或 WebM 视频"


@dataclass(frozen=True)
class Probe:
    """What ffprobe tells of a video file."""

    duration_s: float
    width: int
    height: int
    has_audio: bool


def sniff_video(head: bytes) -> str | None:
    """`mp4`, `mov` or `webm` from the first bytes of a file, None for anything else (HEIC included)."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return None
        return "mov" if brand == b"qt  " else "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64]:
        return "webm"
    return None


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def check_captions(data: bytes, max_bytes: int) -> str:
    """The WebVTT text of a captions upload; 413/422 `bad_captions` when too big or not valid WebVTT."""
    if len(data) > max_bytes:
        raise ApiError(413, "too_large", f"字幕文件不能超过 {max_bytes // 1024} KB")
    refusal = ApiError(422, "bad_captions", "字幕文件不是有效的 WebVTT 格式（需以 WEBVTT 开头，并包含时间轴）")
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise refusal from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not re.match(r"^WEBVTT(?:[ \t].*)?$", lines[0]) or "\x00" in text:
        raise refusal
    cues = 0
    for line in lines[1:]:
        if "-->" not in line:
            continue
        match = _CUE.match(line.strip())
        if match is None:
            raise refusal
        start, end = _seconds(*match.group(1, 2, 3, 4)), _seconds(*match.group(5, 6, 7, 8))
        if end < start:
            raise refusal
        cues += 1
    if cues == 0:
        raise refusal
    return text


async def run(args: list[str], timeout_s: float) -> bytes:
    """Run a command, its standard output; RuntimeError with its last error lines when it fails or times out."""
    proc = await asyncio.create_subprocess_exec(*args, stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout_s)
    except (TimeoutError, asyncio.CancelledError):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        raise RuntimeError(err.decode("utf-8", "replace")[-500:])
    return out


async def probe(path: Path, max_seconds: float) -> Probe:
    """Probe a stored upload: 422 `decode_failed` without a decodable video stream, `too_long` past the cap."""
    try:
        out = await run([FFPROBE, "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                         str(path)], PROBE_TIMEOUT_S)
        info = json.loads(out)
        streams = info.get("streams") or []
        video = next(s for s in streams if s.get("codec_type") == "video")
        duration = float(info.get("format", {}).get("duration") or video.get("duration") or 0)
        width, height = int(video["width"]), int(video["height"])
    except (TimeoutError, RuntimeError, StopIteration, KeyError, ValueError, TypeError):
        raise ApiError(422, "decode_failed", "视频文件已损坏或无法解析") from None
    if duration <= 0 or width <= 0 or height <= 0:
        raise ApiError(422, "decode_failed", "视频文件已损坏或无法解析")
    if duration > max_seconds:
        raise ApiError(422, "too_long", f"视频不能超过 {int(max_seconds // 60)} 分钟")
    return Probe(duration, width, height, any(s.get("codec_type") == "audio" for s in streams))


def scale_filter(max_side: int) -> str:
    """Scale so that the short side is at most `max_side` (never up), even dimensions for H.264."""
    return (f"scale='if(gte(iw,ih),-2,min({max_side},iw))':'if(gte(iw,ih),min({max_side},ih),-2)',"
            "format=yuv420p")


def transcode_args(src: Path, dst: Path, max_side: int, has_audio: bool) -> list[str]:
    """The FFmpeg command of the mobile rendition (H.264 main + AAC, `+faststart` MP4)."""
    audio = ["-map", "0:a:0", "-c:a", "aac", "-b:a", "96k", "-ac", "2"] if has_audio else ["-an"]
    return [FFMPEG, "-nostdin", "-v", "error", "-y", "-i", str(src), "-map", "0:v:0", *audio,
            "-vf", scale_filter(max_side), "-c:v", "libx264", "-profile:v", "main", "-preset", "veryfast",
            "-crf", "26", "-maxrate", "1500k", "-bufsize", "3000k", "-r", "30", "-threads", "2",
            "-movflags", "+faststart", "-sn", "-dn", "-map_metadata", "-1", str(dst)]


def poster_args(src: Path, dst: Path, at_s: float) -> list[str]:
    """The FFmpeg command of the poster frame (JPEG) at `at_s` seconds."""
    return [FFMPEG, "-nostdin", "-v", "error", "-y", "-ss", f"{at_s:.2f}", "-i", str(src), "-frames:v", "1",
            "-q:v", "4", "-f", "image2", "-c:v", "mjpeg", str(dst)]


async def transcode(src: Path, workdir: Path, probed: Probe, max_side: int, timeout_s: float) -> tuple[Path, Path]:
    """Transcode `src` into `workdir`: (the MP4, the poster JPEG)."""
    out, poster = workdir / "out.mp4", workdir / "poster.jpg"
    await run(transcode_args(src, out, max_side, probed.has_audio), timeout_s)
    await run(poster_args(out, poster, min(1.0, probed.duration_s / 2)), PROBE_TIMEOUT_S)
    if not poster.exists() or poster.stat().st_size == 0:
        await run(poster_args(out, poster, 0.0), PROBE_TIMEOUT_S)
    return out, poster
