"""Image uploads: decode safely with Pillow, strip metadata by re-encoding, make a thumbnail."""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from core.errors import ApiError
from core.settings import MediaSettings, get_settings
from media.sniff import IMAGE, expect_kind

log = logging.getLogger(__name__)
ImageFile.LOAD_TRUNCATED_IMAGES = False
_PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    mime: str
    width: int
    height: int
    thumb: bytes
    thumb_mime: str
    source_format: str

    def stored(self) -> dict[str, Any]:
        """The fields MediaStore.put takes for this image."""
        return {
            "kind": IMAGE,
            "mime": self.mime,
            "data": self.data,
            "thumb": self.thumb,
            "thumb_mime": self.thumb_mime,
            "extra": {"width": self.width, "height": self.height, "source_format": self.source_format},
        }


def _refuse_bomb() -> ApiError:
    return ApiError(422, "image_bomb", "图片尺寸异常，无法处理，请截图后重新发送")


def _decode(data: bytes, fmt: str, limits: MediaSettings) -> Image.Image:
    Image.MAX_IMAGE_PIXELS = limits.image_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[fmt]])
            width, height = img.size
            if width * height > limits.image_pixels or width <= 0 or height <= 0:
                raise _refuse_bomb()
            img.seek(0)  # first frame only for GIF/animated WebP
            img.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _refuse_bomb() from exc
        except ApiError:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ApiError(422, "decode_failed", "图片已损坏或格式不正确，无法打开") from exc
    return img


def _flatten(img: Image.Image) -> tuple[Image.Image, bool]:
    """RGB or RGBA copy without metadata; True when it has transparency."""
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    clean = img.convert("RGBA" if has_alpha else "RGB")
    icc = img.info.get("icc_profile")
    clean.info = {"icc_profile": icc} if icc else {}  # drops EXIF, XMP, comments, text chunks
    return clean, has_alpha


def _encode(img: Image.Image, has_alpha: bool) -> tuple[bytes, str]:
    out = io.BytesIO()
    if has_alpha:
        img.save(out, "PNG", icc_profile=img.info.get("icc_profile"))
        return out.getvalue(), "image/png"
    img.save(
        out, "JPEG", quality=85, optimize=True, progressive=True, icc_profile=img.info.get("icc_profile")
    )
    return out.getvalue(), "image/jpeg"


def _thumbnail(img: Image.Image, side: int) -> bytes:
    thumb = img.copy()
    thumb.thumbnail((side, side), Image.Resampling.LANCZOS)
    if thumb.mode == "RGBA":
        background = Image.new("RGB", thumb.size, (255, 255, 255))
        background.paste(thumb, mask=thumb.getchannel("A"))
        thumb = background
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=80)
    return out.getvalue()


def process_image(data: bytes, limits: MediaSettings | None = None) -> ProcessedImage:
    """Validate and re-encode an uploaded image; raise ApiError when it is refused."""
    limits = limits or get_settings().media
    sniffed = expect_kind(data, IMAGE, limits.image_bytes, "图片", "仅支持 PNG、JPEG、WebP、GIF 格式的图片")
    img = _decode(data, sniffed.fmt, limits)
    try:
        img = ImageOps.exif_transpose(img)  # keep the photo upright before the EXIF goes
    except Exception:
        log.debug("EXIF orientation ignored", exc_info=True)
    clean, has_alpha = _flatten(img)
    if max(clean.size) > limits.image_max_side:
        clean.thumbnail((limits.image_max_side, limits.image_max_side), Image.Resampling.LANCZOS)
    encoded, mime = _encode(clean, has_alpha)
    return ProcessedImage(
        data=encoded,
        mime=mime,
        width=clean.width,
        height=clean.height,
        thumb=_thumbnail(clean, limits.thumb_side),
        thumb_mime="image/jpeg",
        source_format=sniffed.fmt,
    )
