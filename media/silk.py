"""WeChat voice messages: SILK v3 (with or without WeChat's leading 0x02 byte) decoded to WAV.

The file is `[0x02]#!SILK_V3` then packets, each a little-endian int16 payload length and the payload
(one 20 ms frame as WeChat records); a length of -1 ends the stream. The packets are walked and
checked here before the codec sees them: the codec (`pysilk`, from the silk-python package) trusts
the lengths, and the packet count bounds the decoded duration before anything is decoded.
"""

from __future__ import annotations

import io
import struct
import wave

import pysilk

from core.errors import ApiError

MAGIC = b"#!SILK_V3"
WECHAT_MAGIC = b"\x02" + MAGIC
FRAME_S = 0.02  # one packet decodes to one 20 ms frame
DECODE_RATE = 24_000  # WeChat records SILK at 24 kHz; the decoder resamples anything else to this
_MAX_PACKET = DECODE_RATE * 40 // 1000  # the codec's bound on one packet's bytes (20 ms of 16-bit PCM)


def is_silk(head: bytes) -> bool:
    """Whether the bytes start like a SILK v3 file (plain or WeChat's)."""
    return head.startswith(MAGIC) or head.startswith(WECHAT_MAGIC)


def _corrupt() -> ApiError:
    return ApiError(422, "decode_failed", "语音已损坏或格式不受支持，无法播放")


def packets(data: bytes) -> list[bytes]:
    """The payloads of a SILK file, checked; raise decode_failed on a malformed stream."""
    pos = len(WECHAT_MAGIC) if data.startswith(WECHAT_MAGIC) else len(MAGIC)
    out: list[bytes] = []
    while len(data) - pos >= 2:
        (size,) = struct.unpack_from("<h", data, pos)
        pos += 2
        if size == -1:
            break
        if size <= 0 or size > _MAX_PACKET or pos + size > len(data):
            raise _corrupt()
        out.append(data[pos : pos + size])
        pos += size
    if not out:
        raise ApiError(422, "decode_failed", "语音为空或已损坏，无法播放")
    return out


def silk_to_wav(data: bytes, max_seconds: float) -> bytes:
    """Decode a SILK file to 16-bit mono WAV; refuse it (too_long) before decoding when over max_seconds."""
    payloads = packets(data)
    if len(payloads) * FRAME_S > max_seconds + 0.5:
        raise ApiError(422, "too_long", f"语音不能超过 {int(max_seconds)} 秒")
    stream = io.BytesIO()
    stream.write(MAGIC)
    for payload in payloads:
        stream.write(struct.pack("<h", len(payload)))
        stream.write(payload)
    stream.seek(0)
    pcm = io.BytesIO()
    try:
        pysilk.decode(stream, pcm, DECODE_RATE)
    except pysilk.SilkError as exc:
        raise _corrupt() from exc
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(DECODE_RATE)
        wav.writeframes(pcm.getvalue())
    return out.getvalue()
