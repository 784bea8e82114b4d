"""Renderer benchmark on the default scene: frames/s with colour + depth readback (float16 depth, as the
server asks for it; `--depth-dtype float32` for the library default) at 1280x720 and 1920x1080 for full
shading, the bare floor (same triangles, minimal shaders, same readback) and
pyrender on the same meshes and cameras, in the same run; stereo and 360° cost relative to mono;
GL and CPU memory. Prints a table and writes JSON (default out/bench_render.json).

    PYOPENGL_PLATFORM=egl .venv/bin/python bench/render.py [--frames 8] [--out out/bench_render.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
os.environ.setdefault("EGL_PLATFORM", "surfaceless")

from bridge.render import RenderJob, SceneRenderer, View, fov_from_vertical
from bridge.render.renderer import create_context
from bridge.world import default_scene
from bridge.world.scene import Scene

FOV_Y = math.radians(60.0)


def poses(scene: Scene, n: int) -> list[np.ndarray]:
    """A dolly down the street: every frame a new pose, so nothing can be reused between frames."""
    T0 = scene.bookmark("street").T_world_camera
    out = []
    for i in range(n):
        T = T0.copy()
        T[:3, 3] += T0[:3, 2] * (-0.5 * i)  # forward along −Z
        out.append(T)
    return out


def fps(render: Callable[[np.ndarray], object], path: list[np.ndarray]) -> float:
    render(path[0])  # warm-up: shader compile, target allocation
    t0 = time.perf_counter()
    for T in path:
        render(T)
    return len(path) / (time.perf_counter() - t0)


def interleaved(
    systems: Mapping[str, Callable[[np.ndarray], object]], path: list[np.ndarray]
) -> dict[str, float]:
    """Frames/s from the median frame time, the systems taking turns frame by frame so that a noisy
    shared machine slows them all alike."""
    times: dict[str, list[float]] = {k: [] for k in systems}
    for fn in systems.values():
        fn(path[0])  # warm-up: shader compile, target allocation
    for T in path:
        for k, fn in systems.items():
            t0 = time.perf_counter()
            fn(T)
            times[k].append(time.perf_counter() - t0)
    return {k: 1.0 / float(np.median(v)) for k, v in times.items()}


DEPTH_DTYPE = "float16"


def job_for(T: np.ndarray, w: int, h: int, **kw: object) -> RenderJob:
    kw.setdefault("depth_dtype", DEPTH_DTYPE)
    return RenderJob([View(T, fov_from_vertical(FOV_Y, w, h))], w, h, **kw)  # type: ignore[arg-type]


def pyrender_renderer(scene: Scene, w: int, h: int) -> Callable[[np.ndarray], object] | None:
    try:
        import pyrender
        import trimesh
    except ImportError:
        print("pyrender not installed: pip install pyrender (baseline skipped)")
        return None
    prs = pyrender.Scene(ambient_light=(0.1, 0.1, 0.1))
    for m in scene.meshes:
        tm = trimesh.Trimesh(m.positions, m.indices, vertex_normals=m.normals, process=False)
        mat = scene.materials[m.material]
        pm = pyrender.MetallicRoughnessMaterial(
            baseColorFactor=mat.base_color, metallicFactor=mat.metallic, roughnessFactor=mat.roughness
        )
        poses_ = None if m.instances is None else m.instances.astype(np.float64)
        prs.add(pyrender.Mesh.from_trimesh(tm, material=pm, poses=poses_))
    sun = pyrender.DirectionalLight(intensity=3.0)
    sun_node = prs.add(sun, pose=np.eye(4))
    cam = prs.add(pyrender.PerspectiveCamera(yfov=FOV_Y, aspectRatio=w / h, znear=0.05, zfar=2000.0))
    r = pyrender.OffscreenRenderer(w, h)

    def render(T: np.ndarray) -> object:
        prs.set_pose(cam, T)
        prs.set_pose(sun_node, T)
        return r.render(prs)  # colour + depth, read back

    return render


def pyrender_fps(w: int, h: int, frames: int) -> float | None:
    """pyrender in a child process of this run: two EGL stacks (PyOpenGL's and moderngl's) do not share
    one process, and a child also keeps the two renderers' memory apart."""
    cmd = [sys.executable, __file__, "--pyrender-only", f"{w}x{h}", "--frames", str(frames)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        print(f"pyrender baseline failed: {out.stderr.strip().splitlines()[-1:]}")
        return None
    value = json.loads(out.stdout.strip().splitlines()[-1])
    return None if value is None else float(value)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--out", type=Path, default=Path("out/bench_render.json"))
    ap.add_argument("--no-pyrender", action="store_true")
    ap.add_argument("--day-hour", type=float, default=14.0, help="time of day of the day case (hours)")
    ap.add_argument(
        "--depth-dtype",
        choices=("float16", "float32"),
        default="float16",
        help="depth readback precision: float16 is what the server requests (default)",
    )
    ap.add_argument("--pyrender-only", metavar="WxH", help=argparse.SUPPRESS)
    args = ap.parse_args()
    global DEPTH_DTYPE
    DEPTH_DTYPE = args.depth_dtype
    scene = default_scene()
    if args.pyrender_only:
        w, h = (int(x) for x in args.pyrender_only.split("x"))
        pyr = pyrender_renderer(scene, w, h)
        print(json.dumps(fps(pyr, poses(scene, args.frames)) if pyr else None))
        return
    ctx = create_context()
    full = SceneRenderer(scene, ctx=ctx)
    bare = SceneRenderer(scene, ctx=ctx, bare=True)
    path = poses(scene, args.frames)
    day = {"time_of_day": args.day_hour}
    rows: list[dict[str, object]] = []
    for w, h in ((1280, 720), (1920, 1080)):
        row: dict[str, object] = {"size": f"{w}x{h}"}
        systems = {
            "full_night_fps": lambda T, w=w, h=h: full.render(job_for(T, w, h)),
            "full_day_fps": lambda T, w=w, h=h: full.render(job_for(T, w, h, params=day)),
            "bare_fps": lambda T, w=w, h=h: bare.render(job_for(T, w, h)),
        }
        row.update(interleaved(systems, path))
        row["pyrender_fps"] = None if args.no_pyrender else pyrender_fps(w, h, args.frames)
        pr = row["pyrender_fps"]
        row["full_night_over_bare"] = row["bare_fps"] / row["full_night_fps"]  # type: ignore[operator]
        row["full_day_over_bare"] = row["bare_fps"] / row["full_day_fps"]  # type: ignore[operator]
        if pr:
            row["speedup_vs_pyrender"] = row["full_night_fps"] / row["pyrender_fps"]  # type: ignore[operator]
        rows.append(row)
    w, h = 1280, 720
    m = interleaved(
        {
            "mono": lambda T: full.render(job_for(T, w, h)),
            "stereo": lambda T: full.render(job_for(T, w, h, projection="stereo")),
            "pano": lambda T: full.render(job_for(T, 2 * h, h, projection="equirect")),
            "pano_st": lambda T: full.render(job_for(T, 2 * h, h, projection="equirect_stereo")),
        },
        path,
    )
    mono, stereo, pano, pano_st = m["mono"], m["stereo"], m["pano"], m["pano_st"]
    modes = {
        "mono_fps": mono,
        "stereo_cost_x_mono": mono / stereo,
        "equirect_1440x720_cost_x_mono": mono / pano,
        "equirect_stereo_cost_x_mono": mono / pano_st,
    }
    mem = full.memory()
    mem["process_max_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"default scene: {scene.triangle_count:,} triangles, {len(scene.meshes)} meshes, {platform.node()}")
    keys = [
        "size",
        "full_night_fps",
        "full_day_fps",
        "bare_fps",
        "pyrender_fps",
        "full_night_over_bare",
        "full_day_over_bare",
        "speedup_vs_pyrender",
    ]
    print(" | ".join(keys))
    for row in rows:
        print(
            " | ".join(
                f"{row.get(k):.2f}" if isinstance(row.get(k), float) else str(row.get(k)) for k in keys
            )
        )
    for k, v in modes.items():
        print(f"{k}: {v:.2f}")
    for k, b in mem.items():
        print(f"{k}: {b / 2**20:.1f} MiB")
    meta = {
        "machine": platform.node(),
        "renderer": ctx.info["GL_RENDERER"],
        "triangles": scene.triangle_count,
        "frames": args.frames,
        "day_hour": args.day_hour,
        "depth_dtype": args.depth_dtype,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "rows": rows, "modes": modes, "memory": mem}, indent=1))
    full.close()
    bare.close()


if __name__ == "__main__":
    main()
