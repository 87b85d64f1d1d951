"""Validation of uploaded images, voice and PDF files (pure logic, generated samples)."""

from __future__ import annotations

import io

import av
import pytest
from PIL import Image

from core.errors import ApiError
from core.settings import get_settings
from media.files import process_pdf
from media.images import process_image
from media.ranges import RangeNotSatisfiable, parse_range
from media.sniff import sniff
from media.uploads import prepare
from media.voice import process_voice
from tests.unit.media_samples import jpeg_with_gps, minimal_pdf, png_bomb, png_bytes, tone


def refused(fn, *args) -> ApiError:
    with pytest.raises(ApiError) as info:
        fn(*args)
    return info.value


# --- images -----------------------------------------------------------------------------------


def test_png_reencoded_with_thumbnail():
    result = process_image(png_bytes((800, 600)))
    assert result.mime == "image/jpeg" and (result.width, result.height) == (800, 600)
    thumb = Image.open(io.BytesIO(result.thumb))
    assert thumb.format == "JPEG" and max(thumb.size) == get_settings().media.thumb_side


def test_transparent_png_stays_png():
    result = process_image(png_bytes((40, 40), mode="RGBA"))
    assert result.mime == "image/png"
    assert Image.open(io.BytesIO(result.data)).mode == "RGBA"


def test_exif_and_gps_stripped_and_orientation_applied():
    data = jpeg_with_gps((120, 80))
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the sample really has GPS
    result = process_image(data)
    out = Image.open(io.BytesIO(result.data))
    exif = out.getexif()
    assert len(exif) == 0 and not exif.get_ifd(0x8825)
    assert b"Exif" not in result.data[:4096] and b"Camera Maker" not in result.data
    assert out.size == (80, 120)  # orientation 6 was applied before stripping


def test_fake_png_that_is_text_refused():
    err = refused(process_image, b"this is not a picture, just text pretending to be one.png")
    assert (err.code, err.status) == ("unsupported_type", 415)


def test_png_magic_with_garbage_refused():
    err = refused(process_image, b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 50)
    assert err.code == "decode_failed" and err.status == 422


def test_truncated_jpeg_refused():
    data = jpeg_with_gps((400, 300))
    err = refused(process_image, data[: len(data) // 2])
    assert err.code == "decode_failed"


def test_decompression_bomb_refused_before_decoding():
    data = png_bomb(20_000)  # 400 Mpx declared in about 50 KB
    assert len(data) < 100_000
    err = refused(process_image, data)
    assert (err.code, err.status) == ("image_bomb", 422)


def test_image_too_large_in_bytes():
    limits = get_settings().media.model_copy(update={"image_bytes": 1000})
    err = refused(process_image, png_bytes((300, 300)) + b"\x00" * 2000, limits)
    assert (err.code, err.status) == ("too_large", 413)


def test_huge_image_downscaled_to_max_side():
    limits = get_settings().media.model_copy(update={"image_max_side": 500})
    result = process_image(png_bytes((2000, 1000)), limits)
    assert (result.width, result.height) == (500, 250)


@pytest.mark.parametrize("fmt", ["WEBP", "GIF"])
def test_webp_and_gif_accepted(fmt):
    out = io.BytesIO()
    Image.new("RGB", (50, 30), (0, 255, 0)).save(out, fmt)
    result = process_image(out.getvalue())
    assert result.source_format == fmt.lower() and result.mime in ("image/jpeg", "image/png")


def test_heic_refused_as_unsupported():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 100
    assert sniff(heic) is None
    assert refused(prepare, heic).code == "unsupported_type"


# --- voice ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["wav", "mp3", "m4a", "aac", "ogg", "webm", "amr"])
def test_voice_formats_transcoded_to_m4a(fmt):
    result = process_voice(tone(fmt, 2.0))
    assert result.mime == "audio/mp4"
    assert abs(result.duration_s - 2.0) < 0.15
    with av.open(io.BytesIO(result.data)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "aac"
        decoded = sum(frame.samples for frame in container.decode(stream))
        assert abs(decoded / stream.codec_context.sample_rate - 2.0) < 0.25  # + encoder priming


def test_voice_over_sixty_seconds_refused():
    err = refused(process_voice, tone("ogg", 61.5))
    assert (err.code, err.status) == ("too_long", 422)


def test_voice_exactly_sixty_seconds_accepted():
    assert abs(process_voice(tone("wav", 60.0)).duration_s - 60.0) < 0.1


def test_corrupt_voice_refused():
    data = tone("m4a", 1.0)
    err = refused(process_voice, data[:40] + b"\x00" * 500)
    assert err.code == "decode_failed"


def test_fake_silk_refused():
    # SILK is accepted since issue 15 (tests/unit/test_voice_silk.py); a SILK header on garbage is not
    err = refused(prepare, b"\x02#!SILK_V3" + b"\x00" * 100)
    assert (err.code, err.status) == ("decode_failed", 422)


# --- pdf and routing by content ---------------------------------------------------------------


def test_pdf_accepted():
    result = process_pdf(minimal_pdf())
    assert result.mime == "application/pdf" and result.pages == 1


def test_pdf_without_trailer_refused():
    assert refused(process_pdf, minimal_pdf()[:-10]).code == "decode_failed"


def test_pdf_with_javascript_refused():
    bad = minimal_pdf(b"4 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n")
    assert refused(process_pdf, bad).code == "pdf_active_content"


def test_prepare_routes_by_bytes_not_name():
    assert prepare(minimal_pdf())["kind"] == "file"
    assert prepare(png_bytes())["kind"] == "image"
    assert prepare(tone("wav", 0.5))["kind"] == "voice"
    assert refused(prepare, b"").code == "empty_file"
    assert refused(prepare, b"MZ\x90\x00 windows exe").code == "unsupported_type"


# --- ranges -----------------------------------------------------------------------------------


def test_parse_range():
    assert parse_range(None, 100) is None
    assert parse_range("bytes=0-9", 100) == (0, 9)
    assert parse_range("bytes=90-", 100) == (90, 99)
    assert parse_range("bytes=-10", 100) == (90, 99)
    assert parse_range("bytes=50-500", 100) == (50, 99)
    assert parse_range("bytes=0-1,5-6", 100) is None  # multiple ranges: served whole
    assert parse_range("items=0-1", 100) is None
    with pytest.raises(RangeNotSatisfiable):
        parse_range("bytes=100-", 100)
