"""Frames/s and latency of the C++ client, the Python client and raw pyzmq, against one server, same run.

    python bench/clients.py [--frames 300] [--width 1280 --height 720] [--credits 2] [--build DIR]

Starts `vpbridge serve --source testpattern` on tcp loopback (RGBA8 colour + f16 depth), builds the
C++ bench (engine_plugin/cpp, Release) unless --build names a build, then streams FRAMES frames with
CREDITS in flight through each client in turn, a new pose per frame. Latency is pose sampled ->
frame read, both on the client's monotonic clock; `cpu ms/f` is the client's own CPU time per
frame (the server runs in another process), which shows client overhead even when the server is
the bottleneck. Prints a table; writes bench/results/clients.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import zmq

from bridge.client_sync import Client
from bridge.protocol import codec
from bridge.protocol import messages as m

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "clients.json"


def _pose(i: int) -> tuple[float, ...]:
    return (1.0, 0.0, 0.0, 0.001 * i, 0.0, 1.0, 0.0, 1.7, 0.0, 0.0, 1.0, 5.0, 0.0, 0.0, 0.0, 1.0)


def _summary(frames: int, seconds: float, nbytes: int, lat_ms: list[float]) -> dict[str, float]:
    lat = sorted(lat_ms)
    return {
        "frames": frames,
        "seconds": seconds,
        "fps": frames / seconds,
        "mb_per_s": nbytes / seconds / 1e6,
        "latency_p50_ms": statistics.median(lat),
        "latency_p95_ms": lat[len(lat) * 95 // 100],
    }


@contextmanager
def serve() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        ready = Path(tmp) / "ready.json"
        # No frame cache: the clients send the same pose sequence, and later ones would get the earlier
        # ones' frames from the cache instead of renders.
        cmd = [
            sys.executable,
            "-m",
            "bridge.cli",
            "serve",
            "--port",
            "0",
            "--source",
            "testpattern",
            "--cache-mb",
            "0",
        ]
        proc = subprocess.Popen([*cmd, "--ready-file", str(ready)], stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not (ready.exists() and ready.read_text().rstrip().endswith("}")):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("vpbridge serve did not start")
                time.sleep(0.05)
            yield str(json.loads(ready.read_text())["control"])
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def bench_raw(endpoint: str, frames: int, width: int, height: int, credits: int) -> dict[str, float]:
    """The protocol by hand on pyzmq: the floor any Python client pays (decode the header only)."""
    ctx: zmq.Context[Any] = zmq.Context()
    try:
        ctl = ctx.socket(zmq.DEALER)
        ctl.setsockopt(zmq.LINGER, 0)
        ctl.connect(endpoint)
        ctl.send(codec.encode(m.Hello(rid=1, protocol=m.PROTOCOL_VERSION, client="raw-pyzmq")))
        welcome = codec.decode_control_reply(ctl.recv())
        assert isinstance(welcome, m.Welcome)
        fr = ctx.socket(zmq.DEALER)
        fr.setsockopt(zmq.LINGER, 0)
        fr.connect(welcome.endpoints.frames)
        fr.send(codec.encode(m.Attach(rid=2, session=welcome.session)))
        fr.recv_multipart()
        ctl.send(codec.encode(m.OpenStream(rid=3, width=width, height=height)))
        opened = codec.decode_control_reply(ctl.recv())
        assert isinstance(opened, m.StreamOpened)
        sid = opened.stream

        def pose(i: int) -> None:
            req = m.PoseRequest(stream=sid, pose_id=i, T_world_camera=_pose(i), t_pose_ns=time.monotonic_ns())
            fr.send(codec.encode(req))

        def recv() -> tuple[m.FrameHeader, int, int]:
            while True:
                parts = fr.recv_multipart(copy=False)
                t = time.monotonic_ns()
                if parts[0].bytes == codec.FRAME_TOPIC:
                    header = codec.decode_header(parts[1].buffer)
                    return header, t, sum(len(p.buffer) for p in parts[2:])

        pose(0)
        fr.send(codec.encode(m.Credit(stream=sid, n=1)))
        recv()  # warm-up
        pose(1)
        fr.send(codec.encode(m.Credit(stream=sid, n=credits)))
        lat: list[float] = []
        nbytes = 0
        t0 = time.perf_counter()
        for i in range(frames):
            header, t, n = recv()
            lat.append((t - header.times.t_pose) / 1e6)
            nbytes += n
            pose(i + 2)
            fr.send(codec.encode(m.Credit(stream=sid, n=1)))
        return _summary(frames, time.perf_counter() - t0, nbytes, lat)
    finally:
        ctx.destroy(linger=0)


def bench_python(endpoint: str, frames: int, width: int, height: int, credits: int) -> dict[str, float]:
    """bridge.Client (sync; per-frame calls run in this thread): decodes frames into numpy views."""
    with Client(endpoint, name="bench-python", follow_state=False) as c:
        st = c.open_stream(width=width, height=height)
        st.render(_pose(0))  # warm-up
        st.request(_pose(1))
        st.grant(credits)
        lat: list[float] = []
        nbytes = 0
        t0 = time.perf_counter()
        for i in range(frames):
            f = st.next_frame(timeout=10.0)
            lat.append((f.t_received_ns - f.header.times.t_pose) / 1e6)
            nbytes += sum(p.nbytes for p in f.header.parts)
            st.request(_pose(i + 2))
            st.grant(1)
        return _summary(frames, time.perf_counter() - t0, nbytes, lat)


def build_cpp(build: Path | None) -> Path:
    if build is None:
        build = ROOT / "build" / "cpp-bench"
        subprocess.run(
            [
                "cmake",
                "-S",
                str(ROOT / "engine_plugin" / "cpp"),
                "-B",
                str(build),
                "-DCMAKE_BUILD_TYPE=Release",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["cmake", "--build", str(build), "-j2", "--target", "bench_client"],
            check=True,
            capture_output=True,
        )
    return build / "bench_client"


def bench_cpp(exe: Path) -> Callable[[str, int, int, int, int], dict[str, float]]:
    def run(endpoint: str, frames: int, width: int, height: int, credits: int) -> dict[str, float]:
        args = [str(exe), endpoint, str(frames), str(width), str(height), str(credits)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)  # the server is not reaped yet: only this child
        out = subprocess.run(args, check=True, capture_output=True, text=True, timeout=600).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        result["client_cpu_ms_per_frame"] = cpu * 1e3 / frames  # includes connect and warm-up
        return result

    return run


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="example: python bench/clients.py --frames 300",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--frames", type=int, default=300)
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=720)
    p.add_argument("--credits", type=int, default=2, help="frames in flight (1-3)")
    p.add_argument("--build", type=Path, help="an existing CMake build dir of engine_plugin/cpp")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    clients = {
        "raw pyzmq": bench_raw,
        "python client": bench_python,
        "c++ client": bench_cpp(build_cpp(args.build)),
    }
    results: dict[str, dict[str, float]] = {}
    with serve() as endpoint:
        for name, fn in clients.items():
            cpu0 = time.process_time()  # this process's CPU: the in-process clients (the server is a child)
            results[name] = fn(endpoint, args.frames, args.width, args.height, args.credits)
            results[name].setdefault(
                "client_cpu_ms_per_frame", (time.process_time() - cpu0) * 1e3 / args.frames
            )
    base = results["raw pyzmq"]["fps"]
    print(
        f"{args.width}x{args.height} rgba8 + f16 depth, tcp loopback, {args.frames} frames, {args.credits} credits"
    )
    print(
        f"{'client':<14} {'frames/s':>9} {'MB/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'vs raw':>7} {'cpu ms/f':>9}"
    )
    for name, r in results.items():
        r["fps_vs_raw"] = r["fps"] / base
        print(
            f"{name:<14} {r['fps']:9.1f} {r['mb_per_s']:8.1f} {r['latency_p50_ms']:8.2f} "
            f"{r['latency_p95_ms']:8.2f} {r['fps_vs_raw']:7.2f} {r['client_cpu_ms_per_frame']:9.2f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "config": {k: v for k, v in vars(args).items() if k in ("frames", "width", "height", "credits")},
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "results": results,
    }
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
