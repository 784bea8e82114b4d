"""Motion benchmark: planning time for a ~10-second path across the default city, with the straight
route open and with buildings on it, as a ratio to a same-run baseline (the straight-line clearance
check alone). Then, served perspectives (studio_set, test-pattern frames, 96×64): choice-to-first-frame
latency with predictive start (plans cached) as a ratio to without (plans dropped before the choice),
and the rate of streamed transition frames as a ratio to plain pose requests at the same size.
Prints tables and writes JSON (default out/bench_motion.json).

    .venv/bin/python bench/motion.py [--repeat 5] [--out out/bench_motion.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.motion import Planner
from bridge.world import default_scene

# (case, start, goal, preset): both paths last about 10 s
CASES = [
    ("open street, 100 m", (-8.5, 1.7, -1.5), (91.5, 1.7, -1.5), "fast"),
    ("through blocks, 80 m", (-8.5, 1.7, -1.5), (-8.5, 1.7, -80.0), "fast"),
]


def best_of(repeat: int, fn: Any) -> tuple[Any, float]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, float(np.median(times))


def _first_frame_s(st: Any, name: str, fps: float) -> float:
    st.grant(3)
    t0 = time.monotonic_ns()
    st.choose(name, preset="fast", fps=fps)
    f = st.next_frame(10.0)
    while f.header.perspective != name:
        st.grant(1)
        f = st.next_frame(10.0)
    return (f.t_received_ns - t0) / 1e9


def perspectives_bench(repeat: int, fps: float = 60.0) -> dict[str, Any]:
    """Latency of a choice with and without predictive start, and transition vs plain frame rate."""
    import bridge.world as world
    from bridge.client_sync import Client
    from bridge.server import ServerConfig, ServerThread

    scene = world.build_scene(world.load_spec("studio_set"))
    spawn = scene.bookmark("spawn").T_world_camera
    names = ["sofa_closeup", "dolly_start"]
    with_pred: list[float] = []
    without: list[float] = []
    with ServerThread(ServerConfig(port=0, history_path=None), scene=scene) as srv:
        assert srv.server is not None
        service = srv.server.perspectives
        with Client(srv.endpoints["control"]) as c:
            st = c.open_stream(width=96, height=64, depth="none")
            for i in range(repeat):
                for predicted in (True, False):
                    st.render(spawn)  # back at rest at the spawn (a client pose ends any drive)
                    if predicted:
                        while not set(names) <= set(st.perspectives().ready):
                            time.sleep(0.02)
                    else:
                        srv.call(lambda s: s.perspectives.plans.clear())
                    out = with_pred if predicted else without
                    out.append(_first_frame_s(st, names[i % 2], fps))
            # transition frames: drive a full path, granting as frames arrive
            st.render(spawn)
            st.grant(3)
            duration = st.choose("dolly_start", preset="fast", fps=240.0)
            n, t0 = 0, time.perf_counter()
            while True:
                st.grant(3)
                f = st.next_frame(10.0)
                n += 1
                if f.header.perspective == "dolly_start" and abs(f.header.t_path - duration) < 1e-9:
                    break
            drive_fps = n / (time.perf_counter() - t0)
            # plain pose requests, pipelined the same way (3 credits), newest wins
            path_poses = [np.asarray(spawn, np.float64).copy() for _ in range(200)]
            for k, pose in enumerate(path_poses):
                pose[0, 3] += 0.001 * k  # distinct poses: no frame-cache hits
            st.grant(3)
            t0 = time.perf_counter()
            for pose in path_poses:
                st.request(pose)
                st.grant(3)
                st.next_frame(10.0)
            plain_fps = len(path_poses) / (time.perf_counter() - t0)
        del service
    med_p, med_n = float(np.median(with_pred)), float(np.median(without))
    return {
        "size": "96x64",
        "fps_asked": fps,
        "first_frame_ms_predicted": round(med_p * 1e3, 2),
        "first_frame_ms_unpredicted": round(med_n * 1e3, 2),
        "latency_ratio": round(med_p / med_n, 3),
        "frame_interval_ms": round(1e3 / fps, 2),
        "transition_fps": round(drive_fps, 1),
        "plain_pose_fps": round(plain_fps, 1),
        "rate_ratio": round(drive_fps / plain_fps, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path("out/bench_motion.json"))
    args = ap.parse_args()
    scene = default_scene()
    planner, build_s = best_of(1, lambda: Planner(scene))
    rows: list[dict[str, Any]] = []
    for case, a, b, preset in CASES:
        a_, b_ = np.array(a), np.array(b)
        _, base = best_of(args.repeat, lambda a_=a_, b_=b_: planner.field.segment_clear(a_, b_, 0.4))
        path, dt = best_of(
            args.repeat, lambda a=a, b=b, preset=preset: Planner.plan(planner, a, b, preset=preset)
        )
        st = planner.last_stats
        rows.append({"case": case, "preset": preset, "straight_open": st["straight"], "path_s": round(path.duration, 2),
                     "length_m": round(path.length, 1), "plan_ms": round(dt * 1e3, 1),
                     "baseline_ms": round(base * 1e3, 3), "ratio": round(dt / base, 1), "bricks": st["bricks"]})  # fmt: skip
    print(
        f"default city: {scene.triangle_count:,} triangles; distance structure built in {build_s * 1e3:.0f} ms"
    )
    print(f"{'case':<24}{'path s':>8}{'m':>8}{'plan ms':>10}{'line ms':>10}{'ratio':>8}{'bricks':>8}")
    for r in rows:
        print(f"{r['case']:<24}{r['path_s']:>8}{r['length_m']:>8}{r['plan_ms']:>10}{r['baseline_ms']:>10}{r['ratio']:>8}{r['bricks']:>8}")  # fmt: skip
    persp = perspectives_bench(args.repeat)
    print("\nperspectives (studio_set, test-pattern frames 96x64, medians):")
    for k, v in persp.items():
        print(f"  {k:<28}{v}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "build_ms": round(build_s * 1e3, 1),
    }
    args.out.write_text(json.dumps({"meta": meta, "rows": rows, "perspectives": persp}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
