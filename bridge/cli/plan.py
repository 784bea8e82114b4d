"""`vpbridge plan`: plan a collision-aware camera path through a scene and write it as JSON (poses with
timestamps and velocities, see docs/motion.md)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from bridge.cli._common import parse_vec3, subparser
from bridge.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from bridge.motion.presets import PRESETS

    p = subparser(
        sub,
        "plan",
        "plan a collision-aware camera path between two bookmarks or points",
        "Plans a path from --from to --to that keeps --clearance metres from every collider and stays\n"
        "within a comfort preset (speed, acceleration, jerk, yaw rate), then writes it as JSON.\n"
        "Endpoints are bookmark names of the scene or positions X,Y,Z in metres (Y up).",
        "vpbridge plan neon_city --from spawn --to rooftop --preset cinematic -o path.json",
    )
    p.add_argument("scene", metavar="SCENE", help="shipped scene name, .toml spec or mesh/scan file")
    p.add_argument(
        "--from", dest="start", required=True, metavar="NAME|X,Y,Z", help="start bookmark or point"
    )
    p.add_argument("--to", dest="goal", required=True, metavar="NAME|X,Y,Z", help="goal bookmark or point")
    p.add_argument(
        "--mode", choices=("fly", "walk"), default="fly", help="fly (default) or walk on the ground"
    )
    p.add_argument("--preset", choices=tuple(PRESETS), default="comfortable", help="comfort preset")
    p.add_argument("--clearance", type=float, default=0.4, help="metres kept from colliders (default 0.4)")
    p.add_argument(
        "-o", "--out", type=Path, default=Path("path.json"), help="output JSON (default path.json)"
    )
    p.set_defaults(func=run)


def _endpoint(text: str) -> str | np.ndarray:
    if "," in text:
        try:
            return np.array(parse_vec3(text))
        except argparse.ArgumentTypeError as exc:
            raise ConfigError(f"endpoint {text!r}: {exc}") from None
    return text


def run(args: argparse.Namespace) -> int:
    from bridge.motion import Planner
    from bridge.server.sources import load_scene

    if not args.clearance > 0:
        raise ConfigError(f"--clearance must be positive metres, got {args.clearance}")
    t0 = time.perf_counter()
    scene = load_scene(args.scene)
    t1 = time.perf_counter()
    planner = Planner(scene, clearance=args.clearance)
    path = planner.plan(_endpoint(args.start), _endpoint(args.goal), mode=args.mode, preset=args.preset)
    t2 = time.perf_counter()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(path.to_dict()))
    print(
        f"{args.out}: {args.mode} path, {path.length:.1f} m in {path.duration:.2f} s, {len(path.times)} poses "
        f"(preset {args.preset}, clearance {args.clearance} m); scene {t1 - t0:.2f} s, planning {t2 - t1:.2f} s"
    )
    return 0
