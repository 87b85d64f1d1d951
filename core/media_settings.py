"""The media package's settings and the field types every settings model shares (core/settings.py)."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MB = 1024 * 1024
# Variables are matched by exact name; an empty variable counts as unset.
_CONFIG = SettingsConfigDict(case_sensitive=True, env_ignore_empty=True, frozen=True, extra="ignore",
                             populate_by_name=True)
Port = Annotated[int, Field(ge=1, le=65535)]
Count = Annotated[int, Field(ge=1)]
Seconds = Annotated[float, Field(gt=0)]
Delay = Annotated[float, Field(ge=0)]  # 0 = never, where the README says so


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class MediaSettings(BaseSettings):
    """Limits and options of the media package (uploads, voice, calls, co-browse)."""

    model_config = _CONFIG

    image_bytes: Count = Field(10 * MB, alias="MEDIA_IMAGE_MAX_BYTES")
    image_pixels: Count = Field(40_000_000, alias="MEDIA_IMAGE_MAX_PIXELS")
    image_max_side: Count = Field(4096, alias="MEDIA_IMAGE_MAX_SIDE")
    thumb_side: Count = Field(320, alias="MEDIA_THUMB_SIDE")
    voice_bytes: Count = Field(5 * MB, alias="MEDIA_VOICE_MAX_BYTES")
    voice_seconds: Seconds = Field(60.0, alias="MEDIA_VOICE_MAX_S")
    pdf_bytes: Count = Field(20 * MB, alias="MEDIA_PDF_MAX_BYTES")
    upload_concurrency: Count = Field(default_factory=lambda: max(1, os.cpu_count() or 1),
                                      alias="MEDIA_UPLOAD_CONCURRENCY")
    # every call and co-browse event of one socket (co-browse sessions also have their own buckets below)
    events_per_s: Seconds = Field(60.0, alias="MEDIA_EVENTS_PER_S")
    cobrowse_batch_bytes: Count = Field(1 * MB, alias="COBROWSE_BATCH_MAX_BYTES")
    cobrowse_bytes_per_s: Count = Field(512 * 1024, alias="COBROWSE_BYTES_PER_S")
    cobrowse_batches_per_s: Seconds = Field(20.0, alias="COBROWSE_BATCHES_PER_S")
    cobrowse_pointer_per_s: Seconds = Field(30.0, alias="COBROWSE_POINTER_PER_S")
    cobrowse_consent_timeout_s: Seconds = Field(60.0, alias="COBROWSE_CONSENT_TIMEOUT_S")
    call_ring_timeout_s: Seconds = Field(45.0, alias="CALL_RING_TIMEOUT_S")
    call_connect_timeout_s: Seconds = Field(30.0, alias="CALL_CONNECT_TIMEOUT_S")
    call_max_s: Seconds = Field(3600.0, alias="CALL_MAX_S")
    media_forward_timeout_s: Seconds = Field(10.0, alias="MEDIA_FORWARD_TIMEOUT_S")
    call_recording: bool = Field(True, alias="CALL_RECORDING")
    # STUN/TURN servers: a JSON list of RTCIceServer objects (docs/media.md)
    ice_servers: Annotated[list[dict], NoDecode] = Field(default_factory=list, alias="ICE_SERVERS")
    # pin the server's ICE host candidates to these addresses (a comma list); empty: aioice's choice
    ice_host_addresses: Annotated[list[str], NoDecode] = Field(default_factory=list,
                                                               alias="MEDIA_ICE_HOST_ADDRESSES")

    # video guides of knowledge-base articles (media/video*.py)
    video_bytes: Count = Field(200 * MB, alias="MEDIA_VIDEO_MAX_BYTES")
    video_seconds: Seconds = Field(600.0, alias="MEDIA_VIDEO_MAX_S")
    video_captions_bytes: Count = Field(256 * 1024, alias="MEDIA_VIDEO_CAPTIONS_MAX_BYTES")
    video_max_side: Count = Field(720, alias="MEDIA_VIDEO_MAX_SIDE")  # the short side: 720p
    video_concurrency: Count = Field(1, alias="MEDIA_VIDEO_CONCURRENCY")
    video_transcode_timeout_s: Seconds = Field(1800.0, alias="MEDIA_VIDEO_TRANSCODE_TIMEOUT_S")
    video_url_ttl_s: Count = Field(7 * 86400, alias="MEDIA_VIDEO_URL_TTL_S")  # links in answer cards

    @property
    def max_upload_bytes(self) -> int:
        return max(self.image_bytes, self.voice_bytes, self.pdf_bytes)

    @field_validator("ice_servers", mode="before")
    @classmethod
    def _parse_ice_servers(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"must be JSON ({exc.msg} at character {exc.pos})") from None
        if not isinstance(value, list) or not all(isinstance(s, dict) and "urls" in s for s in value):
            raise ValueError("must be a JSON list of objects with 'urls'")
        return value

    _split_addresses = field_validator("ice_host_addresses", mode="before")(_comma_list)
