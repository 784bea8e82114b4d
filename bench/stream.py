"""Transport benchmark: 1920×1080 RGBA8 + float16 depth frames from a vpbridge server to 1 and 8
clients over tcp loopback and ipc, each figure next to raw pyzmq moving the same bytes in the same
run and the same process layout (sender/server in one process, receivers/clients in another).
Throughput is measured in alternating rounds (raw then vpbridge, then vpbridge then raw, ...) so a
machine that drifts affects both alike; the table gives medians over the rounds, the median of the
per-round ratios and their spread, and CPU time per frame (sender/server + receivers/clients).
Clients are `AsyncClient`s, and for 1 client also the sync `Client` (its per-frame calls run in the
calling thread; `--sync-clients`) and a hand-written protocol loop on plain pyzmq (`floor_throughput`:
poll, receive, decode the header, send the next pose request; `--no-floor` skips it), which separates the
server's share of the gap to raw from the client's.
The vpbridge clients keep freed frame buffers for reuse (`bridge.transport.malloc`, their default); it
is applied at the start, so the raw receivers in this process run under it too (--default-malloc: off
for both). Also: paced 30 fps latency, header encode+decode (msgspec vs msgpack-python), one stalled
client among 8, and the server's resident memory over a paced soak. Prints a table and writes JSON.

    .venv/bin/python bench/stream.py                    # full run (~14 min, 300 s soak)
    .venv/bin/python bench/stream.py --soak-seconds 0   # the same without the soak (~9 min)
    .venv/bin/python bench/stream.py --quick            # smoke run (~2.5 min, 20 s soak)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import msgspec
import numpy as np
import psutil
import zmq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bridge.client import AsyncClient, AsyncStream  # noqa: E402
from bridge.client_sync import Client, Stream  # noqa: E402
from bridge.errors import Timeout  # noqa: E402
from bridge.protocol import codec  # noqa: E402
from bridge.protocol import messages as m  # noqa: E402
from bridge.transport.malloc import keep_frame_buffers  # noqa: E402

W, H = 1920, 1080
RGBA_BYTES, DEPTH_BYTES = W * H * 4, W * H * 2
QUEUE = int(os.environ.get("VPB_BENCH_QUEUE", "3"))
"""Raw pyzmq: SNDHWM = RCVHWM = QUEUE, so up to 2 × QUEUE frames wait between send() and recv() (`--queue`;
the environment carries it to the sender process)."""
CREDITS = 2 * QUEUE
"""vpbridge: frames in flight per client (the server runs with `--max-credits CREDITS`): the same depth as
the raw pair's two queues. Credits bound every frame from render to `next_frame`, the raw queues only
those waiting in ZeroMQ's pipes, so the raw pair still holds as many or more."""
PACE_HZ = 30.0
KEEP_FRAME_BUFFERS = True
"""The client's glibc setting (bridge.transport.malloc), applied at the start of a run so the raw
receivers, which share this process with the vpbridge clients, run under it too; --default-malloc
measures without it."""
POSE = np.array([[1, 0, 0, 0], [0, 1, 0, 1.7], [0, 0, 1, 5.0], [0, 0, 0, 1]], np.float64)
"""A fixed pose: the test pattern returns its cached arrays, so the frame is transport-bound."""


@dataclass(frozen=True)
class Durations:
    warm_s: float
    measure_s: float
    rounds: int
    """Throughput: alternating raw/vpbridge rounds per transport and client count."""
    latency_s: float
    stall_s: float
    soak_s: float
    soak_warm_s: float


FULL = Durations(
    warm_s=1.5, measure_s=5.0, rounds=5, latency_s=15.0, stall_s=8.0, soak_s=300.0, soak_warm_s=30.0
)
QUICK = Durations(
    warm_s=1.0, measure_s=2.0, rounds=2, latency_s=4.0, stall_s=3.0, soak_s=20.0, soak_warm_s=5.0
)


# -- child processes: raw pyzmq sender / replier, vpbridge server, a client to stall ----------------


def _payload() -> list[np.ndarray]:
    """Same sizes as a vpbridge frame; random bytes so no page is the shared zero page."""
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, RGBA_BYTES, np.uint8), rng.integers(0, 256, DEPTH_BYTES, np.uint8)]


def role_raw_push(endpoint: str) -> None:
    ctx = zmq.Context()
    sock = ctx.socket(zmq.PUSH)
    sock.setsockopt(zmq.SNDHWM, QUEUE)
    sock.setsockopt(zmq.LINGER, 0)
    sock.bind(endpoint)
    print(sock.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)
    parts = _payload()
    while True:
        sock.send_multipart(parts, copy=False)


def role_raw_rep(endpoint: str) -> None:
    ctx = zmq.Context()
    sock = ctx.socket(zmq.REP)
    sock.setsockopt(zmq.LINGER, 0)
    sock.bind(endpoint)
    print(sock.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)
    parts = _payload()
    while True:
        sock.recv()
        sock.send_multipart(parts, copy=False)


