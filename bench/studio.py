"""Studio benchmark: history commits per second with synchronous=FULL (what ships) and NORMAL (for
reference), against a bare SQLite insert with FULL in the same run (the fsync floor); transaction,
undo, log and checkout costs; frame-cache hit cost against a miss that renders the 1280×720 test
pattern; edit-to-broadcast latency (SetParams until every one of 1 or 16 subscribers has the
StateDelta) against a bare pyzmq PUB/SUB hop of the same bytes; a look change re-rendering 4 viewers at one
camera (renders shared) against 4 viewers at 4 cameras (same run, the default scene at 640×360).
Prints a table and writes JSON (default bench/results/studio.json).

    .venv/bin/python bench/studio.py [--quick] [--dir /path/on/the/disk/to/test] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.render.source import RenderJob, View, fov_from_vertical
from bridge.render.testpattern import TestPatternSource
from bridge.studio import FrameCache, History, defaults, frame_key_for_job, nbytes_of, params_hash


def per_second(n: int, fn: Callable[[int], object]) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - t0)


def raw_sqlite_rate(path: Path, n: int) -> float:
    """One-row INSERT transactions on a bare WAL/FULL database: the disk's fsync floor."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    row = json.dumps(defaults())

    def one(_: int) -> None:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (v) VALUES (?)", (row,))
        db.execute("COMMIT")

    try:
        return per_second(n, one)
    finally:
        db.close()


def history_rate(path: Path, n: int, sync: Any) -> float:
    with History(path, synchronous=sync) as h:
        return per_second(
            n, lambda i: h.commit({"seed": i + 1, "exposure_ev": (i % 20) / 4}, "bench", "edit")
        )


def commit_rows(tmp: Path, n: int, rounds: int) -> list[dict[str, Any]]:
    """Interleaved rounds (the disk's fsync latency drifts); the median of each is reported."""
    rates: dict[str, list[float]] = {"sqlite insert, FULL (floor)": [], "History.commit, FULL": [],
                                     "History.commit, NORMAL": []}  # fmt: skip
    for r in range(rounds):
        rates["sqlite insert, FULL (floor)"].append(raw_sqlite_rate(tmp / f"raw{r}.db", n))
        rates["History.commit, FULL"].append(history_rate(tmp / f"full{r}.db", n, "FULL"))
        rates["History.commit, NORMAL"].append(history_rate(tmp / f"normal{r}.db", n, "NORMAL"))
    floor = statistics.median(rates["sqlite insert, FULL (floor)"])
    return [
        {"case": case, "per_s": round(statistics.median(v)), "min_per_s": round(min(v)),
         "max_per_s": round(max(v)), "ratio_to_floor": round(statistics.median(v) / floor, 2)}
        for case, v in rates.items()
    ]  # fmt: skip


