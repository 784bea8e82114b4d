"""World-building benchmark: build time, triangles and peak memory for each builder at a few sizes
(how cost grows with size), GLB export time, and import time for a large mesh and a large point
cloud. Prints a table and writes JSON (default out/bench_world.json).

    .venv/bin/python bench/world.py [--quick] [--out out/bench_world.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.world import build_scene, default_scene, export_glb, import_file, load_spec
from bridge.world.scene import Scene


def measure(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, seconds, peak traced Python/numpy memory in MiB) of one call."""
    tracemalloc.start()
    t0 = time.perf_counter()
    result = fn()
    dt = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, dt, peak / 2**20


def build_rows(quick: bool) -> list[dict[str, Any]]:
    rows = []
    sizes = {"neon_city": [200.0, 420.0, 800.0], "desert_canyon": [450.0, 900.0, 1800.0],
             "coastal_village": [300.0, 600.0, 1200.0], "studio_set": [0.0]}  # fmt: skip
    for name, size_list in sizes.items():
        for size in size_list[:2] if quick else size_list:
            spec = load_spec(name)
            if size:
                ratio = size / spec.size_m
                spec.size_m = size
                spec.terrain.resolution = max(64, int(spec.terrain.resolution * ratio))
            scene, dt, peak = measure(partial(build_scene, spec))
            glb, dt_glb, peak_glb = measure(partial(export_glb, scene))
            rows.append({"case": f"build {name}", "size_m": size or None, "triangles": scene.triangle_count, "seconds": round(dt, 3),
                         "peak_mib": round(peak, 1), "export_seconds": round(dt_glb, 3), "glb_mb": round(len(glb) / 1e6, 2),
                         "export_peak_mib": round(peak_glb, 1)})  # fmt: skip
    scene, dt, peak = measure(default_scene)
    rows.append(
        {
            "case": "default_scene()",
            "size_m": 420.0,
            "triangles": scene.triangle_count,
            "seconds": round(dt, 3),
            "peak_mib": round(peak, 1),
        }
    )
    return rows


def import_rows(quick: bool) -> list[dict[str, Any]]:
    import trimesh

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        sub = 6 if quick else 7  # icosphere: 20·4^n faces -> 82k / 328k triangles
        trimesh.creation.icosphere(subdivisions=sub, radius=5.0).export(d / "big.ply")
        scene, dt, peak = measure(lambda: import_file(d / "big.ply"))
        rows.append(
            {
                "case": "import mesh PLY",
                "triangles": scene.triangle_count,
                "seconds": round(dt, 3),
                "peak_mib": round(peak, 1),
            }
        )
        scene = default_scene()
        (d / "city.glb").write_bytes(export_glb(scene))
        imported, dt, peak = measure(lambda: import_file(d / "city.glb"))
        rows.append(
            {
                "case": "import city GLB",
                "triangles": imported.triangle_count,
                "seconds": round(dt, 3),
                "peak_mib": round(peak, 1),
            }
        )
        n = 200_000 if quick else 1_000_000
        rng = np.random.default_rng(0)
        pts = rng.normal(size=(n, 3))
        pts /= np.linalg.norm(pts, axis=1, keepdims=True)
        pts *= 1.0 + 0.05 * np.sin(pts[:, :1] * 12)
        np.savetxt(d / "cloud.xyz", pts, fmt="%.5f")
        imported, dt, peak = measure(lambda: import_file(d / "cloud.xyz"))
        rows.append({"case": f"import {n:,}-point cloud (Poisson)", "points": n, "triangles": imported.triangle_count,
                     "seconds": round(dt, 3), "peak_mib": round(peak, 1)})  # fmt: skip
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer, smaller cases")
    ap.add_argument("--out", type=Path, default=Path("out/bench_world.json"))
    args = ap.parse_args()
    default_scene()  # warm imports and caches so the first row is not penalised
    rows = build_rows(args.quick) + import_rows(args.quick)
    print(
        f"{'case':<36} {'size m':>7} {'triangles':>10} {'build s':>8} {'peak MiB':>9} {'export s':>9} {'GLB MB':>7}"
    )
    for r in rows:
        size = f"{r['size_m']:.0f}" if r.get("size_m") else "-"
        print(f"{r['case']:<36} {size:>7} {r['triangles']:>10,} {r['seconds']:>8.2f} {r['peak_mib']:>9.1f} "
              f"{r.get('export_seconds', float('nan')):>9.2f} {r.get('glb_mb', float('nan')):>7.1f}")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": __import__("os").cpu_count(),
    }
    args.out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Scene", "main", "measure"]
