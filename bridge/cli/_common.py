"""Helpers shared by the CLI commands: argument parsers for vectors and sizes, a progress bar."""

from __future__ import annotations

import argparse
import sys
import time

__all__ = ["ProgressBar", "parse_size", "parse_vec3", "subparser"]


def subparser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help: str,
    description: str,
    example: str,
) -> argparse.ArgumentParser:
    return sub.add_parser(
        name,
        help=help,
        description=description,
        epilog=f"Example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def parse_vec3(text: str) -> tuple[float, float, float]:
    try:
        x, y, z = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected three comma-separated numbers like 0,1.7,5; got {text!r}"
        ) from None
    return x, y, z


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT like 1280x720; got {text!r}") from None
    if not (1 <= w <= 8192 and 1 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"size must be between 1x1 and 8192x8192; got {text!r}")
    return w, h


class ProgressBar:
    """A one-line stderr progress bar (quiet when stderr is not a terminal, except for the final line)."""

    def __init__(self, label: str, width: int = 30) -> None:
        self.label = label
        self.width = width
        self.tty = sys.stderr.isatty()
        self.t0 = time.monotonic()
        self._last = -1.0

    def __call__(self, fraction: float, stage: str = "") -> None:
        fraction = min(1.0, max(0.0, fraction))
        if not self.tty or fraction - self._last < 0.01 and fraction < 1.0:
            return
        self._last = fraction
        n = int(fraction * self.width)
        bar = "#" * n + "-" * (self.width - n)
        sys.stderr.write(f"\r{self.label} [{bar}] {fraction * 100:5.1f}% {stage[:30]:<30}")
        sys.stderr.flush()

    def done(self, message: str = "") -> None:
        if self.tty:
            sys.stderr.write("\r" + " " * (self.width + len(self.label) + 48) + "\r")
        dt = time.monotonic() - self.t0
        sys.stderr.write(f"{self.label}: done in {dt:.2f} s{(' - ' + message) if message else ''}\n")
        sys.stderr.flush()