def op_rows(tmp: Path, n: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with History(tmp / "ops.db") as h:
        for i in range(200):
            h.commit({"seed": i + 1}, "bench")
        h.branch("noir")
        h.begin("bench")
        t0 = time.perf_counter()
        for i in range(n):
            h.update("bench", {"exposure_ev": (i % 100) / 10})
        rows.append(
            {"case": "transaction update (live, no disk)", "us": (time.perf_counter() - t0) / n * 1e6}
        )
        t0 = time.perf_counter()
        h.end("bench", "drag")
        rows.append({"case": "transaction end (one commit)", "us": (time.perf_counter() - t0) * 1e6})
        cases: list[tuple[str, Callable[[], object]]] = [
            ("undo", lambda: h.undo("bench")),
            ("log(limit=50)", lambda: h.log(limit=50)),
            ("checkout branch", lambda: h.checkout("noir" if h.current_branch == "main" else "main")),
            ("diff two branches", lambda: h.diff("main", "noir")),
        ]
        for case, fn in cases:
            k = 50
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            rows.append({"case": case, "us": (time.perf_counter() - t0) / k * 1e6})
    return [{**r, "us": round(r["us"], 1)} for r in rows]


def cache_rows(n: int) -> list[dict[str, Any]]:
    """Miss: render the 1280×720 test pattern at a new pose, copy out the parts, store. Hit: key + get."""
    source = TestPatternSource()
    fov = fov_from_vertical(0.9, 1280, 720)
    cache: FrameCache[list[Any]] = FrameCache(2 * 2**30)
    values = defaults()

    def job_at(i: int) -> RenderJob:
        T = np.eye(4)
        T[:3, 3] = (0.01 * i, 1.7, 5.0)
        return RenderJob(views=[View(T, fov)], width=1280, height=720, params=dict(values))

    def key_of(job: RenderJob) -> Any:
        return frame_key_for_job(
            job, scene_version=1, params_hash=params_hash(values), encodings=("rgba8", "f16")
        )

    def render(job: RenderJob) -> tuple[list[Any], int]:
        view = source.render(job).views[0]
        assert view.color is not None and view.depth is not None
        parts = [b"header", view.color.tobytes(), view.depth.astype(np.float16).tobytes()]
        return parts, nbytes_of(parts)

    jobs = [job_at(i) for i in range(n)]
    t0 = time.perf_counter()
    for job in jobs:
        cache.get_or_render(key_of(job), lambda job=job: render(job))  # type: ignore[misc]
    miss_us = (time.perf_counter() - t0) / n * 1e6
    first = cache.get(key_of(jobs[0]))
    reps = 20
    t0 = time.perf_counter()
    for _ in range(reps):
        for job in jobs:
            cache.get_or_render(key_of(job), lambda job=job: render(job))  # type: ignore[misc]
    hit_us = (time.perf_counter() - t0) / (reps * n) * 1e6
    assert cache.get(key_of(jobs[0])) is first
    t0 = time.perf_counter()
    for _ in range(reps):
        for job in jobs:
            key_of(job)
    key_us = (time.perf_counter() - t0) / (reps * n) * 1e6
    s = cache.stats()
    return [
        {"case": "miss: render 1280x720 test pattern + store", "us": round(miss_us, 1), "ratio_to_miss": 1.0},
        {"case": "hit: key + lookup (identical object)", "us": round(hit_us, 1),
         "ratio_to_miss": round(hit_us / miss_us, 5)},
        {"case": "of which key (params_hash + pose rounding)", "us": round(key_us, 1),
         "ratio_to_miss": round(key_us / miss_us, 5)},
        {"case": "entry size", "bytes": s.bytes // max(1, s.entries), "entries": s.entries},
    ]  # fmt: skip


def _sub(ctx: Any, endpoint: str) -> Any:
    import zmq

    from bridge.protocol import codec

    sock = ctx.socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SUBSCRIBE, codec.STATE_TOPIC)
    sock.connect(endpoint)
    return sock


def _wait_all(subs: list[Any], want_seq: int | None, decode: Callable[[bytes], Any]) -> None:
    """Receive on every subscriber until each has the delta (`want_seq`; None = any message)."""
    for sub in subs:
        while True:
            if not sub.poll(5000):
                raise TimeoutError("no state delta within 5 s")
            msg = decode(sub.recv_multipart()[1])
            if want_seq is None or getattr(msg, "seq", -1) >= want_seq:
                break


def broadcast_rows(tmp: Path, n: int) -> list[dict[str, Any]]:
    """Edit-to-broadcast: a director's SetParams (validated, committed with FULL, published) until every
    subscriber holds the StateDelta, against a bare PUB→SUB hop of the same delta bytes (same run)."""
    import zmq

    from bridge.protocol import codec
    from bridge.protocol import messages as m
    from bridge.server import ServerConfig, ServerThread

    rows: list[dict[str, Any]] = []
    cfg = ServerConfig(port=0, history_path=tmp / "broadcast.sqlite")
    ctx: Any = zmq.Context()
    with ServerThread(cfg) as srv:
        ctl = ctx.socket(zmq.DEALER)
        ctl.setsockopt(zmq.LINGER, 0)
        ctl.connect(srv.endpoints["control"])
        ctl.send(codec.encode(m.Hello(rid=1, protocol=m.PROTOCOL_VERSION, role="director")))
        assert isinstance(codec.decode_control_reply(ctl.recv()), m.Welcome)
        for n_subs in (1, 16):
            subs = [_sub(ctx, srv.endpoints["state"]) for _ in range(n_subs)]
            raw_pub = ctx.socket(zmq.PUB)
            raw_pub.setsockopt(zmq.LINGER, 0)
            port = raw_pub.bind_to_random_port("tcp://127.0.0.1")
            raw_subs = [_sub(ctx, f"tcp://127.0.0.1:{port}") for _ in range(n_subs)]
            time.sleep(0.3)  # slow joiners
            edit, raw = [], []
            payload = b""
            for i in range(n):
                req = m.SetParams(rid=i + 2, values={"exposure_ev": (i % 100) / 10 - 5.0 + 0.01})
                t0 = time.perf_counter()
                ctl.send(codec.encode(req))
                ok = codec.decode_control_reply(ctl.recv())
                assert isinstance(ok, m.Ok), ok
                _wait_all(subs, int(ok.detail), codec.decode_state)
                edit.append(time.perf_counter() - t0)
                payload = codec.encode(m.StateDelta(seq=i, values=req.values, author="bench"))
                t0 = time.perf_counter()
                raw_pub.send_multipart([codec.STATE_TOPIC, payload])
                _wait_all(raw_subs, None, lambda b: b)
                raw.append(time.perf_counter() - t0)
            e, r = statistics.median(edit) * 1e6, statistics.median(raw) * 1e6
            rows.append({"subscribers": n_subs, "edit_to_broadcast_us": round(e, 1),
                         "p99_us": round(sorted(edit)[int(0.99 * (n - 1))] * 1e6, 1),
                         "raw_pubsub_us": round(r, 1), "ratio_to_raw": round(e / r, 2),
                         "delta_bytes": len(payload)})  # fmt: skip
            for sock in (*subs, *raw_subs, raw_pub):
                sock.close(linger=0)
        ctl.close(linger=0)
    ctx.term()
    return rows


def shared_render_rows(tmp: Path, reps: int, viewers: int = 4) -> list[dict[str, Any]]:
    """A director's change re-renders every stream's last pose: the time until all `viewers` have their
    new frame when they watch one camera (the server renders it once and shares it) against the same
    number of viewers at as many cameras (one render each), alternating, same server and scene."""
    from bridge.client_sync import Client
    from bridge.server import ServerConfig, ServerThread
    from bridge.server.sources import load_scene, source_factory
    from bridge.world.scene import look_at

    def pose(i: int) -> np.ndarray:
        return look_at((-1.5 + 1.0 * i, 1.7, 8.0), (0.0, 1.5, 0.0))

    cfg = ServerConfig(port=0, history_path=tmp / "shared.sqlite")
    seconds: dict[str, list[float]] = {"one camera": [], "own cameras": []}
    shared: dict[str, list[int]] = {"one camera": [], "own cameras": []}
    k = 0
    scene = load_scene(None)
    with ServerThread(cfg, source_factory=source_factory("scene", scene), scene=scene) as srv:
        ep = srv.endpoints["control"]
        director = Client(ep, name="director", role="director")
        clients = [Client(ep, name=f"viewer{i}", follow_state=False) for i in range(viewers)]
        try:
            streams = [c.open_stream(width=640, height=360) for c in clients]
            for rep in range(reps + 1):  # the first round warms up (shaders, shadow map) and is dropped
                for mode in ("one camera", "own cameras") if rep % 2 else ("own cameras", "one camera"):
                    for i, st in enumerate(streams):  # each stream's last pose: the camera it watches
                        st.render(pose(0 if mode == "one camera" else i), timeout=120)
                    for st in streams:
                        st.grant(1)  # nothing pending: the change below is what renders
                    before = srv.call(lambda s: s.stats["shared_renders"])
                    k += 1
                    t0 = time.perf_counter()
                    director.set_params({"exposure_ev": 0.01 * k})
                    got = {st.next_frame(timeout=120).header.stream for st in streams}
                    dt = time.perf_counter() - t0
                    assert got == {st.id for st in streams}
                    if rep:
                        seconds[mode].append(dt)
                        shared[mode].append(int(srv.call(lambda s: s.stats["shared_renders"])) - int(before))
        finally:
            director.close()
            for c in clients:
                c.close()
    base = statistics.median(seconds["own cameras"])
    return [
        {
            "case": f"{viewers} viewers, {mode}",
            "ms": round(statistics.median(v) * 1e3, 1),
            "ratio_to_own_cameras": round(statistics.median(v) / base, 2),
            "shared_per_change": statistics.median(shared[mode]),
        }  # fmt: skip
        for mode, v in seconds.items()
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer commits and frames")
    ap.add_argument(
        "--dir", type=Path, default=None, help="where the test databases go (default: a temp dir)"
    )
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "studio.json")
    args = ap.parse_args()
    n, rounds, frames = (200, 3, 10) if args.quick else (500, 5, 30)
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        tmp = Path(d)
        commits = commit_rows(tmp, n, rounds)
        ops = op_rows(tmp, 2000)
        broadcast = broadcast_rows(tmp, 100 if args.quick else 400)
        sharing = shared_render_rows(tmp, 2 if args.quick else 5)
    cache = cache_rows(frames)

    print(f"history commits ({n} per round, median of {rounds} interleaved rounds; floor = bare sqlite)")
    for r in commits:
        print(f"  {r['case']:<32} {r['per_s']:>8}/s  [{r['min_per_s']}..{r['max_per_s']}]  "
              f"x{r['ratio_to_floor']} of floor")  # fmt: skip
    print("history operations")
    for r in ops:
        print(f"  {r['case']:<40} {r['us']:>9.1f} us")
    print("frame cache")
    for r in cache:
        if "us" in r:
            print(f"  {r['case']:<44} {r['us']:>9.1f} us  ({r['ratio_to_miss']} of a miss)")
        else:
            print(f"  {r['case']:<44} {r['bytes']} bytes x {r['entries']}")
    print("edit-to-broadcast (SetParams -> StateDelta at every subscriber, FULL commit; median)")
    for r in broadcast:
        print(f"  {r['subscribers']:>2} subscriber(s)  {r['edit_to_broadcast_us']:>8.1f} us  p99 {r['p99_us']:.1f} us  "
              f"raw PUB/SUB {r['raw_pubsub_us']:.1f} us  x{r['ratio_to_raw']}")  # fmt: skip
    print("a director's change re-rendering every viewer's camera (median; renders shared by the server)")
    for r in sharing:
        print(f"  {r['case']:<28} {r['ms']:>8.1f} ms  x{r['ratio_to_own_cameras']} of own cameras  "
              f"{r['shared_per_change']} shared per change")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
               "machine": platform.machine(), "system": platform.system()}  # fmt: skip
    args.out.write_text(
        json.dumps(
            {
                "machine": machine,
                "commits": commits,
                "operations": ops,
                "cache": cache,
                "broadcast": broadcast,
                "shared_renders": sharing,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