def role_stalled(control: str) -> None:
    """A client that streams normally, says so, and is then frozen by the driver with SIGSTOP."""

    async def main() -> None:
        async with AsyncClient(control, name="stalled") as c:
            st = await c.open_stream(width=W, height=H, color="rgba8", depth="f16")
            times: list[int] = []
            task = asyncio.create_task(_stream(st, times, time.monotonic() + 3600))
            while len(times) < 5:
                await asyncio.sleep(0.01)
            print("streaming", flush=True)
            await task

    asyncio.run(main())


class Child:
    """A child process of this script (or the vpbridge CLI), stopped and reaped on exit."""

    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True
        )

    def readline(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line:
            raise RuntimeError(f"child {self.proc.args} exited with {self.proc.wait()}")
        return line

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.send_signal(signal.SIGCONT)  # a stopped child must wake up to die
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextlib.contextmanager
def child(role: str, arg: str) -> Iterator[Child]:
    c = Child([__file__, "--role", role, "--role-arg", arg])
    try:
        yield c
    finally:
        c.stop()


@contextlib.contextmanager
def server(transport: str, tmp: Path) -> Iterator[tuple[dict[str, str], psutil.Process]]:
    """`vpbridge serve --source testpattern` in its own process (its own GIL, like a real deployment)."""
    ready = tmp / f"ready-{time.monotonic_ns()}.json"
    bind = ["--bind", f"ipc://{tmp}/vpb"] if transport == "ipc" else []
    c = Child(
        [
            "-m",
            "bridge.cli",
            "serve",
            "--source",
            "testpattern",
            "--max-credits",
            str(CREDITS),
            "--port",
            "0",
            *bind,
            "--ready-file",
            str(ready),
        ]
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            if c.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("vpbridge server did not start")
            time.sleep(0.05)
        endpoints = json.loads(ready.read_text())
        yield endpoints, psutil.Process(c.proc.pid)
    finally:
        c.stop()


def raw_endpoint(transport: str, tmp: Path, name: str) -> str:
    return f"ipc://{tmp}/{name}" if transport == "ipc" else "tcp://127.0.0.1:*"


# -- measurements ------------------------------------------------------------------------------


def fps_in(times_ns: list[int], t0: float, t1: float) -> float:
    lo, hi = int(t0 * 1e9), int(t1 * 1e9)
    return sum(1 for t in times_ns if lo <= t < hi) / (t1 - t0)


def _machine_busy() -> tuple[float, float]:
    """CPU seconds the whole machine has been busy (every core, every process and kernel thread), and of
    those, stolen by the hypervisor (0 where the platform does not say)."""
    t = psutil.cpu_times()
    idle = t.idle + getattr(t, "iowait", 0.0)
    total = sum(t)
    steal = float(getattr(t, "steal", 0.0))
    return float(total - idle - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)), steal


OTHER_CPU_NOTE = 0.1
"""Busy cores outside the measured processes above which a run counts as shared with other work."""


class CpuMeter:
    """CPU seconds (user + system, every thread) of this process and one other over a window, and the CPU
    the rest of the machine used meanwhile (other processes, kernel threads, steal), in cores: a round in
    which something else ran is visible in the results instead of hiding in the spread."""

    def __init__(self, other: psutil.Process) -> None:
        self.procs = [psutil.Process(), other]
        self.t0: list[float] = []
        self.seconds: list[float] = []
        self._m0 = (0.0, 0.0, 0.0)
        self.other_cores = 0.0
        """Busy cores outside the two measured processes, averaged over the window."""
        self.steal_cores = 0.0

    @staticmethod
    def _cpu(p: psutil.Process) -> float:
        t = p.cpu_times()
        return float(t.user + t.system)

    def start(self) -> None:
        self.t0 = [self._cpu(p) for p in self.procs]
        self._m0 = (time.monotonic(), *_machine_busy())

    def stop(self) -> None:
        self.seconds = [self._cpu(p) - t0 for p, t0 in zip(self.procs, self.t0, strict=True)]
        busy, steal = _machine_busy()
        wall = max(time.monotonic() - self._m0[0], 1e-9)
        self.other_cores = max(0.0, (busy - self._m0[1] - sum(self.seconds)) / wall)
        self.steal_cores = max(0.0, (steal - self._m0[2]) / wall)

    def window(self, now: float, t_start: float, t_end: float) -> bool:
        """For a receive loop: start at `t_start`, stop at `t_end`; True once stopped (the loop ends)."""
        if not self.t0 and now >= t_start:
            self.start()
        if now >= t_end:
            self.stop()
            return True
        return False


def _result(times: list[list[int]], t_start: float, t_end: float, cpu: CpuMeter) -> dict[str, Any]:
    per = [fps_in(t, t_start, t_end) for t in times]
    frames = sum(per) * (t_end - t_start)
    here, there = cpu.seconds
    return {
        "fps": sum(per),
        "per_client_fps": per,
        "cpu_ms_per_frame": 1e3 * (here + there) / max(frames, 1),
        "cpu_ms_per_frame_sender": 1e3 * there / max(frames, 1),
        "cpu_ms_per_frame_receivers": 1e3 * here / max(frames, 1),
        "other_cpu_cores": cpu.other_cores,
        "steal_cores": cpu.steal_cores,
    }


def raw_throughput(transport: str, n: int, d: Durations, tmp: Path) -> dict[str, Any]:
    with child("raw-push", raw_endpoint(transport, tmp, "push")) as sender:
        endpoint = sender.readline()
        cpu = CpuMeter(psutil.Process(sender.proc.pid))
        ctx = zmq.Context()
        socks = []
        for _ in range(n):
            s = ctx.socket(zmq.PULL)
            s.setsockopt(zmq.RCVHWM, QUEUE)
            s.setsockopt(zmq.LINGER, 0)
            s.connect(endpoint)
            socks.append(s)
        poller = zmq.Poller()
        for s in socks:
            poller.register(s, zmq.POLLIN)
        times: list[list[int]] = [[] for _ in socks]
        index = {s: i for i, s in enumerate(socks)}
        t_start = time.monotonic() + d.warm_s
        t_end = t_start + d.measure_s
        stopped = False
        while not stopped:
            for s, _ in poller.poll(100):
                parts = s.recv_multipart(copy=False)
                assert len(parts[0]) + len(parts[1]) == RGBA_BYTES + DEPTH_BYTES
                times[index[s]].append(time.monotonic_ns())
            stopped = cpu.window(time.monotonic(), t_start, t_end)
        ctx.destroy(linger=0)
    return _result(times, t_start, t_end, cpu)


class Stuck(RuntimeError):
    """A client operation that should take milliseconds did not finish: reported, not waited on forever."""


async def _bounded(what: str, aw: Any, seconds: float = 15.0) -> Any:
    try:
        return await asyncio.wait_for(aw, seconds)
    except (TimeoutError, asyncio.TimeoutError, Timeout):
        raise Stuck(f"{what} did not complete within {seconds:g} s") from None


async def _stream(st: AsyncStream, times: list[int], t_stop: float, pace_s: float = 0.0) -> None:
    """Keep CREDITS credits and pose requests outstanding (or, paced, one render per tick); same pose.
    Unpaced, the loop is as lean as the raw receiver's: no per-call timeout wrappers (a frame that does
    not come raises `Stuck` after 15 s, and the caller bounds the whole run)."""
    if pace_s:
        t_next = time.monotonic()
        while time.monotonic() < t_stop:
            f = await _bounded(f"stream {st.id} render", st.render(POSE, timeout=15))
            times.append(f.t_received_ns)
            t_next += pace_s
            await asyncio.sleep(max(0.0, t_next - time.monotonic()))
        return
    # A pose renders once (newest wins), so CREDITS frames in flight need CREDITS pose requests in flight.
    await st.grant(CREDITS)
    for _ in range(CREDITS):
        await st.request(POSE)
    while time.monotonic() < t_stop:
        try:
            f = await st.next_frame(timeout=15)
        except Timeout:
            raise Stuck(f"stream {st.id}: no frame within 15 s (outstanding {st.outstanding})") from None
        times.append(f.t_received_ns)
        await st.request(POSE, grant=1)  # the credit rides in the pose request (protocol 1.1)


async def _vpb_clients(
    control: str, n: int, d: Durations, cpu: CpuMeter | None = None
) -> tuple[list[list[int]], float, float]:
    clients = [
        AsyncClient(control, name=f"bench{i}", keep_frame_buffers=KEEP_FRAME_BUFFERS) for i in range(n)
    ]
    await _bounded("connect", asyncio.gather(*(c.connect() for c in clients)))
    streams = [await c.open_stream(width=W, height=H, color="rgba8", depth="f16") for c in clients]
    t_start = time.monotonic() + d.warm_s
    t_end = t_start + d.measure_s
    times: list[list[int]] = [[] for _ in clients]

    async def meter() -> None:
        if cpu is not None:
            await asyncio.sleep(t_start - time.monotonic())
            cpu.start()
            await asyncio.sleep(t_end - time.monotonic())
            cpu.stop()

    try:
        await _bounded(
            f"{n} client(s) streaming",
            asyncio.gather(meter(), *(_stream(s, t, t_end) for s, t in zip(streams, times, strict=True))),
            d.warm_s + d.measure_s + 30,
        )
    finally:
        await _bounded("client close", asyncio.gather(*(c.close() for c in clients)))
    return times, t_start, t_end


def _stream_sync(st: Stream, times: list[int], t_stop: float) -> None:
    """`_stream` for the sync client: the caller's thread reads and sends on the frames socket."""
    st.grant(CREDITS)
    for _ in range(CREDITS):
        st.request(POSE)
    while time.monotonic() < t_stop:
        try:
            f = st.next_frame(timeout=15)
        except Timeout:
            raise Stuck(f"stream {st.id}: no frame within 15 s (outstanding {st.outstanding})") from None
        times.append(f.t_received_ns)
        st.request(POSE, grant=1)


def floor_throughput(control: str, d: Durations, server_proc: psutil.Process) -> dict[str, Any]:
    """One client that speaks the protocol by hand on plain pyzmq in this thread: handshake, attach, open,
    then per frame `zmq.Poller.poll`, `recv_multipart`, the header decoded, the next pose request (credit
    folded). Nothing else: the floor any Python client pays against this server, so the table separates
    the server's share of the gap to raw from the client's."""
    ctx: zmq.Context[Any] = zmq.Context()
    try:
        ctl = ctx.socket(zmq.DEALER)
        ctl.setsockopt(zmq.LINGER, 0)
        ctl.connect(control)
        ctl.send(codec.encode(m.Hello(rid=1, protocol=m.PROTOCOL_VERSION, client="floor")))
        welcome = codec.decode_control_reply(ctl.recv())
        assert isinstance(welcome, m.Welcome), welcome
        fr = ctx.socket(zmq.DEALER)
        fr.setsockopt(zmq.LINGER, 0)
        fr.connect(welcome.endpoints.frames)
        fr.send(codec.encode(m.Attach(rid=2, session=welcome.session)))
        fr.recv_multipart()
        ctl.send(codec.encode(m.OpenStream(rid=3, width=W, height=H, color="rgba8", depth="f16")))
        opened = codec.decode_control_reply(ctl.recv())
        assert isinstance(opened, m.StreamOpened), opened
        pose = tuple(float(x) for x in POSE.ravel())
        pose_id = 0

        def request() -> None:
            nonlocal pose_id
            pose_id += 1
            fr.send(
                codec.encode(
                    m.PoseRequest(
                        stream=opened.stream,
                        pose_id=pose_id,
                        T_world_camera=pose,
                        t_pose_ns=time.monotonic_ns(),
                        credits=1,
                    )
                )
            )

        for _ in range(CREDITS):
            request()
        poller = zmq.Poller()
        poller.register(fr, zmq.POLLIN)
        cpu = CpuMeter(server_proc)
        times: list[int] = []
        t_start = time.monotonic() + d.warm_s
        t_end = t_start + d.measure_s
        while True:
            if not poller.poll(15_000):
                raise Stuck("floor client: no frame within 15 s")
            parts = fr.recv_multipart(copy=False)
            t = time.monotonic_ns()
            if parts[0].bytes != codec.FRAME_TOPIC:
                continue
            codec.decode_header(parts[1].buffer)
            times.append(t)
            request()
            if cpu.window(time.monotonic(), t_start, t_end):
                break
        ctl.send(codec.encode(m.Bye(rid=4)))
    finally:
        ctx.destroy(linger=0)
    return _result([times], t_start, t_end, cpu)


def sync_throughput(control: str, n: int, d: Durations, server_proc: psutil.Process) -> dict[str, Any]:
    """`vpb_throughput` with the sync `Client`: one per thread, each reading frames in its own thread."""
    clients = [Client(control, name=f"sync{i}", keep_frame_buffers=KEEP_FRAME_BUFFERS) for i in range(n)]
    try:
        streams = [c.open_stream(width=W, height=H, color="rgba8", depth="f16") for c in clients]
        t_start = time.monotonic() + d.warm_s
        t_end = t_start + d.measure_s
        times: list[list[int]] = [[] for _ in clients]
        errors: list[BaseException] = []

        def run_one(st: Stream, t: list[int]) -> None:
            try:
                _stream_sync(st, t, t_end)
            except BaseException as exc:  # reported by the caller
                errors.append(exc)

        threads = [
            threading.Thread(target=run_one, args=(st, t), daemon=True)
            for st, t in zip(streams, times, strict=True)
        ]
        cpu = CpuMeter(server_proc)
        for th in threads:
            th.start()
        time.sleep(max(0.0, t_start - time.monotonic()))
        cpu.start()
        time.sleep(max(0.0, t_end - time.monotonic()))
        cpu.stop()
        for th in threads:
            th.join(30)
        if errors:
            raise errors[0]
    finally:
        for c in clients:
            c.close()
    return _result(times, t_start, t_end, cpu)


def vpb_throughput(
    control: str, n: int, d: Durations, server_proc: psutil.Process | None = None
) -> dict[str, Any]:
    cpu = CpuMeter(server_proc or psutil.Process())
    times, t_start, t_end = asyncio.run(_vpb_clients(control, n, d, cpu))
    out = _result(times, t_start, t_end, cpu)
    if server_proc is None:
        for k in ("cpu_ms_per_frame", "cpu_ms_per_frame_sender", "cpu_ms_per_frame_receivers"):
            out.pop(k)
    return out


def _spread(xs: list[float]) -> dict[str, float]:
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}


