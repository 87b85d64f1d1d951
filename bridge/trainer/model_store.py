"""Trained models in shared storage (GridFS), so that every Rasa server can load the live one.

The trainer publishes a model that passed its go-live check; `rollout` makes every Rasa server
download it from a bridge (`GET /api/v1/models/{name}`, Rasa's model-server protocol: the model
name is the ETag) with `PUT /model`, one server after the other. Rasa swaps its agent only once
the new model is loaded, so turns in flight are answered by the old one: no turn fails. A server
that comes back with another model (restarted by the supervisor with its start-up model) is
brought to the live one by `reconcile`, which every bridge runs periodically.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile

from core.db import Store
from core.settings import Settings

log = logging.getLogger("bangban.models")
BUCKET = "models_fs"
CHUNK = 1 << 20


class ModelStore:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._bucket: AsyncGridFSBucket | None = None

    @property
    def bucket(self) -> AsyncGridFSBucket:
        if self._bucket is None:  # made on first use: a trainer built for pure checks never touches storage
            self._bucket = AsyncGridFSBucket(self.store.db, bucket_name=BUCKET, chunk_size_bytes=CHUNK)
        return self._bucket

    async def publish(self, path: Path) -> str:
        """Store the model file once under its name; the name."""
        name = path.name
        if await self.store.db[f"{BUCKET}.files"].find_one({"filename": name}, {"_id": 1}) is None:
            with path.open("rb") as f:
                await self.bucket.upload_from_stream(name, f)
        return name

    async def chunks(self, name: str) -> AsyncIterator[bytes] | None:
        """The stored model's bytes in chunks, or None if there is no such model."""
        try:
            grid_out = await self.bucket.open_download_stream_by_name(name)
        except NoFile:
            return None

        async def read() -> AsyncIterator[bytes]:
            while chunk := await grid_out.readchunk():
                yield chunk
        return read()

    async def live(self) -> str | None:
        """The name of the model the trainer put live last, if any."""
        doc = await self.store.trainer_jobs.find_one({"status": "done", "model": {"$type": "string"}},
                                                     {"model": 1}, sort=[("finished_at", -1)])
        return doc["model"] if doc else None

    def _load_body(self, name: str) -> dict:
        # no periodic pulling by Rasa: `reconcile` does that job for every server
        return {"model_server": {"url": f"{self.settings.model_base_url}/api/v1/models/{name}",
                                 "params": self.settings.rasa_auth, "wait_time_between_pulls": 0}}

    async def rollout(self, name: str) -> None:
        """Every Rasa server loads model `name`, one after the other; raises when one refuses."""
        timeout = aiohttp.ClientTimeout(total=300)
        async with aiohttp.ClientSession(timeout=timeout) as s:
            for url in self.settings.rasa_servers:
                async with s.put(f"{url}/model", json=self._load_body(name), params=self.settings.rasa_auth) as r:
                    if r.status >= 300:
                        raise RuntimeError(f"Rasa {url} 加载模型失败（HTTP {r.status}）：{(await r.text())[:300]}")
                if name not in (await self._loaded(s, url) or ""):
                    raise RuntimeError(f"Rasa {url} 未能加载模型 {name}。")

    async def _loaded(self, s: aiohttp.ClientSession, url: str) -> str | None:
        """The model name a server runs (None when it does not answer)."""
        try:
            async with s.get(f"{url}/status", params=self.settings.rasa_auth) as r:
                body = await r.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None
        return str(body.get("model_file") or "") or None

    async def reconcile(self) -> int:
        """Bring every reachable Rasa server that runs another model to the live one; count reloaded."""
        name = await self.live()
        if name is None:
            return 0
        reloaded = 0
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as s:
            for url in self.settings.rasa_servers:
                current = await self._loaded(s, url)
                if current is None or name in current:
                    continue
                log.info("rasa server runs another model: loading the live one",
                         extra={"server": url, "model": name, "running": current})
                async with s.put(f"{url}/model", json=self._load_body(name), params=self.settings.rasa_auth) as r:
                    reloaded += r.status < 300
        return reloaded
