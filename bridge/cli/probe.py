"""`vpbridge probe`: handshake, round-trip time, and one frame's per-stage latency from its header."""

from __future__ import annotations

import argparse
import statistics

import numpy as np

from bridge.cli._common import parse_size, subparser
from bridge.client_sync import Client
from bridge.world.scene import look_at


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(
        sub,
        "probe",
        "check a server: handshake, round-trip time, one frame's latency breakdown",
        "Connects to ENDPOINT (the control endpoint `vpbridge serve` prints), pings it, renders one frame.",
        "vpbridge probe tcp://127.0.0.1:5555",
    )
    p.add_argument("endpoint", help="control endpoint, e.g. tcp://127.0.0.1:5555")
    p.add_argument("--keys", help="client key file (when the server uses CURVE)")
    p.add_argument("--size", type=parse_size, default=(640, 360), help="frame size WxH (default 640x360)")
    p.add_argument("--pings", type=int, default=10, help="pings for the round-trip estimate")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each answer")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with Client(
        args.endpoint, name="vpbridge-probe", keys=args.keys, timeout=args.timeout, follow_state=False
    ) as c:
        w = c.welcome
        assert w is not None
        print(f"server   {w.server} {w.server_version}, protocol {w.protocol}, role {w.role}")
        for warning in w.warnings:
            print(f"warning  {warning}")
        rtts = sorted(c.ping() * 1e3 for _ in range(max(1, args.pings)))
        print(f"rtt      p50 {statistics.median(rtts):.3f} ms, min {rtts[0]:.3f} ms, max {rtts[-1]:.3f} ms")
        width, height = args.size
        stream = c.open_stream(width=width, height=height)
        frame = stream.render(look_at((0.0, 1.7, 8.0), (0.0, 1.5, 0.0)), timeout=args.timeout)
        h = frame.header
        depth = frame.depth
        cover = float(np.isfinite(depth).mean()) if depth is not None else 0.0
        print(
            f"frame    {width}x{height}, parts {[p.kind + ':' + p.encoding for p in h.parts]}, scene v{h.scene_version}, "
            f"look {h.look or '-'}, depth coverage {cover:.0%}"
        )
        print(f"source   {h.provenance or '-'}")
        print("latency (from the frame header):")
        print(frame.latency_table())
        stream.close()
    return 0