def throughput(
    transport: str,
    d: Durations,
    tmp: Path,
    attempt: Any,
    sync_n: frozenset[int] = frozenset({1}),
    floor: bool = True,
) -> dict[str, Any]:
    """Alternating rounds for 1 and 8 clients against one vpbridge server (started once, like a real one):
    raw, AsyncClient(s) and (for the client counts in `sync_n`) sync `Client`s, each kind first in turn.
    Per figure: every round's results, the medians, and the median and range of the per-round ratios
    vpbridge ÷ raw (the raw run of the same round)."""
    kinds: dict[int, tuple[str, ...]] = {
        n: ("raw", "vpbridge", *(("sync",) if n in sync_n else ()), *(("floor",) if n == 1 and floor else ()))
        for n in (1, 8)
    }
    runs: dict[int, dict[str, list[dict[str, Any]]]] = {n: {k: [] for k in kinds[n]} for n in (1, 8)}
    with server(transport, tmp) as (eps, proc):
        for r in range(d.rounds):
            for n in (1, 8):
                ks = kinds[n]
                shift = (r + (n == 8)) % len(ks)  # each kind goes first in turn
                for kind in ks[shift:] + ks[:shift]:
                    label = f"{transport}: round {r + 1}/{d.rounds}, {kind}, {n} client(s)"
                    if kind == "raw":
                        res = attempt(label, raw_throughput, transport, n, d, tmp)
                    elif kind == "vpbridge":
                        res = attempt(label, vpb_throughput, eps["control"], n, d, proc)
                    elif kind == "floor":
                        res = attempt(label, floor_throughput, eps["control"], d, proc)
                    else:
                        res = attempt(label, sync_throughput, eps["control"], n, d, proc)
                    if res is not None:
                        runs[n][kind].append(res)
    out: dict[str, Any] = {}
    for n, by_kind in runs.items():
        raw = by_kind["raw"]
        for kind in kinds[n][1:]:
            vpb = by_kind[kind]
            pairs = list(zip(raw, vpb, strict=False))
            if not pairs:
                continue
            ratios = [v["fps"] / r["fps"] for r, v in pairs]
            cpu_ratios = [v["cpu_ms_per_frame"] / r["cpu_ms_per_frame"] for r, v in pairs]
            out[f"throughput_{n}" + {"sync": "_sync", "floor": "_floor"}.get(kind, "")] = {
                "client": {"sync": "Client (sync)", "floor": "protocol by hand (floor)"}.get(
                    kind, "AsyncClient"
                ),
                "rounds": len(pairs),
                "raw": {
                    "fps": _spread([r["fps"] for r in raw]),
                    "cpu_ms_per_frame": _spread([r["cpu_ms_per_frame"] for r in raw]),
                    "runs": raw,
                },
                "vpbridge": {
                    "fps": _spread([v["fps"] for v in vpb]),
                    "cpu_ms_per_frame": _spread([v["cpu_ms_per_frame"] for v in vpb]),
                    "runs": vpb,
                },
                "ratio": statistics.median(ratios),
                "ratio_min": min(ratios),
                "ratio_max": max(ratios),
                "ratios": ratios,
                "cpu_ratio": statistics.median(cpu_ratios),
            }
    return out


