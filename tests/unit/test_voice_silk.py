"""WeChat SILK v3 and AMR-WB voice messages: real files from the encoders, decoded and transcoded to M4A."""

from __future__ import annotations

import io
import struct

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import ApiError
from media.silk import FRAME_S, packets
from media.sniff import sniff
from media.uploads import prepare
from media.voice import process_voice
from tests.unit.media_samples import amr_wb, silk, tone


def refused(fn, *args) -> ApiError:
    with pytest.raises(ApiError) as info:
        fn(*args)
    return info.value


def decoded(m4a: bytes) -> np.ndarray:
    """The transcoded file's samples, decoded again by PyAV (what a player gets)."""
    with av.open(io.BytesIO(m4a)) as src:
        stream = src.streams.audio[0]
        assert stream.codec_context.name == "aac"
        return np.concatenate([f.to_ndarray().reshape(-1) for f in src.decode(stream)])


@pytest.mark.parametrize("wechat", [True, False], ids=["wechat-0x02", "plain-silk-v3"])
def test_silk_transcoded_to_m4a(wechat):
    data = silk(2.0, wechat=wechat)
    assert data.startswith(b"\x02#!SILK_V3" if wechat else b"#!SILK_V3")
    assert sniff(data).fmt == "silk"
    result = process_voice(data)
    assert result.mime == "audio/mp4" and result.source_format == "silk"
    assert abs(result.duration_s - 2.0) < 0.1
    samples = decoded(result.data)
    rms = float(np.sqrt(np.mean(samples**2)))
    assert 0.02 < rms < 0.5  # the voice came through: neither silence nor clipping noise


def test_silk_recorded_at_16k_decodes_at_its_length():
    result = process_voice(silk(3.0, rate=16_000))
    assert abs(result.duration_s - 3.0) < 0.1


def test_silk_with_end_marker_accepted():
    data = silk(1.0) + struct.pack("<h", -1)
    assert abs(process_voice(data).duration_s - 1.0) < 0.1


def test_silk_upload_prepared_as_voice():
    stored = prepare(silk(1.0))
    assert stored["kind"] == "voice" and stored["mime"] == "audio/mp4"
    assert stored["extra"]["source_format"] == "silk"


def test_silk_over_sixty_seconds_refused_before_decoding():
    data = silk(61.5)
    assert len(packets(data)) * FRAME_S > 61
    err = refused(process_voice, data)
    assert (err.code, err.status) == ("too_long", 422)


def test_truncated_silk_refused():
    data = silk(1.0)
    err = refused(process_voice, data[: len(data) // 2 + 1])
    assert (err.code, err.status) == ("decode_failed", 422)


@pytest.mark.parametrize(
    "fake",
    [
        b"\x02#!SILK_V3",  # header only
        b"\x02#!SILK_V3" + b"\x00" * 200,  # zero-length packets
        b"#!SILK_V3" + struct.pack("<h", -7) + b"\x01" * 50,  # a negative length the codec would trust
        b"#!SILK_V3" + struct.pack("<h", 30000) + b"\x01" * 50,  # a packet longer than any frame
        b"\x02#!SILK_V3" + bytes(range(256)) * 8,  # noise after the header
    ],
    ids=["header-only", "zero-packets", "negative-length", "oversized-packet", "noise"],
)
def test_fake_silk_refused(fake):
    err = refused(process_voice, fake)
    assert (err.code, err.status) == ("decode_failed", 422)


def test_silk_named_file_of_other_bytes_refused():
    assert refused(prepare, b"#!SILK_V2" + b"\x00" * 100).code == "unsupported_type"
    assert refused(prepare, b"\x03#!SILK_V3" + b"\x00" * 100).code == "unsupported_type"


def test_amr_wb_transcoded_to_m4a():
    data = amr_wb(2.0)
    assert data.startswith(b"#!AMR-WB\n") and sniff(data).fmt == "amr-wb"
    result = process_voice(data)
    assert result.mime == "audio/mp4" and result.source_format == "amr-wb"
    assert abs(result.duration_s - 2.0) < 0.1
    assert float(np.sqrt(np.mean(decoded(result.data) ** 2))) > 0.02


def test_amr_nb_and_wb_both_accepted():
    assert process_voice(tone("amr", 1.0)).source_format == "amr"
    assert process_voice(amr_wb(1.0, mode=2)).source_format == "amr-wb"


@pytest.mark.parametrize("cut", [9, 12], ids=["header-only", "first-frame-cut"])
def test_truncated_amr_wb_refused(cut):
    err = refused(process_voice, amr_wb(1.0)[:cut])
    assert (err.code, err.status) == ("decode_failed", 422)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(min_size=0, max_size=300), min_size=0, max_size=40), st.booleans(), st.binary(max_size=3))
def test_any_bytes_after_a_silk_header_are_decoded_or_refused(payloads, wechat, tail):
    """Random packets (well-framed or not) never crash the codec: a 422 or a playable M4A."""
    data = (b"\x02" if wechat else b"") + b"#!SILK_V3"
    data += b"".join(struct.pack("<h", len(p)) + p for p in payloads) + tail
    try:
        result = process_voice(data)
    except ApiError as exc:
        assert exc.status == 422 and exc.code in ("decode_failed", "too_long")
    else:
        assert result.mime == "audio/mp4" and result.duration_s > 0
