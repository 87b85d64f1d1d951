"""HTTP Range header parsing (RFC 9110, single byte range)."""

from __future__ import annotations

import re

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    """The requested range lies outside the resource."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end) inclusive for a single satisfiable range; None to serve the whole resource.

    Multiple ranges and malformed headers are ignored (served whole), as the RFC allows.
    Raises RangeNotSatisfiable when the range starts past the end.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if not match:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        suffix = int(last)
        if suffix == 0:
            raise RangeNotSatisfiable
        return max(0, size - suffix), size - 1
    start = int(first)
    if start >= size:
        raise RangeNotSatisfiable
    end = int(last) if last else size - 1
    if end < start:
        return None
    return start, min(end, size - 1)
