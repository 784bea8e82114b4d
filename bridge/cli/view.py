"""`vpbridge view`: the desktop fallback of the VR scouting viewer. It downloads the server's scene
once and renders it locally (the server's renderer, the server's live parameters), in a window with a
fly camera, or headless as a tour written to PNGs plus view.json."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from bridge.cli._common import parse_size, subparser
from bridge.errors import ConfigError, Timeout

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(
        sub,
        "view",
        "scout the server's scene on this machine: a fly-camera window, or a headless tour to PNGs",
        "Downloads the scene from ENDPOINT and renders it locally with the live parameters (time of day,\n"
        "look, exposure ...) the server's state holds, so frames match the server's for the same pose.\n"
        "Window: WASD + mouse drag to fly, Q/E down/up, Shift faster, 1-9 bookmarks, T/G time of day,\n"
        "H help, Esc quit. Without a display use --headless --frames N --out DIR: a walk from the spawn\n"
        "through the bookmarks (or --tour pan/still), DIR/frame_0000.png ... and DIR/view.json.",
        "vpbridge view tcp://127.0.0.1:5555 --headless --frames 48 --out out/view --size 960x540",
    )
    p.add_argument("endpoint", help="control endpoint, e.g. tcp://127.0.0.1:5555")
    p.add_argument("--keys", help="client key file (when the server uses CURVE)")
    p.add_argument("--role", choices=("viewer", "director"), default="viewer",
                   help="role to ask for; a director's T/G change the time of day for everyone (default viewer)")  # fmt: skip
    p.add_argument(
        "--size", type=parse_size, default=(1280, 720), help="window / frame size WxH (default 1280x720)"
    )
    p.add_argument(
        "--fov", type=float, help="vertical field of view in degrees (default: each bookmark's own)"
    )
    p.add_argument("--bookmark", help="start at this bookmark (default: the scene's spawn)")
    p.add_argument(
        "--headless", action="store_true", help="no window: render a tour to PNG files (needs --out)"
    )
    p.add_argument("--frames", type=int, help="headless: number of frames to render (default 24)")
    p.add_argument("--out", type=Path, help="headless: output directory for frame_NNNN.png and view.json")
    p.add_argument("--tour", choices=("walk", "pan", "still"), default="walk",
                   help="headless: walk through the bookmarks, pan around at the start, or hold still")  # fmt: skip
    p.add_argument("--interval", type=float, default=0.0,
                   help="headless: at least this many seconds between frames (a time-lapse of live changes)")  # fmt: skip
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each answer")
    p.set_defaults(func=run)


def _check(args: argparse.Namespace) -> None:
    if args.fov is not None and not (math.isfinite(args.fov) and 1.0 <= args.fov <= 170.0):
        raise ConfigError(f"`--fov` must be 1..170 degrees, got {args.fov:g}")
    if not (math.isfinite(args.interval) and 0.0 <= args.interval <= 3600.0):
        raise ConfigError(f"`--interval` must be 0..3600 seconds, got {args.interval:g}")
    if not args.headless:
        extra = [flag for flag, v in (("--frames", args.frames), ("--out", args.out)) if v is not None]
        if extra:
            raise ConfigError(f"{' and '.join(extra)} only apply with --headless; add --headless")
        return
    if args.out is None:
        raise ConfigError("--headless needs --out DIR for the frames and view.json")
    if args.frames is None:
        args.frames = 24
    if args.frames < 1:
        raise ConfigError(f"`--frames` must be at least 1, got {args.frames}")
    if args.out.exists() and not args.out.is_dir():
        raise ConfigError(f"`--out` {str(args.out)!r} exists and is not a directory")


def run(args: argparse.Namespace) -> int:
    _check(args)
    from vpbridge_xr import desktop

    glfw = desktop.require_window() if not args.headless else None  # before connecting: fail fast
    from bridge.client_sync import Client
    from vpbridge_xr.local_scene import LocalScene

    width, height = args.size
    try:
        client = Client(
            args.endpoint, name="vpbridge-view", role=args.role, keys=args.keys, timeout=args.timeout
        )
    except Timeout:
        raise Timeout(
            f"no answer from {args.endpoint} within {args.timeout:g} s; is the server running "
            "(`vpbridge serve`) and is this its control endpoint?"
        ) from None
    with client as c:
        local = LocalScene.fetch(c)
        print(
            f"view: {local.scene.name} v{local.version}, {local.scene.triangle_count:,} triangles, "
            f"{len(local.scene.bookmarks)} bookmarks ({local.glb_bytes / 1e6:.1f} MB in {local.fetch_s:.2f} s)",
            flush=True,
        )
        if args.headless:
            viewer = desktop.DesktopViewer(c, local, fov_y_deg=args.fov, bookmark=args.bookmark)
            try:
                s = desktop.run_headless(
                    viewer, args.frames, args.out, width, height,
                    tour=args.tour, interval_s=args.interval, endpoint=args.endpoint,
                )  # fmt: skip
            finally:
                viewer.close()
            print(
                f"view: {len(s['frames'])} frames {width}x{height} of {s['scene']['name']} "
                f"v{s['scene']['version']} ({args.tour} tour) in {args.out}; render p50 "
                f"{s['render_ms_p50']:.1f} ms, max {s['render_ms_max']:.1f} ms; "
                f"{s['param_changes']} live parameter change(s) followed"
            )
            return 0
        assert glfw is not None
        window, ctx = desktop.open_window(glfw, width, height, f"vpbridge view: {local.scene.name}")
        try:
            viewer = desktop.DesktopViewer(c, local, fov_y_deg=args.fov, bookmark=args.bookmark, ctx=ctx)
            try:
                frames = desktop.run_window(viewer, glfw, window, ctx)
            finally:
                viewer.close()
        finally:
            glfw.destroy_window(window)
            glfw.terminate()
        print(f"view: closed after {frames} rendered frames")
    return 0
