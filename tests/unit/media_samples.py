"""Sample media generated on the fly for the media tests (no files checked in)."""

from __future__ import annotations

import io
import math

import av
import numpy as np
from PIL import Image


def png_bytes(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    img = Image.new(mode, size, (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps(size: tuple[int, int] = (120, 80)) -> bytes:
    img = Image.new("RGB", size, (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    gps = {1: "N", 2: (31.0, 13.0, 50.0), 3: "E", 4: (121.0, 28.0, 30.0)}
    exif[0x8825] = gps  # GPSInfo IFD
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png_bomb(side: int = 20_000) -> bytes:
    """A tiny PNG file (a few KB) that declares side x side pixels."""
    img = Image.new("1", (side, side), 0)
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


def tone(fmt: str, seconds: float = 2.0, rate: int = 16_000) -> bytes:
    """A sine tone encoded by PyAV: wav, mp3, m4a, ogg (opus), webm (opus), amr, aac (ADTS)."""
    spec = {
        "wav": ("wav", "pcm_s16le", "s16", rate),
        "mp3": ("mp3", "libmp3lame", "fltp", 16_000),
        "m4a": ("mp4", "aac", "fltp", rate),
        "aac": ("adts", "aac", "fltp", rate),
        "ogg": ("ogg", "libopus", "s16", 48_000),
        "webm": ("webm", "libopus", "s16", 48_000),
        "amr": ("amr", "libopencore_amrnb", "s16", 8_000),
    }[fmt]
    container_fmt, codec, sample_fmt, sr = spec
    buf = io.BytesIO()
    with av.open(buf, "w", format=container_fmt) as out:
        stream = out.add_stream(codec, rate=sr, layout="mono")
        if codec == "libopencore_amrnb":
            stream.bit_rate = 12_200
        total = int(seconds * sr)
        frame_size = 960 if "opus" in codec else 1024
        t = np.arange(total) / sr
        wave = 0.3 * np.sin(2 * math.pi * 440 * t)
        pos = 0
        while pos < total:
            piece = wave[pos : pos + frame_size]
            if sample_fmt == "s16":
                arr = (piece * 32767).astype(np.int16).reshape(1, -1)
            else:
                arr = piece.astype(np.float32).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(arr, format=sample_fmt, layout="mono")
            frame.sample_rate = sr
            frame.pts = pos
            for packet in stream.encode(frame):
                out.mux(packet)
            pos += frame_size
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def minimal_pdf(extra: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
        + extra
        + b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def speechlike_pcm(seconds: float = 2.0, rate: int = 24_000) -> np.ndarray:
    """Mono int16 PCM that moves like speech: a gliding voiced pitch with harmonics, syllable by syllable."""
    t = np.arange(int(seconds * rate)) / rate
    pitch = 140 + 40 * np.sin(2 * math.pi * 0.7 * t)  # Hz, a slow intonation
    phase = 2 * math.pi * np.cumsum(pitch) / rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 8))
    syllables = np.clip(np.sin(2 * math.pi * 3.0 * t), 0, None) ** 0.5  # ~6 syllables a second, pauses between
    return (0.25 * voiced * syllables / 2.6 * 32767).astype(np.int16)


def silk(seconds: float = 2.0, rate: int = 24_000, wechat: bool = True) -> bytes:
    """A SILK v3 file encoded by the SILK codec (silk-python) as WeChat records it (wechat: the 0x02 byte)."""
    import pysilk

    out = io.BytesIO()
    pcm = io.BytesIO(speechlike_pcm(seconds, rate).astype("<i2").tobytes())
    pysilk.encode(pcm, out, rate, 24_000, tencent=wechat)
    return out.getvalue()


def amr_wb(seconds: float = 2.0, mode: int = 8) -> bytes:
    """An AMR-WB (RFC 4867 storage format) file encoded by the VisualOn encoder (Debian libvo-amrwbenc0).

    FFmpeg here decodes AMR-WB but has no encoder, so the encoder library is called directly.
    """
    import ctypes
    import ctypes.util

    path = ctypes.util.find_library("vo-amrwbenc")
    assert path, "libvo-amrwbenc0 is missing (scripts/setup_env.sh installs it)"
    lib = ctypes.CDLL(path)
    lib.E_IF_init.restype = ctypes.c_void_p
    short_p, byte_p = ctypes.POINTER(ctypes.c_short), ctypes.POINTER(ctypes.c_ubyte)
    lib.E_IF_encode.argtypes = [ctypes.c_void_p, ctypes.c_int, short_p, byte_p, ctypes.c_int]
    lib.E_IF_exit.argtypes = [ctypes.c_void_p]
    pcm = speechlike_pcm(seconds, 16_000)
    state = lib.E_IF_init()
    out, frame_out = bytearray(b"#!AMR-WB\n"), (ctypes.c_ubyte * 64)()
    try:
        for pos in range(0, len(pcm) - 319, 320):  # 20 ms frames of 16 kHz
            frame = np.ascontiguousarray(pcm[pos : pos + 320])
            size = lib.E_IF_encode(state, mode, frame.ctypes.data_as(short_p), frame_out, 0)
            out += bytes(frame_out[:size])
    finally:
        lib.E_IF_exit(state)
    return bytes(out)
