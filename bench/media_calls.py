"""Benchmark: call setup time and server CPU per recorded call, for 1 and 4 concurrent calls.

The server (Socket.IO + the media events + aiortc relay and recorder, with an in-process secantusdb
and a stand-in bridge context) runs as its own process so that its CPU is measured apart from the
clients (aiortc peers sending synthetic 640x480 video and audio). ICE is pinned to 127.0.0.1.

    .venv/bin/python -m bench.media_calls [--calls 1 4] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("MEDIA_ICE_HOST_ADDRESSES", "127.0.0.1")
HZ = os.sysconf("SC_CLK_TCK")
CLIENT_SIZE = (320, 240)


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# --- server process ---------------------------------------------------------------------------


async def serve(port: int, conversations: int) -> None:
    import secantus
    from aiohttp import web
    from pymongo import AsyncMongoClient

    from tests.unit.media_fakes import signalling_app

    db_server = secantus.SecantusDBServer(storage_path=tempfile.mkdtemp(prefix="bench-db-"), port=0)
    db_server.start()
    mongo = AsyncMongoClient(db_server.uri + ("&" if "?" in db_server.uri else "?") + "retryWrites=false")
    db = mongo["bench"]
    app, _ctx, media = signalling_app(db, [(f"c{i}", f"u{i}", f"a{i}") for i in range(conversations)])

    async def results(request):
        return web.json_response(media.calls.ended)

    app.router.add_get("/results", results)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


# --- client side ------------------------------------------------------------------------------


async def one_call(url: str, i: int, seconds: float) -> dict:
    import av
    import socketio
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack

    class SmallVideo(VideoStreamTrack):
        """320x240 synthetic video: keeps the (single-process) clients from starving the server."""

        async def recv(self):
            pts, time_base = await self.next_timestamp()
            frame = av.VideoFrame(width=CLIENT_SIZE[0], height=CLIENT_SIZE[1])
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            frame.pts, frame.time_base = pts, time_base
            return frame

    socks = {}
    for ns, token in (("/user", f"u{i}:user"), ("/agent", f"a{i}:agent")):
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(url, namespaces=[ns], auth={"token": token}, transports=["websocket"])
        socks[ns] = client
    first_frame: dict[str, float] = {}
    frames = {"/user": 0, "/agent": 0}
    pcs, tasks = [], []
    t0 = time.monotonic()
    invite = await socks["/agent"].call(
        "call_invite", {"conversation_id": f"c{i}", "kind": "video"}, namespace="/agent"
    )
    call_id = invite["call_id"]
    await socks["/user"].call("call_accept", {"call_id": call_id}, namespace="/user")

    async def party(ns: str) -> None:
        pc = RTCPeerConnection()
        pcs.append(pc)

        @pc.on("track")
        def on_track(track):
            async def count():
                while True:
                    try:
                        await track.recv()
                    except MediaStreamError:
                        return
                    if track.kind == "video":
                        first_frame.setdefault(ns, time.monotonic() - t0)
                        frames[ns] += 1

            tasks.append(asyncio.ensure_future(count()))

        pc.addTrack(AudioStreamTrack())
        pc.addTrack(SmallVideo())
        await pc.setLocalDescription(await pc.createOffer())
        ack = await socks[ns].call(
            "call_offer",
            {"call_id": call_id, "sdp": pc.localDescription.sdp, "type": "offer"},
            namespace=ns,
            timeout=30,
        )
        await pc.setRemoteDescription(RTCSessionDescription(sdp=ack["sdp"], type=ack["type"]))

    await asyncio.gather(party("/user"), party("/agent"))
    while len(first_frame) < 2 and time.monotonic() - t0 < 30:  # noqa: ASYNC110 - polling is fine here
        await asyncio.sleep(0.05)
    setup = max(first_frame.values()) if len(first_frame) == 2 else None
    await asyncio.sleep(seconds)
    await socks["/user"].call("call_hangup", {"call_id": call_id}, namespace="/user")
    for pc in pcs:
        await pc.close()
    for task in tasks:
        task.cancel()
    for client in socks.values():
        await client.disconnect()
    return {"call_id": call_id, "setup_s": setup, "video_frames": frames}


async def run_round(url: str, pid: int, n: int, seconds: float) -> dict:
    cpu0, wall0 = cpu_seconds(pid), time.monotonic()
    calls = await asyncio.gather(*(one_call(url, i, seconds) for i in range(n)))
    cpu1, wall1 = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(2.0)  # recordings are finished and stored after hang-up
    setups = [c["setup_s"] for c in calls if c["setup_s"] is not None]
    return {
        "calls": n,
        "setup_s_median": round(statistics.median(setups), 2) if setups else None,
        "setup_s_max": round(max(setups), 2) if setups else None,
        "server_cpu_cores_total": round((cpu1 - cpu0) / (wall1 - wall0), 2),
        "server_cpu_cores_per_call": round((cpu1 - cpu0) / (wall1 - wall0) / n, 2),
        "server_rss_mb": round(rss_mb(pid)),
        "min_video_frames_received": min(min(c["video_frames"].values()) for c in calls),
        "connected": len(setups),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--port", type=int, default=18931)
    parser.add_argument("--client-size", default="320x240", help="synthetic client video, WxH")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global CLIENT_SIZE
    CLIENT_SIZE = tuple(int(v) for v in args.client_size.split("x"))
    if args.serve:
        await serve(args.port, max(args.calls))
        return
    from media.calls import pin_host_addresses

    pin_host_addresses()  # the clients use loopback too
    cmd = [
        sys.executable,
        "-m",
        "bench.media_calls",
        "--serve",
        "--port",
        str(args.port),
        "--calls",
        *map(str, args.calls),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)  # noqa: ASYNC220 - once, at start
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        url = f"http://127.0.0.1:{args.port}"
        for n in args.calls:
            result = await run_round(url, proc.pid, n, args.seconds)
            print(json.dumps(result, ensure_ascii=False), flush=True)
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    asyncio.run(main())