def raw_latency(transport: str, d: Durations, tmp: Path) -> list[float]:
    with child("raw-rep", raw_endpoint(transport, tmp, "rep")) as rep:
        endpoint = rep.readline()
        ctx = zmq.Context()
        s = ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(endpoint)
        lat: list[float] = []
        n = int(d.latency_s * PACE_HZ)
        t_next = time.monotonic()
        for i in range(n + 5):
            t0 = time.monotonic_ns()
            s.send(t0.to_bytes(8, "little"))
            s.recv_multipart(copy=False)
            if i >= 5:  # the first requests pay for connecting
                lat.append((time.monotonic_ns() - t0) / 1e6)
            t_next += 1 / PACE_HZ
            time.sleep(max(0.0, t_next - time.monotonic()))
        ctx.destroy(linger=0)
    return lat


def vpb_latency(control: str, d: Durations) -> list[float]:
    async def main() -> list[float]:
        async with AsyncClient(control, name="latency", keep_frame_buffers=KEEP_FRAME_BUFFERS) as c:
            st = await c.open_stream(width=W, height=H, color="rgba8", depth="f16")
            lat: list[float] = []
            t_next = time.monotonic()
            for i in range(int(d.latency_s * PACE_HZ) + 5):
                f = await _bounded("latency render", st.render(POSE, timeout=15))
                if i >= 5:
                    lat.append((f.t_received_ns - f.header.times.t_pose) / 1e6)
                t_next += 1 / PACE_HZ
                await asyncio.sleep(max(0.0, t_next - time.monotonic()))
            return lat

    return asyncio.run(main())


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q))


