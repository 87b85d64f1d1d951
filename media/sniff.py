"""Recognise an upload from its first bytes (magic numbers), never from its name."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ApiError

IMAGE, VOICE, FILE = "image", "voice", "file"


@dataclass(frozen=True)
class Sniffed:
    kind: str  # image | voice | file
    fmt: str  # png, jpeg, webp, gif, wav, mp3, aac, mp4, ogg, webm, amr, amr-wb, silk, pdf


_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}


def sniff(data: bytes) -> Sniffed | None:
    """The kind and format the bytes announce, or None when unrecognised (or a format we refuse)."""
    head = data[:64]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed(IMAGE, "png")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed(IMAGE, "jpeg")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed(IMAGE, "webp")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed(IMAGE, "gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed(VOICE, "wav")
    if head.startswith(b"#!SILK_V3") or head.startswith(b"\x02#!SILK_V3"):
        return Sniffed(VOICE, "silk")  # WeChat voice messages carry the leading 0x02
    if head.startswith(b"#!AMR-WB\n"):
        return Sniffed(VOICE, "amr-wb")
    if head.startswith(b"#!AMR\n"):
        return Sniffed(VOICE, "amr")
    if head.startswith(b"OggS"):
        return Sniffed(VOICE, "ogg")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed(VOICE, "webm")
    if head[4:8] == b"ftyp":
        if head[8:12] in _HEIF_BRANDS:
            return None  # HEIC/AVIF photos: refused, the client converts to JPEG
        return Sniffed(VOICE, "mp4")
    if head.startswith(b"ID3"):
        return Sniffed(VOICE, "mp3")
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0:
        layer = (head[1] >> 1) & 0x03
        return Sniffed(VOICE, "aac" if layer == 0 else "mp3")  # ADTS has layer 00
    if head.startswith(b"%PDF-"):
        return Sniffed(FILE, "pdf")
    return None


def check_size(data: bytes, max_bytes: int, noun: str) -> None:
    """Refuse (413) an upload larger than max_bytes; noun names it in the message, e.g. 图片."""
    if len(data) > max_bytes:
        raise ApiError(413, "too_large", f"{noun}不能超过 {max_bytes // (1024 * 1024)} MB")


def expect_kind(data: bytes, kind: str, max_bytes: int, noun: str, refusal: str) -> Sniffed:
    """Check an upload's size, then that its bytes are of this kind (415 with refusal when not)."""
    check_size(data, max_bytes, noun)
    sniffed = sniff(data)
    if sniffed is None or sniffed.kind != kind:
        raise ApiError(415, "unsupported_type", refusal)
    return sniffed
