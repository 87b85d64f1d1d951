"""Limits of the media package, read from environment variables with safe defaults."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    image_bytes: int
    image_pixels: int
    image_max_side: int
    thumb_side: int
    voice_bytes: int
    voice_seconds: float
    pdf_bytes: int
    upload_concurrency: int
    cobrowse_batch_bytes: int
    cobrowse_bytes_per_s: int
    cobrowse_batches_per_s: float
    cobrowse_pointer_per_s: float
    cobrowse_consent_timeout_s: float
    call_ring_timeout_s: float
    call_connect_timeout_s: float
    call_max_s: float
    media_forward_timeout_s: float = 10.0

    @property
    def max_upload_bytes(self) -> int:
        return max(self.image_bytes, self.voice_bytes, self.pdf_bytes)


@lru_cache(maxsize=1)
def get_limits() -> Limits:
    """The process-wide limits (read once from the environment)."""
    return Limits(
        image_bytes=_int("MEDIA_IMAGE_MAX_BYTES", 10 * MB),
        image_pixels=_int("MEDIA_IMAGE_MAX_PIXELS", 40_000_000),
        image_max_side=_int("MEDIA_IMAGE_MAX_SIDE", 4096),
        thumb_side=_int("MEDIA_THUMB_SIDE", 320),
        voice_bytes=_int("MEDIA_VOICE_MAX_BYTES", 5 * MB),
        voice_seconds=_float("MEDIA_VOICE_MAX_S", 60.0),
        pdf_bytes=_int("MEDIA_PDF_MAX_BYTES", 20 * MB),
        upload_concurrency=_int("MEDIA_UPLOAD_CONCURRENCY", max(1, os.cpu_count() or 1)),
        cobrowse_batch_bytes=_int("COBROWSE_BATCH_MAX_BYTES", 1 * MB),
        cobrowse_bytes_per_s=_int("COBROWSE_BYTES_PER_S", 512 * 1024),
        cobrowse_batches_per_s=_float("COBROWSE_BATCHES_PER_S", 20.0),
        cobrowse_pointer_per_s=_float("COBROWSE_POINTER_PER_S", 30.0),
        cobrowse_consent_timeout_s=_float("COBROWSE_CONSENT_TIMEOUT_S", 60.0),
        call_ring_timeout_s=_float("CALL_RING_TIMEOUT_S", 45.0),
        call_connect_timeout_s=_float("CALL_CONNECT_TIMEOUT_S", 30.0),
        call_max_s=_float("CALL_MAX_S", 3600.0),
        media_forward_timeout_s=_float("MEDIA_FORWARD_TIMEOUT_S", 10.0),
    )


def ice_servers() -> list[dict]:
    """STUN/TURN servers from env `ICE_SERVERS` (a JSON list of RTCIceServer dicts); [] when unset."""
    raw = os.environ.get("ICE_SERVERS", "").strip()
    if not raw:
        return []
    value = json.loads(raw)
    if not isinstance(value, list) or not all(isinstance(s, dict) and "urls" in s for s in value):
        raise ValueError("ICE_SERVERS must be a JSON list of objects with 'urls'")
    return value
