"""`vpbridge params`: read, set and watch the live parameters of a running server."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from bridge.cli._common import subparser
from bridge.client_sync import Client
from bridge.errors import ConfigError
from bridge.protocol import messages as m


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(
        sub,
        "params",
        "get, set or watch the live parameters (time of day, look, exposure, ...)",
        "get: print every value; set KEY=VALUE...: commit them as one history version (director);\n"
        'watch: print each change as it is published. VALUE is JSON (19.5, "noir", null) or bare text.',
        "vpbridge params tcp://127.0.0.1:5555 set look=noir exposure_ev=-0.5 --message 'noir grade'",
    )
    p.add_argument("endpoint", help="control endpoint, e.g. tcp://127.0.0.1:5555")
    p.add_argument("action", choices=("get", "set", "watch"))
    p.add_argument("assignments", nargs="*", metavar="KEY=VALUE", help="for set")
    p.add_argument("--message", default="", help="history message (set)")
    p.add_argument("--base-version", type=int, help="refuse (CONFLICT) unless HEAD is this version (set)")
    p.add_argument("--all", action="store_true", help="get/watch: include presence, cameras and jobs")
    p.add_argument("--seconds", type=float, default=0.0, help="watch: stop after this long (0 = Ctrl-C)")
    p.add_argument("--json", action="store_true", help="machine-readable output (one JSON object per line)")
    p.add_argument("--keys", help="client key file (when the server uses CURVE)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each answer")
    p.set_defaults(func=run)


def parse_assignment(text: str) -> tuple[str, m.ParamValue]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise ConfigError(f"expected KEY=VALUE like look=noir or time_of_day=19.5, got {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw  # bare text: look=noir
    return key, value


def _shown(values: dict[str, Any], everything: bool) -> dict[str, Any]:
    if everything:
        return dict(sorted(values.items()))
    return {k: v for k, v in sorted(values.items()) if not k.startswith(("presence.", "camera.", "job."))}


def run(args: argparse.Namespace) -> int:
    if args.action == "set" and not args.assignments:
        raise ConfigError("`set` needs at least one KEY=VALUE, e.g. look=noir")
    if args.action != "set" and args.assignments:
        raise ConfigError(f"`{args.action}` takes no KEY=VALUE arguments")
    values = dict(parse_assignment(a) for a in args.assignments)
    role = "director" if args.action == "set" else "viewer"
    with Client(args.endpoint, name="vpbridge-params", role=role, keys=args.keys, timeout=args.timeout) as c:
        if args.action == "get":
            state = _shown(c.state, args.all)
            print(
                json.dumps(state)
                if args.json
                else "\n".join(f"{k} = {json.dumps(v)}" for k, v in state.items())
            )
        elif args.action == "set":
            seq = c.set_params(values, base_version=args.base_version, message=args.message)
            if args.json:
                print(json.dumps({"version": c.version, "seq": seq, "values": values}))
            else:
                print(
                    f"version {c.version} (state seq {seq}): "
                    + ", ".join(f"{k}={json.dumps(v)}" for k, v in values.items())
                )
        else:
            _watch(c, args)
    return 0


def _watch(c: Client, args: argparse.Namespace) -> None:
    def show(msg: m.StateDelta | m.StateSnapshot) -> None:
        values = _shown(dict(msg.values), args.all)
        removed = list(getattr(msg, "removed", []))
        if not values and not removed:
            return
        author = getattr(msg, "author", "")
        if args.json:
            print(
                json.dumps({"seq": msg.seq, "author": author, "values": values, "removed": removed}),
                flush=True,
            )
        else:
            changes = ", ".join(f"{k}={json.dumps(v)}" for k, v in values.items())
            gone = f" removed {', '.join(removed)}" if removed else ""
            print(f"seq {msg.seq} {author or '-'}: {changes}{gone}", flush=True)

    show(m.StateSnapshot(rid=0, seq=c.inner.state_seq, values=c.state))
    c.inner.on_state.append(show)
    deadline = time.monotonic() + args.seconds if args.seconds > 0 else float("inf")
    try:
        while time.monotonic() < deadline:
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
    except KeyboardInterrupt:
        print("", file=sys.stderr)
