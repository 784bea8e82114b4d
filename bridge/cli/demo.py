"""`vpbridge demo`: serve the default generated scene and stream it to a headless client end to end,
writing a clip, a contact sheet and stills to OUT and printing per-stage latency."""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
from PIL import Image

from bridge.cli._common import ProgressBar, parse_size, subparser
from bridge.client_sync import Client, Stream
from bridge.errors import VPBridgeError
from bridge.media import ClipWriter, contact_sheet, depth_to_rgb
from bridge.motion.keyframes import keyframe_path
from bridge.protocol import Fov
from bridge.protocol.frames import Frame
from bridge.server import ServerConfig, ServerThread
from bridge.server.sources import load_scene, source_factory
from bridge.world.scene import Scene, look_at

STAGES = ("queue", "render", "encode", "send", "transport", "total")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(
        sub,
        "demo",
        "serve the default scene and stream a fly-through to a headless client",
        "Builds the default scene, starts a server on free loopback ports, connects a headless client,\n"
        "streams a camera path through the scene's shots, and writes OUT/clip.mp4, OUT/contact_sheet.png,\n"
        "OUT/frame_first.png, OUT/depth_first.png, OUT/latency.json, OUT/scene.glb + manifest.json.",
        "vpbridge demo --out out --frames 48 --size 640x360",
    )
    p.add_argument("--out", type=Path, default=Path("out"), help="output folder (default out/)")
    p.add_argument("--frames", type=int, default=48, help="frames to stream (default 48)")
    p.add_argument("--fps", type=int, default=24, help="clip frame rate (default 24)")
    p.add_argument("--size", type=parse_size, default=(640, 360), help="frame size WxH (default 640x360)")
    p.add_argument(
        "--scene", metavar="SPEC", help="scene instead of the default (shipped name, .toml, mesh/scan)"
    )
    p.add_argument("--no-glb", action="store_true", help="skip exporting the scene as GLB")
    p.set_defaults(func=run)


def _camera_path(scene: Scene, n: int) -> tuple[list[np.ndarray], str]:
    """`n` poses through the scene's spawn point and shots along collision-aware planned transitions
    (cinematic preset); a keyframe spline or an orbit when the scene has no route or too few shots."""
    keys = [b for b in scene.bookmarks if b.kind == "spawn"] + [
        b for b in scene.bookmarks if b.kind == "shot"
    ]
    if len(keys) >= 2:
        try:
            from bridge.motion import CameraPath, Planner

            planner = Planner(scene, clearance=0.25)
            paths: list[CameraPath] = []
            names, here = [keys[0].name], keys[0]
            for nxt in keys[1:]:
                if len(paths) == 3:
                    break
                try:
                    paths.append(planner.plan(here.T_world_camera, nxt.T_world_camera, preset="cinematic"))
                except VPBridgeError:
                    continue  # a shot the planner cannot reach (e.g. inside the clearance) is skipped
                names.append(nxt.name)
                here = nxt
            if not paths:
                raise VPBridgeError("no shot is reachable from the spawn point")
            total = sum(p.duration for p in paths)
            poses = []
            for t in np.linspace(0.0, total, n):
                for p in paths:
                    if t <= p.duration or p is paths[-1]:
                        poses.append(p.sample(min(t, p.duration))[0])
                        break
                    t -= p.duration
            return poses, f"planned transitions (cinematic preset) through {', '.join(names)}"
        except VPBridgeError as exc:
            print(f"planner: {exc}; using a keyframe path")
        return keyframe_path([b.T_world_camera for b in keys[:6]], n), "keyframe path through the shots"
    lo, hi = scene.bounds()
    c, r = (lo + hi) / 2, max(float(np.linalg.norm(hi - lo)) / 2, 1.0)
    orbit = [
        look_at((c[0] + r * math.sin(a), c[1] + r * 0.3, c[2] + r * math.cos(a)), c)
        for a in np.linspace(0, 2 * math.pi, n, endpoint=False)
    ]
    return orbit, "orbit around the scene"


