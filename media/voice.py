"""Voice messages: decode what phones, mini-programs and browsers record; transcode to AAC in M4A.

WeChat's SILK v3 is decoded by media/silk.py first; every other format by PyAV (FFmpeg).

AAC-LC in an MP4 (M4A) container plays in Chromium, Safari/iOS, Android WebView and the WeChat and
Alipay mini-program audio players, so every client gets one format.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import av

from core.errors import ApiError
from core.settings import MediaSettings, get_settings
from media.silk import silk_to_wav
from media.sniff import VOICE, expect_kind

OUT_RATE = 24_000
OUT_BITRATE = 40_000
OUT_MIME = "audio/mp4"
_DEMUXERS = {
    "wav": "wav",
    "mp3": "mp3",
    "aac": "aac",
    "mp4": "mov",
    "ogg": "ogg",
    "webm": "matroska",
    "amr": "amr",
    "amr-wb": "amr",
}


@dataclass(frozen=True)
class ProcessedVoice:
    data: bytes
    mime: str
    duration_s: float
    source_format: str

    def stored(self) -> dict[str, Any]:
        """The fields MediaStore.put takes for this voice message."""
        extra = {"duration_s": self.duration_s, "source_format": self.source_format}
        return {"kind": VOICE, "mime": self.mime, "data": self.data, "extra": extra}


def _too_long(limits: MediaSettings) -> ApiError:
    return ApiError(422, "too_long", f"语音不能超过 {int(limits.voice_seconds)} 秒")


def _transcode(data: bytes, fmt: str, limits: MediaSettings) -> tuple[bytes, float]:
    max_samples = int((limits.voice_seconds + 0.5) * OUT_RATE)  # half a second of slack for padding
    out_buf = io.BytesIO()
    samples = 0
    with av.open(io.BytesIO(data), mode="r", format=_DEMUXERS[fmt]) as src:
        if not src.streams.audio:
            raise ApiError(422, "decode_failed", "文件中没有可播放的声音")
        with av.open(out_buf, mode="w", format="mp4") as dst:
            out = dst.add_stream("aac", rate=OUT_RATE, layout="mono")
            out.bit_rate = OUT_BITRATE
            resampler = av.AudioResampler(format="fltp", layout="mono", rate=OUT_RATE)
            for frame in src.decode(src.streams.audio[0]):
                frame.pts = None
                for chunk in resampler.resample(frame):
                    samples += chunk.samples
                    if samples > max_samples:
                        raise _too_long(limits)
                    dst.mux(out.encode(chunk))
            for chunk in resampler.resample(None):
                samples += chunk.samples
                dst.mux(out.encode(chunk))
            dst.mux(out.encode(None))
    if samples == 0:
        raise ApiError(422, "decode_failed", "语音为空或已损坏，无法播放")
    if samples > max_samples:
        raise _too_long(limits)
    return out_buf.getvalue(), round(samples / OUT_RATE, 2)


def process_voice(data: bytes, limits: MediaSettings | None = None) -> ProcessedVoice:
    """Validate and transcode a voice message; raise ApiError when it is refused."""
    limits = limits or get_settings().media
    sniffed = expect_kind(
        data, VOICE, limits.voice_bytes, "语音文件", "仅支持 AAC、M4A、MP3、WAV、Opus、AMR、SILK 格式的语音"
    )
    fmt = sniffed.fmt
    if fmt == "silk":  # WeChat voice: the SILK codec decodes, PyAV transcodes as for any WAV
        data, fmt = silk_to_wav(data, limits.voice_seconds), "wav"
    try:
        encoded, duration = _transcode(data, fmt, limits)
    except ApiError:
        raise
    except (av.FFmpegError, ValueError, IndexError, EOFError) as exc:
        raise ApiError(422, "decode_failed", "语音已损坏或格式不受支持，无法播放") from exc
    return ProcessedVoice(data=encoded, mime=OUT_MIME, duration_s=duration, source_format=sniffed.fmt)
