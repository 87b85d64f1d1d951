"""Call recorder that survives MediaRelay: copies every frame, stamps it with one clock, encodes in a thread.

aiortc's stock MediaRecorder shares frame objects with the relay's other subscribers (whose encoders
rewrite their timestamps) and opens the video codec before it knows the size; recordings then lose
video. This recorder copies each frame's data in the event loop, then scales video onto a fixed
canvas, fills audio gaps with silence and muxes H.264 + AAC into MP4 in one worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

log = logging.getLogger(__name__)
AUDIO_RATE = 48_000
VIDEO_TB = Fraction(1, 1000)


@dataclass
class _Stream:
    label: str
    kind: str
    stream: Any
    samples: int = 0  # audio: samples written
    last_pts: int = -1  # video: last pts written
    last_frame: av.VideoFrame | None = None
    frames: int = 0
    resampler: av.AudioResampler | None = None


@dataclass
class RecordingResult:
    path: str
    duration_s: float
    streams: dict[str, int] = field(default_factory=dict)  # label -> frames written


class CallRecorder:
    """Record labelled audio/video tracks of one call into one MP4 file."""

    def __init__(
        self, path: str, labels: dict[str, str], *, width: int = 640, height: int = 360, fps: int = 15
    ):
        self.path = path
        self.labels = labels  # label -> "audio" | "video", all known before the first frame
        self.width, self.height, self.fps = width, height, fps
        self.t0: float | None = None  # the recording starts with the first frame of any track
        self._queue: queue.Queue = queue.Queue(maxsize=600)
        self._tasks: list[asyncio.Task] = []
        self._last_video_t: dict[str, float] = {}
        self._thread = threading.Thread(target=self._run, name="call-recorder", daemon=True)
        self._result: RecordingResult | None = None
        self._error: BaseException | None = None
        self._thread.start()

    # --- event loop side ---

    def add_track(self, label: str, track: MediaStreamTrack) -> None:
        """Start consuming a track (a MediaRelay subscription of the remote track)."""
        if label not in self.labels:
            raise ValueError(f"unknown recording label {label}")
        self._tasks.append(asyncio.ensure_future(self._consume(label, track)))

    async def _consume(self, label: str, track: MediaStreamTrack) -> None:
        min_gap = 0.9 / self.fps  # tolerate jitter: a 30 fps source yields about `fps` frames
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if self.t0 is None:
                self.t0 = time.monotonic()
            t = time.monotonic() - self.t0
            if isinstance(frame, av.VideoFrame):
                if t - self._last_video_t.get(label, -1.0) < min_gap:
                    continue
                self._last_video_t[label] = t
                if frame.format.name != "yuv420p":
                    frame = frame.reformat(format="yuv420p")
                item = (label, t, frame.to_ndarray(), None)
            else:
                item = (
                    label,
                    t,
                    frame.to_ndarray().copy(),
                    (frame.format.name, frame.layout.name, frame.sample_rate),
                )
            try:
                self._queue.put_nowait(item)
            except queue.Full:
                log.warning("recorder queue full, frame of %s dropped", label)

    async def stop(self) -> RecordingResult:
        """Stop consuming, flush the encoders and close the file (waits for the worker)."""
        end_t = time.monotonic() - self.t0 if self.t0 is not None else 0.0
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._queue.put(("__end__", end_t, None, None))
        await asyncio.to_thread(self._thread.join)
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    # --- worker thread ---

    def _open(self) -> tuple[Any, dict[str, _Stream]]:
        container = av.open(self.path, mode="w", format="mp4")
        streams: dict[str, _Stream] = {}
        for label, kind in self.labels.items():
            if kind == "video":
                stream = container.add_stream("libx264", rate=self.fps)
                stream.width, stream.height, stream.pix_fmt = self.width, self.height, "yuv420p"
                stream.time_base = VIDEO_TB
                stream.codec_context.time_base = VIDEO_TB
                stream.codec_context.options = {"preset": "ultrafast", "tune": "zerolatency", "crf": "30"}
                streams[label] = _Stream(label, kind, stream)
            else:
                stream = container.add_stream("aac", rate=AUDIO_RATE, layout="mono")
                stream.bit_rate = 48_000
                resampler = av.AudioResampler(format="fltp", layout="mono", rate=AUDIO_RATE)
                streams[label] = _Stream(label, kind, stream, resampler=resampler)
        return container, streams

    def _canvas(self, data: np.ndarray) -> av.VideoFrame:
        """A yuv420p frame of the fixed size with the picture scaled in, aspect kept."""
        frame = av.VideoFrame.from_ndarray(data, format="yuv420p")
        scale = min(self.width / frame.width, self.height / frame.height)
        w = max(2, int(frame.width * scale) // 2 * 2)
        h = max(2, int(frame.height * scale) // 2 * 2)
        small = frame.reformat(width=w, height=h, format="yuv420p").to_ndarray()
        canvas = np.empty((self.height * 3 // 2, self.width), dtype=np.uint8)
        canvas[: self.height] = 16
        canvas[self.height :] = 128
        x0, y0 = (self.width - w) // 2 // 2 * 2, (self.height - h) // 2 // 2 * 2
        canvas[y0 : y0 + h, x0 : x0 + w] = small[:h]
        # chroma planes: U then V, each (height/2) rows of width/2, stored as rows of `width` in the ndarray
        for plane in range(2):
            src = small[h + plane * h // 4 : h + (plane + 1) * h // 4].reshape(h // 2, w // 2)
            dst = canvas[
                self.height + plane * self.height // 4 : self.height + (plane + 1) * self.height // 4
            ]
            dst = dst.reshape(self.height // 2, self.width // 2)
            dst[y0 // 2 : y0 // 2 + h // 2, x0 // 2 : x0 // 2 + w // 2] = src
            canvas[self.height + plane * self.height // 4 : self.height + (plane + 1) * self.height // 4] = (
                dst.reshape(-1, self.width)
            )
        return av.VideoFrame.from_ndarray(canvas, format="yuv420p")

    def _write_video(self, container: Any, s: _Stream, frame: av.VideoFrame, t: float) -> None:
        pts = int(t * 1000)
        if pts <= s.last_pts:
            return  # out of order or duplicate: dropped
        frame.pts, frame.time_base = pts, VIDEO_TB
        container.mux(s.stream.encode(frame))
        s.last_pts, s.last_frame, s.frames = pts, frame, s.frames + 1

    def _silence(self, container: Any, s: _Stream, until_samples: int) -> None:
        while s.samples < until_samples:
            n = min(AUDIO_RATE // 10, until_samples - s.samples)
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, n), dtype=np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate = AUDIO_RATE
            container.mux(s.stream.encode(frame))
            s.samples += n

    def _write_audio(self, container: Any, s: _Stream, data: np.ndarray, fmt: tuple, t: float) -> None:
        name, layout, rate = fmt
        frame = av.AudioFrame.from_ndarray(data, format=name, layout=layout)
        frame.sample_rate = rate
        start = int(t * AUDIO_RATE) - frame.samples * AUDIO_RATE // rate
        if start - s.samples > AUDIO_RATE // 5:  # a gap of more than 200 ms (or the late start): silence
            self._silence(container, s, start)
        for chunk in s.resampler.resample(frame):
            chunk.pts = None
            container.mux(s.stream.encode(chunk))
            s.samples += chunk.samples
            s.frames += 1

    def _run(self) -> None:
        try:
            container, streams = self._open()
            end_t = 0.0
            while True:
                label, t, data, fmt = self._queue.get()
                if label == "__end__":
                    end_t = t
                    break
                s = streams[label]
                if s.kind == "video":
                    self._write_video(container, s, self._canvas(data), t)
                else:
                    self._write_audio(container, s, data, fmt, t)
            for s in streams.values():
                if s.kind == "video":
                    last = s.last_frame or self._canvas(
                        np.full((self.height * 3 // 2, self.width), 16, np.uint8)
                    )
                    self._write_video(
                        container, s, av.VideoFrame.from_ndarray(last.to_ndarray(), format="yuv420p"), end_t
                    )
                    container.mux(s.stream.encode(None))
                else:
                    self._silence(container, s, int(end_t * AUDIO_RATE))
                    container.mux(s.stream.encode(None))
            container.close()
            self._result = RecordingResult(
                self.path, round(end_t, 2), {s.label: s.frames for s in streams.values()}
            )
        except BaseException as exc:  # noqa: BLE001 - handed to stop()
            log.exception("call recorder failed")
            self._error = exc
            while True:  # drain so that producers never block
                try:
                    if self._queue.get_nowait()[0] == "__end__":
                        break
                except queue.Empty:
                    break