def run(args: argparse.Namespace) -> int:
    if args.frames < 2:
        raise argparse.ArgumentTypeError("--frames must be at least 2")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    bar = ProgressBar("building scene")
    t0 = time.monotonic()
    scene = load_scene(args.scene, progress=bar)
    build_s = time.monotonic() - t0
    bar.done(f"{scene.name}: {scene.triangle_count:,} triangles, {len(scene.bookmarks)} bookmarks")
    print(f"provenance: {scene.provenance.summary()}")
    if not args.no_glb:
        from bridge.world import export_glb, manifest

        (out / "scene.glb").write_bytes(export_glb(scene))
        (out / "manifest.json").write_text(json.dumps(manifest(scene), indent=2))
    poses, route = _camera_path(scene, args.frames)
    print(f"camera: {route}")
    w, h = args.size
    ty = math.tan(math.radians(60.0) / 2)
    tx = ty * w / h
    fov = Fov(left=-math.atan(tx), right=math.atan(tx), up=math.atan(ty), down=-math.atan(ty))
    with ServerThread(ServerConfig(port=0), source_factory("scene", scene), scene) as srv:
        print(f"server: control {srv.endpoints['control']}, frames {srv.endpoints['frames']}")
        with Client(srv.endpoints["control"], name="vpbridge-demo", timeout=60.0) as client:
            rtt = sorted(client.ping() * 1e3 for _ in range(5))[2]
            stream = client.open_stream(width=w, height=h, fov=fov, near=0.1, far=3000.0)
            frames, lat = _stream(stream, poses, ProgressBar("streaming"))
    colors = [np.asarray(f.color) for f in frames]
    with ClipWriter(out / "clip.mp4", args.fps, w, h) as clip:
        for c in colors:
            clip.write(c)
    picks = np.linspace(0, len(frames) - 1, min(12, len(frames))).round().astype(int)
    sheet_imgs = [colors[i] for i in picks[:8]] + [
        depth_to_rgb(np.asarray(frames[i].depth, np.float32)) for i in picks[:4]
    ]
    labels = [f"frame {i} · pose {frames[i].pose_id}" for i in picks[:8]] + [f"depth {i}" for i in picks[:4]]
    contact_sheet(sheet_imgs, labels).save(out / "contact_sheet.png")
    Image.fromarray(colors[0][..., :3]).save(out / "frame_first.png")
    Image.fromarray(depth_to_rgb(np.asarray(frames[0].depth, np.float32))).save(out / "depth_first.png")
    summary = _report(lat, rtt, build_s, scene, w, h)
    (out / "latency.json").write_text(json.dumps(summary, indent=2))
    print(
        f"wrote {out}/clip.mp4 ({len(frames)} frames at {args.fps} fps), {out}/contact_sheet.png, stills, latency.json"
        + ("" if args.no_glb else ", scene.glb + manifest.json")
    )
    return 0


def _stream(
    stream: Stream, poses: list[np.ndarray], bar: ProgressBar
) -> tuple[list[Frame], list[dict[str, float]]]:
    """Two frames in flight: every pose is sent while holding a credit, so none is replaced."""
    frames: list[Frame] = []
    lat: list[dict[str, float]] = []
    t0 = time.monotonic()
    stream.grant(2)
    sent = 0
    for _ in range(min(2, len(poses))):
        stream.request(poses[sent])
        sent += 1
    while len(frames) < len(poses):
        f = stream.next_frame(timeout=120.0)
        frames.append(f)
        lat.append(f.latency_ms())
        if sent < len(poses):
            stream.request(poses[sent], grant=1)  # the credit rides in the request (protocol 1.1)
            sent += 1
        bar(len(frames) / len(poses), f"frame {len(frames)}/{len(poses)}")
    fps = len(frames) / (time.monotonic() - t0)
    bar.done(f"{len(frames)} frames, {fps:.1f} fps")
    return frames, lat


def _report(lat: list[dict[str, float]], rtt: float, build_s: float, scene, w: int, h: int) -> dict:  # type: ignore[no-untyped-def, type-arg]
    print(
        f"\nper-stage latency over {len(lat)} frames at {w}x{h} (ms, from each frame's header; round trip {rtt:.2f} ms):"
    )
    print(f"  {'stage':<10} {'p50':>8} {'p95':>8} {'max':>8}")
    table = {}
    for stage in STAGES:
        vals = np.array([x[stage] for x in lat if stage in x])
        if len(vals):
            p50, p95, mx = np.percentile(vals, 50), np.percentile(vals, 95), vals.max()
            table[stage] = {"p50": p50, "p95": p95, "max": mx}
            print(f"  {stage:<10} {p50:8.2f} {p95:8.2f} {mx:8.2f}")
    print(
        "  (queue includes the wait behind the other frame in flight; total = pose sampled → frame received)"
    )
    return {
        "size": [w, h],
        "frames": len(lat),
        "rtt_ms": rtt,
        "scene_build_s": build_s,
        "triangles": scene.triangle_count,
        "stages_ms": table,
    }
