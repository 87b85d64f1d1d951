"""PDF uploads: header and trailer checks, size limit, refusal of active content."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.errors import ApiError
from core.settings import MediaSettings, get_settings
from media.sniff import FILE, check_size

PDF_MIME = "application/pdf"
# Names of PDF features that run code or carry files; refused (best effort: compressed object
# streams can hide them, which is why downloads are also served as attachments with nosniff).
_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")


@dataclass(frozen=True)
class ProcessedFile:
    data: bytes
    mime: str
    pages: int | None

    def stored(self) -> dict[str, Any]:
        """The fields MediaStore.put takes for this file."""
        return {"kind": FILE, "mime": self.mime, "data": self.data, "extra": {"pages": self.pages}}


def process_pdf(data: bytes, limits: MediaSettings | None = None) -> ProcessedFile:
    """Validate an uploaded PDF; raise ApiError when it is refused."""
    limits = limits or get_settings().media
    check_size(data, limits.pdf_bytes, "文件")
    if not data.startswith(b"%PDF-"):
        raise ApiError(415, "unsupported_type", "仅支持 PDF 文件")
    if b"%%EOF" not in data[-2048:]:
        raise ApiError(422, "decode_failed", "PDF 文件不完整或已损坏，请重新导出后上传")
    if _ACTIVE.search(data):
        raise ApiError(422, "pdf_active_content", "PDF 中含有脚本或附件，出于安全原因无法接收")
    pages = len(re.findall(rb"/Type\s*/Page\b", data)) or None
    return ProcessedFile(data=data, mime=PDF_MIME, pages=pages)