def stalled(control: str, d: Durations) -> dict[str, Any]:
    """7 clients alone, then with an 8th frozen by SIGSTOP, then alone again (the machine drifts)."""
    dd = Durations(d.warm_s, d.stall_s, 1, 0, 0, 0, 0)
    alone = [vpb_throughput(control, 7, dd)]
    with child("stalled", control) as c:
        c.readline()  # it is streaming
        c.proc.send_signal(signal.SIGSTOP)  # frozen: reads nothing, grants nothing, answers no heartbeat
        time.sleep(0.2)
        with_stalled = vpb_throughput(control, 7, dd)
    alone.append(vpb_throughput(control, 7, dd))
    alone_fps = statistics.mean(a["fps"] for a in alone)
    return {
        "seven_alone_fps": alone_fps,
        "seven_alone_runs_fps": [a["fps"] for a in alone],
        "seven_with_stalled_fps": with_stalled["fps"],
        "per_client_with_stalled": with_stalled["per_client_fps"],
        "ratio": with_stalled["fps"] / alone_fps,
    }


def soak(control: str, proc: psutil.Process, d: Durations) -> dict[str, Any]:
    """8 clients, each paced at 30 fps; the server's RSS sampled once a second."""
    samples: list[tuple[float, int]] = []

    async def sample(t_stop: float) -> None:
        t0 = time.monotonic()
        while time.monotonic() < t_stop:
            samples.append((time.monotonic() - t0, proc.memory_info().rss))
            await asyncio.sleep(1.0)

    async def main() -> list[list[int]]:
        clients = [
            AsyncClient(control, name=f"soak{i}", keep_frame_buffers=KEEP_FRAME_BUFFERS) for i in range(8)
        ]
        await asyncio.gather(*(c.connect() for c in clients))
        streams = [await c.open_stream(width=W, height=H, color="rgba8", depth="f16") for c in clients]
        t_stop = time.monotonic() + d.soak_s
        times: list[list[int]] = [[] for _ in clients]
        await asyncio.gather(
            sample(t_stop), *(_stream(s, t, t_stop, 1 / PACE_HZ) for s, t in zip(streams, times, strict=True))
        )
        await _bounded("client close", asyncio.gather(*(c.close() for c in clients)))
        return times

    t0 = time.monotonic()
    times = asyncio.run(main())
    after = [rss for t, rss in samples if t >= d.soak_warm_s]
    window = max(1, min(10, len(after) // 4))
    base = statistics.median(after[:window])
    end = statistics.median(after[-window:])
    frames = sum(len(t) for t in times)
    return {
        "seconds": d.soak_s,
        "warmup_s": d.soak_warm_s,
        "rss_after_warmup_mb": base / 2**20,
        "rss_end_mb": end / 2**20,
        "rss_max_after_warmup_mb": max(after) / 2**20,
        "growth_pct": 100.0 * (end - base) / base,
        "aggregate_fps": frames / (time.monotonic() - t0),
        "samples": [(round(t, 1), rss) for t, rss in samples],
    }


def header_codec(repeats: int, number: int) -> dict[str, float]:
    """µs per encode+decode round trip of a realistic FrameHeader: min over repeats (least disturbed)."""
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = q, rng.normal(size=3) * 10
    t = time.monotonic_ns()
    header = m.FrameHeader(
        stream=3,
        seq=123456,
        pose_id=123450,
        near=0.05,
        far=2000.0,
        views=[
            m.ViewInfo(
                T_world_camera=tuple(float(x) for x in T.ravel()),
                fov=m.Fov(left=-0.8130, right=0.8130, up=0.5236, down=-0.5236),
                intrinsics=m.Intrinsics(fx=935.30743, fy=935.30743, cx=960.0, cy=540.0),
            )
        ],
        parts=[
            m.PartInfo(kind="color", encoding="rgba8", width=W, height=H, nbytes=RGBA_BYTES),
            m.PartInfo(kind="depth", encoding="f16", width=W, height=H, nbytes=DEPTH_BYTES),
        ],
        times=m.StageTimes(
            t_pose=t - 9_000_000,
            t_received=t - 8_000_000,
            t_render_start=t - 7_900_000,
            t_render_end=t - 2_000_000,
            t_encode_end=t - 1_000_000,
            t_send=t,
        ),
        scene_version=4,
        look="neutral",
        provenance="worldgen v1 seed=7 spec=neon_city source=testpattern",
    )
    as_dict = msgspec.to_builtins(header)
    data = codec.encode(header)
    assert codec.decode_header(data) == header
    assert msgpack.unpackb(msgpack.packb(as_dict)) == msgspec.msgpack.decode(data)  # same content

    def best(fn: Any) -> float:
        runs = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            runs.append((time.perf_counter() - t0) / number * 1e6)
        return min(runs)

    packb, unpackb = msgpack.packb, msgpack.unpackb
    packed = packb(as_dict)
    return {
        "bytes": len(data),
        "msgspec_roundtrip_us": best(lambda: codec.decode_header(codec.encode(header))),
        "msgspec_encode_us": best(lambda: codec.encode(header)),
        "msgspec_decode_us": best(lambda: codec.decode_header(data)),
        "msgpack_roundtrip_us": best(lambda: unpackb(packb(as_dict))),
        "msgpack_encode_us": best(lambda: packb(as_dict)),
        "msgpack_decode_us": best(lambda: unpackb(packed)),
    }


# -- driver --------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "pyzmq": zmq.__version__,
        "libzmq": zmq.zmq_version(),
        "msgspec": msgspec.__version__,
        "msgpack": ".".join(map(str, msgpack.version)),
        "numpy": np.__version__,
        "loadavg_start": os.getloadavg(),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    d = QUICK if args.quick else FULL
    if args.soak_seconds is not None:
        d = dataclasses.replace(
            d, soak_s=args.soak_seconds, soak_warm_s=min(d.soak_warm_s, args.soak_seconds / 4)
        )
    if args.rounds is not None:
        d = dataclasses.replace(d, rounds=args.rounds)
    sync_n = frozenset(int(x) for x in args.sync_clients.split(",") if x)
    only = set(args.only.split(",")) if args.only else {"header", "throughput", "latency", "stall", "soak"}
    if d.soak_s <= 0:
        only.discard("soak")
    global KEEP_FRAME_BUFFERS
    KEEP_FRAME_BUFFERS = not args.default_malloc
    kept = keep_frame_buffers() if KEEP_FRAME_BUFFERS else False
    out: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "keep_frame_buffers": kept,
        "machine": machine(),
        "durations": d.__dict__,
    }
    out["queue"], out["credits"] = QUEUE, CREDITS
    out["layout"] = (
        "server: `python -m bridge.cli serve --source testpattern` in its own process; clients: AsyncClient(s) "
        "all on one event loop in the benchmark process, and sync Client(s), one thread each, where measured. Raw pyzmq: a sender process (PUSH, or REP for latency) "
        f"and the receivers (PULL sockets on one zmq.Poller, or REQ) in the benchmark process. credits = {CREDITS} = the raw "
        f"pair's queue depth (SNDHWM = RCVHWM = {QUEUE}; credits also count frames in kernel buffers and being "
        "read, so the raw pair holds as many frames in flight or more). "
        f"Throughput: {d.rounds} alternating rounds per figure against one server; medians and per-round ratios. "
        + (
            "glibc keeps freed frame buffers (bridge.transport.malloc, the AsyncClient default) in this process, "
            "so for the raw receivers too."
            if kept
            else "glibc's default trimming (--default-malloc or not glibc)."
        )
    )
    errors: list[str] = []
    out["errors"] = errors

    def attempt(name: str, fn: Any, *fn_args: Any) -> Any:
        """One measurement; a failure is recorded and the run goes on."""
        progress(name)
        try:
            return fn(*fn_args)
        except Exception as exc:
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            progress(f"{name} FAILED: {exc}")
            return None

    def with_server(transport: str, fn: Any, *fn_args: Any) -> Any:
        with server(transport, tmp) as (eps, proc):
            return fn(eps["control"], *fn_args) if fn is not soak else fn(eps["control"], proc, *fn_args)

    with tempfile.TemporaryDirectory(prefix="vpbench-") as tmpdir:
        tmp = Path(tmpdir)
        if "header" in only:
            out["header"] = attempt("header encode+decode", header_codec, 7, 2000 if args.quick else 20000)
        for transport in args.transports.split(","):
            res: dict[str, Any] = {}
            out[transport] = res
            if "throughput" in only:
                res.update(throughput(transport, d, tmp, attempt, sync_n, not args.no_floor))
            if "latency" in only:
                raw_l = attempt(f"{transport}: raw pyzmq latency at 30 fps", raw_latency, transport, d, tmp)
                vpb_l = attempt(
                    f"{transport}: vpbridge latency at 30 fps",
                    with_server,
                    transport,
                    vpb_latency,
                    d,
                )
                if raw_l and vpb_l:
                    res["latency_ms"] = {
                        name: {"p50": pct(xs, 50), "p99": pct(xs, 99), "n": len(xs)}
                        for name, xs in (("raw", raw_l), ("vpbridge", vpb_l))
                    }
        transport = args.transports.split(",")[0]
        if "stall" in only:
            st = attempt(
                f"{transport}: 7 clients alone, then 7 + 1 stalled (SIGSTOP)",
                with_server,
                transport,
                stalled,
                d,
            )
            if st:
                out["stall"] = st
        if "soak" in only:
            out["soak"] = attempt(
                f"{transport}: soak, 8 clients paced at 30 fps for {d.soak_s:g} s",
                with_server,
                transport,
                soak,
                d,
            )
    out["machine"]["loadavg_end"] = os.getloadavg()
    return out


def progress(what: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {what} ...", file=sys.stderr, flush=True)


def table(out: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str, str, str]] = []

    def row(name: str, value: str, base: str, ratio: str, target: str) -> None:
        rows.append((name, value, base, ratio, target))

    for transport in ("tcp", "ipc"):
        res = out.get(transport, {})
        for key in (
            "throughput_1",
            "throughput_1_sync",
            "throughput_1_floor",
            "throughput_8",
            "throughput_8_sync",
        ):
            t = res.get(key)
            if t:
                n = int(key.split("_")[1])
                kind = {"sync": "sync Client", "floor": "by-hand floor"}.get(
                    key.split("_")[-1], "AsyncClient"
                )
                ok = "ok" if t["ratio"] >= 0.9 else "MISS"
                if key.endswith("_floor"):
                    ok = "(diagnostic)"
                v, r = t["vpbridge"], t["raw"]
                row(
                    f"{transport} {n} {kind}{'s' if n > 1 else ''} frames/s (median of {t['rounds']})",
                    f"{v['fps']['median']:.1f} ({v['fps']['min']:.0f}–{v['fps']['max']:.0f})",
                    f"{r['fps']['median']:.1f} ({r['fps']['min']:.0f}–{r['fps']['max']:.0f})",
                    f"{t['ratio']:.2f}× ({t['ratio_min']:.2f}–{t['ratio_max']:.2f})",
                    ok if ok == "(diagnostic)" else f"≥0.90× {ok}",
                )
                row(
                    f"{transport} {n} {kind}{'s' if n > 1 else ''} CPU ms/frame, both ends",
                    f"{v['cpu_ms_per_frame']['median']:.2f}",
                    f"{r['cpu_ms_per_frame']['median']:.2f}",
                    f"{t['cpu_ratio']:.2f}×",
                    "",
                )
        lat = res.get("latency_ms")
        if lat:
            for q in ("p50", "p99"):
                r, v = lat["raw"][q], lat["vpbridge"][q]
                row(f"{transport} latency {q} @30fps (ms)", f"{v:.2f}", f"{r:.2f}", f"{v / r:.2f}×", "")
    h = out.get("header")
    if h:
        ok = "ok" if h["msgspec_roundtrip_us"] < 10 else "MISS"
        row(
            f"header enc+dec µs ({h['bytes']} B), vs msgpack",
            f"{h['msgspec_roundtrip_us']:.2f}",
            f"{h['msgpack_roundtrip_us']:.2f}",
            f"{h['msgspec_roundtrip_us'] / h['msgpack_roundtrip_us']:.2f}×",
            f"<10 µs {ok}",
        )
    s = out.get("stall")
    if s:
        ok = "ok" if s["ratio"] >= 0.95 else "MISS"
        row(
            "7 clients frames/s with 1 stalled, vs alone",
            f"{s['seven_with_stalled_fps']:.1f}",
            f"{s['seven_alone_fps']:.1f}",
            f"{s['ratio']:.2f}×",
            f"≥0.95× {ok}",
        )
    k = out.get("soak")
    if k:
        ok = "ok" if k["growth_pct"] < 5 else "MISS"
        row(
            f"server RSS MB, {k['seconds']:g} s soak (8×30 fps)",
            f"{k['rss_end_mb']:.1f}",
            f"{k['rss_after_warmup_mb']:.1f}",
            f"{k['growth_pct']:+.1f}%",
            f"<5% {ok}",
        )
        row(
            "soak aggregate frames/s (target 240)",
            f"{k['aggregate_fps']:.1f}",
            "240",
            f"{k['aggregate_fps'] / 240:.2f}×",
            "",
        )
    head = ("figure", "vpbridge", "baseline", "ratio", "target")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for e in out.get("errors", []):
        lines.append(f"FAILED {e}")
    # The 1-client figures share one list of raw runs: each run once.
    runs = {
        id(run): run
        for transport in ("tcp", "ipc")
        for key, t in out.get(transport, {}).items()
        if key.startswith("throughput_")
        for side in ("raw", "vpbridge")
        for run in t[side]["runs"]
    }
    other = [run.get("other_cpu_cores", 0.0) for run in runs.values()]
    if other:
        lines.append(
            f"\nCPU outside the measured processes during the throughput runs (other work, kernel threads, steal): "
            f"median {statistics.median(other):.2f}, max {max(other):.2f} cores; "
            f"{sum(o > OTHER_CPU_NOTE for o in other)} of {len(other)} runs over {OTHER_CPU_NOTE}"
        )
    mc = out["machine"]
    lines.append(
        f"\n{mc['cpu_count']} CPUs ({mc['cpu']}), Python {mc['python']}, pyzmq {mc['pyzmq']} / libzmq {mc['libzmq']}, "
        f"load {mc['loadavg_start'][0]:.2f} → {mc['loadavg_end'][0]:.2f}; baselines measured in the same run"
    )
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="short durations and a 20 s soak (smoke run)")
    p.add_argument("--soak-seconds", type=float, help="soak length (default 300, --quick 20; 0 skips it)")
    p.add_argument(
        "--default-malloc",
        action="store_true",
        help="leave glibc's trimming as it is (AsyncClient(keep_frame_buffers=False)) for raw and vpbridge",
    )
    p.add_argument("--rounds", type=int, help="alternating throughput rounds (default 5, --quick 2)")
    p.add_argument(
        "--queue",
        type=int,
        choices=range(1, 33),
        metavar="N",
        help="raw SNDHWM = RCVHWM = N and vpbridge credits = 2N (default 3: 6 frames in flight, 1..32)",
    )
    p.add_argument("--transports", default="tcp,ipc", help="comma list of tcp, ipc (default both)")
    p.add_argument(
        "--no-floor",
        action="store_true",
        help="skip the 1-client rounds of a hand-written protocol loop (the floor of any Python client)",
    )
    p.add_argument(
        "--sync-clients",
        default="1",
        choices=["", "1", "8", "1,8"],
        help="client counts also measured with the sync Client, one thread each (default 1; '' for none)",
    )
    p.add_argument("--only", help="comma list of header, throughput, latency, stall, soak (default all)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "stream.json", help="JSON output")
    p.add_argument("--role", help=argparse.SUPPRESS)
    p.add_argument("--role-arg", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.queue is not None:
        global QUEUE, CREDITS
        QUEUE, CREDITS = args.queue, 2 * args.queue
        os.environ["VPB_BENCH_QUEUE"] = str(QUEUE)  # the raw sender process reads it at import
    if args.role:
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        {"raw-push": role_raw_push, "raw-rep": role_raw_rep, "stalled": role_stalled}[args.role](
            args.role_arg
        )
        return 0
    out = run(args)
    print(table(out))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
