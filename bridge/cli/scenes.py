"""`vpbridge scenes`: list the shipped scene specs with a one-line description each."""

from __future__ import annotations

import argparse

from bridge.world.spec import scenes_dir, shipped_specs

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "scenes",
        help="list the shipped scene specs",
        description="List the scene specs shipped in scenes/ (or $VPBRIDGE_SCENES), one line each.",
        epilog="Example: vpbridge scenes\n         vpbridge generate --spec desert_canyon -o canyon.glb",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    specs = shipped_specs()
    if not specs:
        print(f"no scene specs in {scenes_dir()}")
        return 1
    width = max(len(n) for n in specs)
    for name, (_, description) in specs.items():
        print(f"{name:<{width}}  {description}")
    return 0
