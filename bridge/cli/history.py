"""`vpbridge history`: the version history of the live parameters on a running server."""

from __future__ import annotations

import argparse
import datetime
import json

from bridge.cli._common import subparser
from bridge.client_sync import Client
from bridge.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(
        sub,
        "history",
        "log, branch, checkout and diff the parameter history",
        "log [REF]: versions newest first; branch NAME [START]: create a branch (director);\n"
        "checkout REF: switch to a branch or version, applied live (director); diff A B: what differs.",
        "vpbridge history tcp://127.0.0.1:5555 diff main noir --json",
    )
    p.add_argument("endpoint", help="control endpoint, e.g. tcp://127.0.0.1:5555")
    p.add_argument("action", choices=("log", "branch", "checkout", "diff"))
    p.add_argument("refs", nargs="*", metavar="REF", help="branch names or version ids, per action")
    p.add_argument("--limit", type=int, default=20, help="log: how many versions (default 20)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--keys", help="client key file (when the server uses CURVE)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each answer")
    p.set_defaults(func=run)


_ARITY = {"log": (0, 1), "branch": (1, 2), "checkout": (1, 1), "diff": (2, 2)}


def run(args: argparse.Namespace) -> int:
    lo, hi = _ARITY[args.action]
    if not lo <= len(args.refs) <= hi:
        want = {"log": "[REF]", "branch": "NAME [START]", "checkout": "REF", "diff": "A B"}[args.action]
        raise ConfigError(f"`{args.action}` takes {want}, got {len(args.refs)} argument(s)")
    role = "director" if args.action in ("branch", "checkout") else "viewer"
    with Client(args.endpoint, name="vpbridge-history", role=role, keys=args.keys, timeout=args.timeout) as c:
        if args.action == "log":
            log = c.history(args.limit, args.refs[0] if args.refs else "")
            if args.json:
                import msgspec

                print(msgspec.json.encode(log).decode())
                return 0
            where = f"branch {log.branch}" if log.branch else "detached"
            print(
                f"HEAD {log.head} ({where}); branches: "
                + ", ".join(f"{k}@{v}" for k, v in log.branches.items())
            )
            for v in log.versions:
                when = datetime.datetime.fromtimestamp(v.time_ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")
                changes = ", ".join(f"{k}={json.dumps(x)}" for k, x in v.changes.items())
                print(f"{v.id:>6} {when} {v.kind:<11} {v.author or '-':<12} {v.message or '-'}  [{changes}]")
        elif args.action == "branch":
            version = c.branch(args.refs[0], args.refs[1] if len(args.refs) > 1 else "")
            print(
                json.dumps({"branch": args.refs[0], "version": version})
                if args.json
                else f"branch {args.refs[0]} at version {version}"
            )
        elif args.action == "checkout":
            version = c.checkout(args.refs[0])
            print(
                json.dumps({"ref": args.refs[0], "version": version})
                if args.json
                else f"HEAD at {args.refs[0]} (version {version})"
            )
        else:
            diff = c.diff(args.refs[0], args.refs[1])
            if args.json:
                print(json.dumps({k: {"a": a, "b": b} for k, (a, b) in sorted(diff.items())}))
            else:
                for k, (a, b) in sorted(diff.items()):
                    print(f"{k}: {json.dumps(a)} -> {json.dumps(b)}")
                if not diff:
                    print("no differences")
    return 0
