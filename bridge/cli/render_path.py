"""`vpbridge render-path`: render a camera path (a saved path.json, or planned through named shots)
to an H.264 MP4, with optional PNG and depth sequences."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from PIL import Image

from bridge.cli._common import ProgressBar, parse_size, subparser
from bridge.errors import ConfigError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparser(
        sub,
        "render-path",
        "render a camera path (path.json or shots) to an MP4 clip",
        "Renders every pose of a path at --fps with the scene renderer and writes an H.264 MP4 (PyAV).\n"
        "--shots plans collision-aware transitions through the named bookmarks/shots first.",
        "vpbridge render-path neon_city --shots spawn,crane,long_lens --fps 24 --size 960x540 -o clip.mp4",
    )
    p.add_argument("scene", metavar="SCENE", help="shipped scene name, spec .toml, or mesh/scan file")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--path", type=Path, help="a path.json written by `vpbridge plan`")
    src.add_argument("--shots", help="comma-separated bookmark/shot names to travel through, in order")
    p.add_argument(
        "--preset", default="cinematic", help="motion preset for --shots (comfortable, cinematic, fast)"
    )
    p.add_argument("--fps", type=int, default=24, help="frames per second (default 24)")
    p.add_argument("--size", type=parse_size, default=(960, 540), help="frame size WxH (default 960x540)")
    p.add_argument("--fov", type=float, default=60.0, help="vertical field of view in degrees (default 60)")
    p.add_argument("--look", default="neutral", help="colour grade: neutral, noir, vibrant, documentary")
    p.add_argument("--png-dir", type=Path, help="also write every frame as PNG here")
    p.add_argument(
        "--depth-dir", type=Path, help="also write every frame's depth (float32 .npy, metres) here"
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="output .mp4")
    p.set_defaults(func=run)


def _poses(args: argparse.Namespace, scene: object) -> list[np.ndarray]:
    from bridge.motion import CameraPath, Planner

    if args.path is not None:
        try:
            path = CameraPath.from_json(args.path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"`--path` file {args.path} does not exist") from None
        return [T for _, T in path.poses(args.fps)]
    names = [n.strip() for n in args.shots.split(",") if n.strip()]
    if len(names) < 2:
        raise ConfigError(f"`--shots` needs at least two names, got {args.shots!r}")
    planner = Planner(scene)  # type: ignore[arg-type]
    poses: list[np.ndarray] = []
    for a, b in zip(names, names[1:], strict=False):
        seg = [T for _, T in planner.plan(a, b, preset=args.preset).poses(args.fps)]
        poses.extend(seg if not poses else seg[1:])
    return poses


def run(args: argparse.Namespace) -> int:
    from bridge.media import ClipWriter
    from bridge.render import LOOKS, RenderJob, SceneRenderer, View, fov_from_vertical
    from bridge.server.sources import load_scene

    if not 1 <= args.fps <= 240:
        raise ConfigError(f"`--fps` must be 1..240, got {args.fps}")
    if args.look not in LOOKS:
        raise ConfigError(f"`--look` must be one of {', '.join(LOOKS)}, got {args.look!r}")
    if args.output.suffix.lower() != ".mp4":
        raise ConfigError(f"`-o` must end in .mp4, got {args.output}")
    scene = load_scene(args.scene)
    poses = _poses(args, scene)
    w, h = args.size
    fov = fov_from_vertical(math.radians(args.fov), w, h)
    for d in (args.png_dir, args.depth_dir):
        if d is not None:
            d.mkdir(parents=True, exist_ok=True)
    renderer = SceneRenderer(scene)
    bar = ProgressBar("rendering")
    try:
        with ClipWriter(args.output, args.fps, w, h) as clip:
            for i, T in enumerate(poses):
                job = RenderJob(
                    [View(T, fov)], w, h, want_depth=args.depth_dir is not None, params={"look": args.look}
                )
                view = renderer.render(job).views[0]
                assert view.color is not None
                clip.write(view.color)
                if args.png_dir is not None:
                    Image.fromarray(view.color[..., :3]).save(args.png_dir / f"frame_{i:05d}.png")
                if args.depth_dir is not None and view.depth is not None:
                    np.save(args.depth_dir / f"depth_{i:05d}.npy", view.depth)
                bar((i + 1) / len(poses), f"frame {i + 1}/{len(poses)}")
    finally:
        renderer.close()
    bar.done(f"{len(poses)} frames")
    print(
        f"wrote {args.output}: {len(poses)} frames, {w}x{h} at {args.fps} fps ({len(poses) / args.fps:.1f} s)"
    )
    return 0
