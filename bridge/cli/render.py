"""`vpbridge render`: one still (colour PNG, optional depth .npy and label map) of a scene from a pose.

The scene is a shipped spec name, a spec file (.toml) or a mesh/scan file (GLB, OBJ, PLY, ...).
"""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

import numpy as np

from bridge.errors import ConfigError

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "render",
        help="render a still of a scene (colour, depth, labels)",
        description="Render one frame of a scene with the real-time renderer (headless EGL): a "
        "perspective still or a 360° equirectangular panorama, with optional linear depth and a "
        "semantic label map.",
        epilog="Example: vpbridge render neon_city --eye=-8.5,1.7,-1.5 --look-at=-8.5,1.7,-30 "
        "--look noir --time-of-day 22:30 --depth depth.npy -o street.png\n"
        "         vpbridge render desert_canyon --eye 0,20,0 --look-at 0,20,-1 --equirect --size 2048x1024 -o pano.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scene", metavar="SCENE", help="shipped spec name, spec file (.toml) or GLB/mesh file")
    p.add_argument(
        "--eye",
        required=True,
        help="camera position X,Y,Z in metres (Y up); write --eye=-1,2,3 when X is negative",
    )
    p.add_argument("--look-at", required=True, help="point the camera looks at, X,Y,Z")
    p.add_argument("--fov", type=float, default=60.0, help="vertical field of view in degrees (default 60)")
    p.add_argument("--size", default="1280x720", help="image size WxH (default 1280x720)")
    p.add_argument("--look", default="neutral", help="colour grade: neutral, noir, vibrant, documentary")
    p.add_argument("--time-of-day", help="HH:MM local solar time (default: the scene's own)")
    p.add_argument("--exposure", type=float, help="exposure in EV (default: the scene's own)")
    p.add_argument("--depth", type=Path, help="also write linear depth in metres (float32 .npy, inf = sky)")
    p.add_argument("--labels", type=Path, help="also write a label map PNG (palette) and a .txt legend")
    p.add_argument("--equirect", action="store_true", help="render a 360° equirectangular panorama")
    p.add_argument("-o", "--output", type=Path, required=True, help="output PNG")
    p.set_defaults(func=run)


def _vec3(text: str, flag: str) -> np.ndarray:
    try:
        v = [float(x) for x in text.split(",")]
    except ValueError:
        v = []
    if len(v) != 3 or not all(math.isfinite(x) for x in v):
        raise ConfigError(f"`{flag}` must be three numbers X,Y,Z (e.g. 0,1.7,5), got {text!r}")
    return np.array(v)


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)x(\d+)", text.strip())
    if not m or not (16 <= int(m.group(1)) <= 8192 and 16 <= int(m.group(2)) <= 8192):
        raise ConfigError(f"`--size` must be WxH with 16..8192 pixels each (e.g. 1280x720), got {text!r}")
    return int(m.group(1)), int(m.group(2))


def _hours(text: str) -> float:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ConfigError(f"`--time-of-day` must be HH:MM between 00:00 and 23:59, got {text!r}")
    return int(m.group(1)) + int(m.group(2)) / 60.0


def run(args: argparse.Namespace) -> int:
    from PIL import Image

    from bridge.render import LOOKS, RenderJob, SceneRenderer, View, fov_from_vertical
    from bridge.world.scene import look_at

    eye, target = _vec3(args.eye, "--eye"), _vec3(args.look_at, "--look-at")
    if np.allclose(eye, target):
        raise ConfigError("`--look-at` must differ from `--eye`; move the target")
    w, h = _size(args.size)
    if not 1.0 <= args.fov <= 170.0:
        raise ConfigError(f"`--fov` must be 1..170 degrees, got {args.fov}")
    if args.look not in LOOKS:
        raise ConfigError(f"`--look` must be one of {', '.join(LOOKS)}, got {args.look!r}")
    params: dict[str, object] = {"look": args.look}
    if args.time_of_day:
        params["time_of_day"] = _hours(args.time_of_day)
    if args.exposure is not None:
        params["exposure_ev"] = args.exposure
    from bridge.server.sources import load_scene

    scene = load_scene(args.scene)
    T = look_at(eye, target)
    job = RenderJob(
        [View(T, fov_from_vertical(math.radians(args.fov), w, h))],
        w,
        h,
        projection="equirect" if args.equirect else "mono",
        want_depth=args.depth is not None,
        want_ids=args.labels is not None,
        params=params,
    )
    renderer = SceneRenderer(scene)
    try:
        view = renderer.render(job).views[0]
        assert view.color is not None
        args.output.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(view.color[..., :3]).save(args.output)
        if args.depth is not None and view.depth is not None:
            np.save(args.depth, view.depth)
        if args.labels is not None and view.ids is not None:
            _save_labels(args.labels, view.ids, scene)
    finally:
        renderer.close()
    print(f"wrote {args.output} ({w}x{h}, look {args.look}, {scene.triangle_count:,} triangles)")
    return 0


def _save_labels(path: Path, ids: np.ndarray, scene) -> None:  # type: ignore[no-untyped-def]
    """A palette PNG whose index is the semantic label, and a legend beside it."""
    from PIL import Image

    from bridge.world.scene import LABELS

    lut = np.zeros(int(ids.max()) + 1, np.uint8)
    for oid in np.unique(ids):
        if oid:
            lut[oid] = LABELS.index(scene.label_of(int(oid))) if scene.label_of(int(oid)) in LABELS else 0
    img = Image.fromarray(lut[ids], mode="P")
    rng = np.random.default_rng(0)
    palette = rng.integers(40, 255, (256, 3), dtype=np.uint8)
    palette[0] = 0
    img.putpalette(palette.ravel().tolist())
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    path.with_suffix(".txt").write_text("\n".join(f"{i} {name}" for i, name in enumerate(LABELS)) + "\n")
