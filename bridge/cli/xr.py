"""`vpbridge xr`: the OpenXR headset viewer (scouting, holographic review)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from bridge.cli._common import subparser
from bridge.errors import ConfigError


def _scale(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number like 0.75, got {text!r}") from None
    if not 0.1 <= v <= 2.0:
        raise argparse.ArgumentTypeError(f"must be between 0.1 and 2.0, got {v:g}")
    return v


def _credits(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 1, 2 or 3, got {text!r}") from None
    if not 1 <= v <= 3:
        raise argparse.ArgumentTypeError(f"must be 1, 2 or 3, got {v}")
    return v


def _frames(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of frames, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {v}")
    return v


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(
        sub,
        "xr",
        "walk the set in a VR headset (OpenXR): scouting tools, holographic 360 review",
        "Opens an OpenXR session on the active runtime (Monado, SteamVR, ...) and shows the server's set.\n"
        "Modes: local (default; the set is fetched once and rendered in the headset at full rate),\n"
        "stream (frames rendered by the server for the predicted head pose), holo (a 360 stereo review\n"
        "around a bookmark). Without a headset use `vpbridge view ENDPOINT`.",
        "vpbridge xr tcp://127.0.0.1:5555 --mode stream",
    )
    p.add_argument("endpoint", help="control endpoint, e.g. tcp://127.0.0.1:5555")
    p.add_argument("--keys", help="client key file (when the server uses CURVE)")
    p.add_argument(
        "--role",
        choices=("director", "viewer"),
        default="director",
        help="role to ask for (director: the time-of-day dial works); with --keys the key decides",
    )
    p.add_argument("--mode", choices=("local", "stream", "holo"), default="local", help="what fills the eyes")
    p.add_argument(
        "--frames", type=_frames, help="end the session after N frames (default: until the runtime ends it)"
    )
    p.add_argument(
        "--resolution-scale", type=_scale, default=1.0, help="of the runtime's recommended eye size"
    )
    p.add_argument(
        "--stream-scale", type=_scale, default=1.0, help="stream mode: server render size vs eye size"
    )
    p.add_argument(
        "--stream-credits",
        type=_credits,
        default=1,
        help="stream mode: frames in flight (1: lowest latency; 2: more frames/s, a pose waits a render)",
    )
    p.add_argument(
        "--reproject",
        choices=("runtime", "viewer"),
        default="runtime",
        help="stream mode: let the runtime reproject (frames submitted with their render pose) or do it here",
    )
    p.add_argument("--at", dest="holo_at", help="holo mode: bookmark name or X,Y,Z (default: the spawn)")
    p.add_argument(
        "--holo-width", type=int, default=2048, help="holo mode: panorama width in pixels (height is half)"
    )
    p.add_argument("--stills", type=Path, default=Path("stills"), help="where viewfinder stills are written")
    p.add_argument("--summary", type=Path, help="write the session summary (timings, tools) as JSON here")
    p.add_argument("--no-tools", action="store_true", help="no scouting tools or controller input")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for the server")
    p.add_argument("-v", "--verbose", action="store_true", help="log session states and tool actions")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    try:
        from vpbridge_xr.app import Viewer, ViewerOptions
    except ImportError as exc:  # pragma: no cover - installed with the project
        raise ConfigError(f"the XR viewer is not installed ({exc}); `pip install 'vpbridge[xr]'`") from exc
    opts = ViewerOptions(
        endpoint=args.endpoint,
        keys=args.keys,
        role=args.role,
        mode=args.mode,
        frames=args.frames,
        resolution_scale=args.resolution_scale,
        stream_scale=args.stream_scale,
        stream_credits=args.stream_credits,
        reproject=args.reproject,
        holo_at=args.holo_at,
        holo_width=args.holo_width,
        stills_dir=args.stills,
        summary_json=args.summary,
        tools=not args.no_tools,
        timeout=args.timeout,
    )
    summary = Viewer(opts).run()
    stages = summary.get("stages", {})
    line = ", ".join(f"{k} {v['mean']:.1f} ms" for k, v in stages.items() if k.endswith("_ms"))
    print(
        f"xr: {summary['frames']} frames on {summary['runtime']} ({summary['mode']} mode, "
        f"{summary['eye_size'][0]}x{summary['eye_size'][1]} per eye, depth layer "
        f"{'on' if summary['depth_layer'] else 'off'}); frame {summary['frame_ms_mean']:.1f} ms"
        + (f"; {line}" if line else "")
    )
    for msg in summary.get("messages", []):
        print(f"xr: {msg}")
    if args.summary:
        print(f"xr: summary in {args.summary}")
    return 0
