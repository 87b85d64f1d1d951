"""The portal's RS256 verification keys: one PEM key, or a JWKS (file or URL) chosen by `kid`, with rotation.

A JWKS file is re-read when it changes; a JWKS URL is fetched again after `refresh_s`, or when a token
names a `kid` it does not hold (at most once per `min_reload_s`, so unknown kids cannot flood the
identity service). A fetch blocks for at most `timeout_s`; a failed one keeps the keys already known.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from pathlib import Path
from typing import Any

import jwt

log = logging.getLogger("bangban.auth")


class PortalKeys:
    def __init__(self, pem: str = "", jwks: str = "", refresh_s: float = 600.0, min_reload_s: float = 30.0,
                 timeout_s: float = 3.0) -> None:
        self.pem = pem
        self.jwks = jwks
        self.refresh_s, self.min_reload_s, self.timeout_s = refresh_s, min_reload_s, timeout_s
        self.keys: dict[str | None, Any] = {}
        self.loaded_at = 0.0  # monotonic time of the last load attempt
        self.version: object = None  # a file's (mtime, size) when last read

    @property
    def configured(self) -> bool:
        return bool(self.pem or self.jwks)

    def key_for(self, kid: str | None) -> Any | None:
        """The key that verifies a token with header `kid` (None: unknown, or no key configured)."""
        if not self.jwks:
            return self.pem or None
        self._refresh(kid)
        if kid is None and len(self.keys) == 1:
            return next(iter(self.keys.values()))
        return self.keys.get(kid)

    def _refresh(self, kid: str | None) -> None:
        since = time.monotonic() - self.loaded_at
        if self.jwks.startswith(("https://", "http://")):
            stale = since > self.refresh_s or (kid not in self.keys and since > self.min_reload_s)
            if stale or not self.loaded_at:
                self._load(self._fetch)
            return
        try:
            st = Path(self.jwks).stat()
        except OSError:
            log.warning("portal JWKS file %s is missing", self.jwks)
            return
        if (st.st_mtime_ns, st.st_size) != self.version:
            self.version = (st.st_mtime_ns, st.st_size)
            self._load(lambda: Path(self.jwks).read_text(encoding="utf-8"))

    def _fetch(self) -> str:
        with urllib.request.urlopen(self.jwks, timeout=self.timeout_s) as resp:  # noqa: S310 - configured URL
            return resp.read(1_000_000).decode("utf-8")

    def _load(self, read) -> None:
        self.loaded_at = time.monotonic()
        try:
            keys = jwt.PyJWKSet.from_dict(json.loads(read())).keys
        except (OSError, ValueError, jwt.PyJWTError) as exc:
            log.warning("portal JWKS %s not loaded: %s", self.jwks, exc)
            return
        self.keys = {k.key_id: k.key for k in keys if k.key_type == "RSA"}
        log.info("portal JWKS loaded", extra={"kids": [k.key_id for k in keys]})
