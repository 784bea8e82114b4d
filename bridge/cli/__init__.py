"""The `vpbridge` command. Each subcommand lives in its own module with `register(subparsers)`.

Errors from the package (`VPBridgeError`) and bad arguments print one clear line, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bridge.errors import VPBridgeError

__all__ = ["main"]

# Module names under bridge.cli, in the order `vpbridge --help` lists them.
COMMANDS = (
    "serve",
    "probe",
    "demo",
    "keys",
    "scenes",
    "generate",
    "render",
    "render_path",
    "plan",
    "params",
    "history",
    "xr",
    "view",
)


class _Parser(argparse.ArgumentParser):
    """argparse that exits with one line (and the usage) on bad arguments."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(
            2, f"{self.prog}: error: {message}\n  (run `{self.prog} --help` for usage and an example)\n"
        )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="vpbridge",
        description="Real-time game-engine bridge and virtual-production server.",
        epilog="Example: vpbridge demo --out out    # serve the default scene and stream it to a headless client",
    )
    from bridge import __version__

    parser.add_argument("--version", action="version", version=f"vpbridge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"bridge.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bridge.cli.{name}":
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("vpbridge: interrupted", file=sys.stderr)
        return 130
    except VPBridgeError as exc:
        print(f"vpbridge {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
