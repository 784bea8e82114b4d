"""`vpbridge serve`: run a server in the foreground until Ctrl-C / SIGTERM."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bridge.cli._common import ProgressBar, subparser
from bridge.protocol.messages import MAX_CREDITS
from bridge.server.config import Limits, ServerConfig
from bridge.server.runner import serve_forever
from bridge.server.sources import load_scene, source_factory


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(
        sub,
        "serve",
        "serve a scene to clients over ZeroMQ",
        "Serve a generated scene: control (ROUTER), state (PUB) and frames (ROUTER) planes.\n"
        "Binds loopback by default; binding another address needs --keys (CURVE) or --insecure.",
        "vpbridge serve --port 0 --ready-file /tmp/vpb.json --scene neon_city",
    )
    p.add_argument(
        "--bind",
        default="127.0.0.1",
        metavar="ADDR",
        help="address (tcp), path prefix (ipc://PREFIX) or name (inproc not useful here); default 127.0.0.1",
    )
    p.add_argument(
        "--port",
        type=int,
        default=5555,
        metavar="N",
        help="control port; state=N+1, frames=N+2; 0 = free ports",
    )
    p.add_argument(
        "--ready-file", type=Path, metavar="PATH", help="write the bound endpoints as JSON once serving"
    )
    p.add_argument(
        "--scene",
        metavar="SPEC",
        help="shipped scene name, spec .toml, or mesh/scan file (default: the neon city)",
    )
    p.add_argument(
        "--source",
        choices=("scene", "testpattern"),
        default="scene",
        help="frame source (testpattern: protocol tests)",
    )
    p.add_argument(
        "--keys", type=Path, metavar="FILE", help="keys file (see `vpbridge keys`): enables CURVE + roles"
    )
    p.add_argument(
        "--insecure", action="store_true", help="allow binding a non-loopback address without keys"
    )
    p.add_argument(
        "--history",
        metavar="PATH",
        help="parameter history (SQLite): default $VPBRIDGE_DATA/history.sqlite or "
        "~/.local/share/vpbridge/history.sqlite; 'none' = a throwaway one",
    )
    p.add_argument(
        "--cache-mb", type=int, default=256, metavar="MB", help="frame cache budget in MiB (0 = off)"
    )
    p.add_argument(
        "--max-credits",
        type=int,
        default=Limits().max_credits,
        metavar="N",
        help=f"frames a stream may have in flight, 1..{MAX_CREDITS} (default %(default)s); more hides "
        "more round-trip latency (WAN links) at the cost of frame age",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log every session and stream event")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(name)s: %(message)s"
    )
    transport, host = "tcp", args.bind
    if "://" in args.bind:
        transport, host = args.bind.split("://", 1)
    cfg = ServerConfig(
        host=host,
        port=args.port,
        transport=transport,
        keys_file=args.keys,
        allow_insecure_remote=args.insecure,
        cache_bytes=max(0, args.cache_mb) << 20,
        limits=Limits(max_credits=args.max_credits),
    )
    if args.history:
        cfg.history_path = args.history if args.history == "none" else Path(args.history)
    cfg.validate()
    scene = None
    if args.source == "scene":
        bar = ProgressBar("building scene")
        scene = load_scene(args.scene, progress=bar)
        bar.done(f"{scene.name}: {scene.triangle_count:,} triangles")

    def ready(endpoints: dict[str, str]) -> None:
        security = f"CURVE on (keys: {args.keys})" if args.keys else "no keys: loopback dev mode, unencrypted"
        print(f"vpbridge serving ({security})", flush=True)
        for plane, ep in endpoints.items():
            print(f"  {plane:<8} {ep}")
        print(f"connect: vpbridge probe {endpoints['control']}   (Ctrl-C to stop)", flush=True)

    serve_forever(
        cfg, source_factory(args.source, scene), scene=scene, ready_file=args.ready_file, on_ready=ready
    )
    print("vpbridge: server stopped", file=sys.stderr)
    return 0
