"""OpenXR viewer benchmark, through the real loader and the project's headless runtime.

Local mode: the viewer's frame time (wait → locate → render both eyes → blit → overlays → submit,
the scouting tools on) next to a bare render of the same two views with the same renderer in this
process (no OpenXR, no blit, no tools), in the same run. Stream mode: per-stage latency from the
pose sampled (xrWaitFrame returned) to the frame carrying it submitted, next to the server's render
time alone for those frames. Prints a table, writes JSON (default out/bench_xr.json).

    .venv/bin/python bench/xr.py [--scene studio_set] [--eye 480x432] [--frames 40]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("EGL_PLATFORM", "surfaceless")

from bridge import world
from bridge.client_sync import Client
from bridge.render.renderer import SceneRenderer
from bridge.render.source import FovAngles, RenderJob, View
from bridge.server import ServerConfig, ServerThread
from bridge.server.sources import source_factory
from vpbridge_xr.headless import HeadlessRuntime, Recording, Script
from vpbridge_xr.local_scene import LocalScene
from vpbridge_xr.poses import matrix_from_pose, quat_from_matrix

TOUCH = "/interaction_profiles/oculus/touch_controller"


def _size(text: str) -> tuple[int, int]:
    w, h = (int(v) for v in text.lower().split("x"))
    return w, h


def _rot_y(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _script(eye: tuple[int, int], frames: int, hz: float = 0.0) -> Script:
    s = Script(profile=TOUCH, view_size=eye, exit_after=frames, throttle_hz=hz)
    for i in range(frames):  # a slow look around: every frame a new pose
        q = quat_from_matrix(_rot_y(np.radians(1.5 * i)))
        s.head(i, (0.0, 1.6, 0.0, *q))
    s.hand(0, "right", (0.2, 1.3, -0.3, 0.0, 0.0, 0.0, 1.0))
    return s


def run_viewer(
    runtime: HeadlessRuntime,
    endpoint: str,
    eye: tuple[int, int],
    frames: int,
    tmp: Path,
    *args: str,
    hz: float = 0.0,
) -> tuple[dict[str, Any], Recording]:
    script = _script(eye, frames, hz).write(tmp / "script.txt")
    record = tmp / "record"
    summary = tmp / "summary.json"
    env = {**os.environ, **runtime.env(script, record, validation=False)}
    proc = subprocess.run(
        [sys.executable, "-m", "bridge.cli", "xr", endpoint, "--summary", str(summary), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    if proc.returncode != 0:
        raise SystemExit(f"viewer failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(summary.read_text()), Recording.load(record)


def bare_render_ms(local: LocalScene, params: dict[str, Any], rec: Recording, eye: tuple[int, int]) -> float:
    """Median ms to render the recorded two views per frame with the renderer alone (GPU-resident)."""
    renderer = SceneRenderer(local.scene)
    try:
        times = []
        for f in rec.frames:
            if not f["layers"]:
                continue
            views = f["layers"][0]["views"]
            near, far = (
                (views[0]["depth"]["near"], views[0]["depth"]["far"]) if views[0]["depth"] else (0.05, 2000.0)
            )
            t0 = time.perf_counter()
            for v in views:
                p = v["pose"]
                job = RenderJob(
                    views=[View(matrix_from_pose(p[:3], p[3:]), FovAngles(*v["fov"]))],
                    width=eye[0],
                    height=eye[1],
                    near=near,
                    far=far,
                    params=params,
                )
                renderer.render(job, readback=False)
            renderer.ctx.finish()
            times.append((time.perf_counter() - t0) * 1e3)
        return float(np.median(times[2:] if len(times) > 4 else times))
    finally:
        renderer.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scene", default="studio_set", help="shipped spec name (default studio_set)")
    ap.add_argument("--eye", type=_size, default=(480, 432), help="per-eye size WxH (default 480x432)")
    ap.add_argument("--frames", type=int, default=40, help="local-mode frames")
    ap.add_argument("--stream-frames", type=int, default=270, help="stream-mode frames at 90 Hz (3 s)")
    ap.add_argument("--out", type=Path, default=Path("out/bench_xr.json"))
    args = ap.parse_args()
    scene = world.build_scene(world.load_spec(args.scene))
    results: dict[str, Any] = {
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "scene": args.scene,
        "eye": list(args.eye),
        "frames": args.frames,
    }
    with (
        tempfile.TemporaryDirectory() as td,
        ServerThread(
            ServerConfig(port=0, history_path="none", cache_bytes=0), source_factory("scene", scene), scene
        ) as srv,
    ):
        tmp = Path(td)
        endpoint = srv.endpoints["control"]
        runtime = HeadlessRuntime.build(tmp / "runtime")
        with Client(endpoint, timeout=60) as c:
            local = LocalScene.fetch(c)
            params = local.params(c)
        (tmp / "local").mkdir()
        summary, rec = run_viewer(runtime, endpoint, args.eye, args.frames, tmp / "local")
        bare = bare_render_ms(local, params, rec, args.eye)
        viewer = float(summary["frame_ms_p50"])
        results["local"] = {
            "viewer_frame_ms_p50": viewer,
            "bare_render_ms_p50": bare,
            "ratio": viewer / bare,
            "render_ms_p50": summary["stages"].get("render_ms", {}).get("p50"),
        }
        # Stream mode at a headset's pace (the runtime throttles xrWaitFrame to 90 Hz), once per
        # credit setting: the default 1 (a pose never waits behind a render) and 2 (server never idle).
        for credits in (1, 2):
            d = tmp / f"stream{credits}"
            d.mkdir()
            s2, _ = run_viewer(
                runtime,
                endpoint,
                args.eye,
                args.stream_frames,
                d,
                "--mode",
                "stream",
                "--no-tools",
                "--stream-credits",
                str(credits),
                hz=90.0,
            )
            st = s2["stages"]
            p2s = st.get("pose_to_submit_ms", {}).get("p50", float("nan"))
            render = st.get("server_render", {}).get("p50", float("nan"))
            received = st.get("server_render", {}).get("n", 0)
            results[f"stream_credits_{credits}"] = {
                "pose_to_submit_ms_p50": p2s,
                "server_render_ms_p50": render,
                "ratio": p2s / render if render else float("nan"),
                "new_frames_per_s": received / (args.stream_frames / 90.0),
                "render_bound_fps": 1e3 / render if render else float("nan"),
                "stages_p50": {k: v["p50"] for k, v in st.items()},
                "viewer_frame_ms_p50": s2["frame_ms_p50"],
            }
    lo = results["local"]
    print(f"XR viewer, {args.scene}, {args.eye[0]}x{args.eye[1]} per eye, {args.frames} frames (same run)")
    print(f"{'':34}{'ms (p50)':>10}{'ratio':>8}")
    print(f"{'local: bare render of both views':34}{lo['bare_render_ms_p50']:10.1f}{1.0:8.2f}")
    print(f"{'local: viewer frame (tools on)':34}{lo['viewer_frame_ms_p50']:10.1f}{lo['ratio']:8.2f}")
    for credits in (1, 2):
        so = results[f"stream_credits_{credits}"]
        print(f"stream, {credits} credit(s), runtime at 90 Hz")
        print(f"{'  server render alone':34}{so['server_render_ms_p50']:10.1f}{1.0:8.2f}")
        print(f"{'  pose sampled -> submitted':34}{so['pose_to_submit_ms_p50']:10.1f}{so['ratio']:8.2f}")
        print(
            f"  new frames/s {so['new_frames_per_s']:.1f} "
            f"({so['new_frames_per_s'] / so['render_bound_fps']:.2f}x of 1/render time)"
        )
        for k, v in so["stages_p50"].items():
            print(f"    stage {k:<28}{v:10.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
