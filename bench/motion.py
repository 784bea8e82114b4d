"""Motion benchmark: planning time for a ~10-second path across the default city, with the straight
route open and with buildings on it, as a ratio to a same-run baseline (the straight-line clearance
check alone). Interruptions on the studio set: a replanned path's duration as a ratio to a fresh plan
from a standing start at the switch pose plus the braking time. Then, served perspectives (studio_set):
choice-to-first-frame latency with predictive start off (plans and cached frames dropped before the
choice), with transitions planned ahead, and with their first frames also rendered ahead, as ratios to
predictive start off and to the frame interval; with the test pattern (96×64) and, where GL works, the
scene renderer (640×360); and the rate of streamed transition frames as a ratio to plain pose requests.
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


def _first_frame_s(st: Any, name: str, fps: float) -> tuple[float, bool]:
    """Seconds from a choice to its first transition frame, and whether that frame was rendered ahead."""
    st.grant(3)
    t0 = time.monotonic_ns()
    st.choose(name, preset="fast", fps=fps)
    f = st.next_frame(30.0)
    while f.header.perspective != name:
        st.grant(1)
        f = st.next_frame(30.0)
    return (f.t_received_ns - t0) / 1e9, f.header.times.t_render_start == f.header.times.t_render_end


MODES = ("none", "plans", "plans+frames")
"""Predictive start off (plans and cached frames dropped before the choice); transitions planned ahead
only; planned ahead and their first frames rendered ahead (the default)."""


def latency_bench(source: str, size: tuple[int, int], repeat: int, fps: float = 24.0) -> dict[str, Any]:
    """Choice-to-first-frame latency in each mode (medians), as ratios to predictive start off."""
    import bridge.world as world
    from bridge.client_sync import Client
    from bridge.server import ServerConfig, ServerThread
    from bridge.server.sources import source_factory

    scene = world.build_scene(world.load_spec("studio_set"))
    spawn = scene.bookmark("spawn").T_world_camera
    names = ["sofa_closeup", "dolly_start"]
    out: dict[str, list[float]] = {k: [] for k in MODES}
    ahead: dict[str, int] = {k: 0 for k in MODES}
    with ServerThread(ServerConfig(port=0, history_path=None), source_factory(source, scene), scene) as srv:
        with Client(srv.endpoints["control"]) as c:
            st = c.open_stream(width=size[0], height=size[1], depth="none")
            st.render(spawn)
            _first_frame_s(st, names[0], fps)  # warm up: the preset and fps the stream uses
            for i in range(repeat):
                for mode in MODES:
                    srv.call(
                        lambda s, mode=mode: setattr(s.perspectives, "prerender", mode == "plans+frames")
                    )
                    st.render(spawn)  # back at rest at the spawn (a client pose ends any drive)
                    if mode == "none":
                        srv.call(lambda s: (s.perspectives.plans.clear(), s.studio.cache.clear()))
                    else:
                        while not set(names) <= set(st.perspectives().ready):
                            time.sleep(0.01)
                        if mode == "plans":
                            srv.call(lambda s: s.studio.cache.clear())
                        else:
                            while not set(names) <= set(
                                srv.call(lambda s: s.perspectives.prerendered(st.id))
                            ):  # type: ignore[arg-type]
                                time.sleep(0.01)
                    latency, from_cache = _first_frame_s(st, names[i % 2], fps)
                    out[mode].append(latency)
                    ahead[mode] += from_cache
    med = {k: float(np.median(v)) for k, v in out.items()}
    return {
        "source": source,
        "size": f"{size[0]}x{size[1]}",
        "fps": fps,
        "frame_interval_ms": round(1e3 / fps, 2),
        **{f"first_frame_ms[{k}]": round(med[k] * 1e3, 2) for k in MODES},
        **{f"ratio_to_none[{k}]": round(med[k] / med["none"], 3) for k in MODES[1:]},
        **{f"ratio_to_frame_interval[{k}]": round(med[k] * fps, 3) for k in MODES},
        "first_frames_rendered_ahead": f"{ahead['plans+frames']}/{repeat}",
    }


def rate_bench() -> dict[str, Any]:
    """The rate of streamed transition frames as a ratio to plain pose requests (test pattern, 96×64)."""
    import bridge.world as world
    from bridge.client_sync import Client
    from bridge.server import ServerConfig, ServerThread

    scene = world.build_scene(world.load_spec("studio_set"))
    spawn = scene.bookmark("spawn").T_world_camera
    with ServerThread(ServerConfig(port=0, history_path=None), scene=scene) as srv:
        with Client(srv.endpoints["control"]) as c:
            st = c.open_stream(width=96, height=64, depth="none")
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
    return {
        "size": "96x64",
        "transition_fps": round(drive_fps, 1),
        "plain_pose_fps": round(plain_fps, 1),
        "rate_ratio": round(drive_fps / plain_fps, 3),
        "ratio_to_fps_asked": round(drive_fps / 240.0, 3),  # the drive issues at most the fps asked
    }


def replan_bench(repeat: int) -> dict[str, Any]:
    """Interruptions on the studio set: replanned duration against a fresh plan from a standing start
    at the switch pose plus a jerk-limited stop (v/a + a/j), and replanning time against planning."""
    import bridge.world as world
    from bridge.motion import PRESETS

    scene = world.build_scene(world.load_spec("studio_set"))
    planner = Planner(scene)
    names = [b.name for b in scene.bookmarks]
    ratios, plan_s, replan_s, kinds = [], [], [], []
    for preset in ("comfortable", "fast"):
        pr = PRESETS[preset]
        for a in names:
            for b in names:
                if a == b:
                    continue
                old = planner.plan(a, b, preset=preset)
                t = 0.5 * old.duration
                goal = names[(names.index(b) + 2) % len(names)]
                new, dt_re = best_of(
                    repeat, lambda old=old, t=t, goal=goal, pre=preset: planner.replan(old, t, goal, pre)
                )
                kinds.append(new.meta["replan"])
                pose, vel = old.sample(t)
                fresh, dt_plan = best_of(
                    repeat, lambda pose=pose, goal=goal, pre=preset: planner.plan(pose, goal, preset=pre)
                )
                braking = float(np.linalg.norm(vel)) / pr.max_accel + pr.max_accel / pr.max_jerk
                ratios.append(new.duration / (fresh.duration + braking))
                plan_s.append(dt_plan)
                replan_s.append(dt_re)
    return {
        "cases": len(ratios),
        "duration_ratio_median": round(float(np.median(ratios)), 3),
        "duration_ratio_max": round(float(np.max(ratios)), 3),
        "replan_time_ratio_median": round(float(np.median(np.array(replan_s) / np.array(plan_s))), 2),
        "replan_ms_median": round(float(np.median(replan_s)) * 1e3, 1),
        "turned_on_the_move": kinds.count("turn"),
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
    rep = replan_bench(max(1, args.repeat // 2))
    print("\ninterruptions (studio_set, every pair, switch at half way, goal two shots on):")
    for k, v in rep.items():
        print(f"  {k:<36}{v}")
    persp: dict[str, Any] = {"latency": [], "rate": rate_bench()}
    for source, size in (("testpattern", (96, 64)), ("scene", (640, 360))):
        try:
            persp["latency"].append(latency_bench(source, size, args.repeat))
        except Exception as exc:  # no GL here: the scene renderer is optional for this bench
            print(f"  ({source} {size[0]}x{size[1]} skipped: {exc})")
    print("\nperspectives (studio_set, choice-to-first-frame medians; predictive start off = 1):")
    for row in persp["latency"]:
        print(
            f"  {row['source']} {row['size']} at {row['fps']:g} fps (frame interval {row['frame_interval_ms']} ms):"
        )
        for k, v in row.items():
            if k not in ("source", "size", "fps", "frame_interval_ms"):
                print(f"    {k:<44}{v}")
    print("  transition frames vs plain pose requests (test pattern 96x64):")
    for k, v in persp["rate"].items():
        print(f"    {k:<44}{v}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "build_ms": round(build_s * 1e3, 1),
    }
    args.out.write_text(
        json.dumps({"meta": meta, "rows": rows, "replan": rep, "perspectives": persp}, indent=2)
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
