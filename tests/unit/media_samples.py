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
