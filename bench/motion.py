"""Motion benchmark: planning time for a ~10-second path across the default city, with the straight
route open and with buildings on it, as a ratio to a same-run baseline (the straight-line clearance
check alone). Prints a table and writes JSON (default out/bench_motion.json).

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
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "build_ms": round(build_s * 1e3, 1),
    }
    args.out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
