"""`vpbridge generate`: build a set from a prompt, a spec, a sketch, an image prompt or a scan, and
write it as GLB (plus a manifest JSON beside it), with a progress bar on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TextIO

import msgspec

from bridge.errors import ConfigError
from bridge.world import build_scene, export_glb, import_file, load_spec, manifest, spec_from_prompt
from bridge.world.procedural.layout import image_hints
from bridge.world.scene import Scene

__all__ = ["ProgressBar", "register", "run"]


class ProgressBar:
    """A one-line stderr bar: `[#####-----]  50%  stage`; silent when stderr is not a terminal unless forced."""

    def __init__(self, width: int = 30, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.width = width
        self.stream: TextIO = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.last = ""

    def __call__(self, fraction: float, stage: str) -> None:
        f = min(max(fraction, 0.0), 1.0)
        filled = int(round(f * self.width))
        line = f"\r[{'#' * filled}{'-' * (self.width - filled)}] {f * 100:4.0f}%  {stage:<24}"
        if self.enabled and line != self.last:
            self.stream.write(line)
            self.stream.flush()
            self.last = line

    def close(self) -> None:
        if self.enabled and self.last:
            self.stream.write("\n")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "generate",
        help="build a set from a prompt, spec, sketch, image or scan and write a GLB",
        description=(
            "Build an explorable set and write it as GLB, with a manifest JSON next to it.\n"
            "Give a PROMPT, or --spec (a TOML file or a shipped name, see `vpbridge scenes`), or --scan.\n"
            "--sketch adds a top-down colour layout (legend in docs/world.md); --image adds its palette and horizon."
        ),
        epilog=(
            'Example: vpbridge generate "desert canyon at sunset" --seed 3 -o canyon.glb\n'
            "         vpbridge generate --spec neon_city -o city.glb\n"
            '         vpbridge generate "city at night" --sketch layout.png -o sketch.glb'
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "prompt", nargs="?", default="", help="what to build, e.g. 'coastal village in the morning'"
    )
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the spec's, or 0)")
    p.add_argument("--sketch", type=Path, help="top-down colour-coded layout PNG")
    p.add_argument("--image", type=Path, help="image prompt: contributes its palette and horizon")
    p.add_argument(
        "--scan", type=Path, help="import a mesh, scan, point cloud or splat file instead of building"
    )
    p.add_argument("--spec", help="scene spec: a TOML file or a shipped name")
    p.add_argument(
        "-o", "--output", type=Path, required=True, help="GLB file to write (the manifest goes to *.json)"
    )
    p.add_argument("--no-progress", action="store_true", help="do not draw the progress bar")
    p.set_defaults(func=run)


def _scene_from_args(args: argparse.Namespace, bar: ProgressBar) -> Scene:
    if args.scan is not None:
        if args.prompt or args.spec or args.sketch:
            raise ConfigError("--scan imports a file as it is; leave out PROMPT, --spec and --sketch")
        return import_file(args.scan, bar)
    if args.spec and args.prompt:
        raise ConfigError("give either PROMPT or --spec, not both")
    unused: list[str] = []
    if args.spec:
        spec = load_spec(args.spec)
    elif args.prompt:
        spec, unused = spec_from_prompt(args.prompt, args.seed or 0)
    elif args.sketch is not None:
        spec, unused = spec_from_prompt("city", args.seed or 0)
    else:
        raise ConfigError(
            'nothing to build: give a PROMPT (e.g. "neon city at night"), --spec, --sketch or --scan'
        )
    changes: dict[str, object] = {}
    if args.seed is not None:
        if not 0 <= args.seed < 2**32:
            raise ConfigError(f"--seed must be in 0..2**32-1, got {args.seed}")
        changes["seed"] = args.seed
    if args.sketch is not None:
        changes["sketch"] = str(args.sketch.resolve())
    if args.image is not None:
        colors, horizon = image_hints(args.image)
        changes["accent_colors"] = colors[:3]
        changes["horizon"] = horizon
    if changes:
        spec = msgspec.structs.replace(spec, **changes)
    return build_scene(spec, bar, unused_words=unused)


def run(args: argparse.Namespace) -> int:
    if args.output.suffix.lower() != ".glb":
        raise ConfigError(f"-o {str(args.output)!r}: the output must end in .glb")
    bar = ProgressBar(enabled=None if not args.no_progress else False)
    t0 = time.perf_counter()
    try:
        scene = _scene_from_args(args, bar)
        bar(0.95, "writing GLB")
        data = export_glb(scene)
    finally:
        bar.close()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    man_path = args.output.with_suffix(".json")
    man_path.write_text(json.dumps(manifest(scene), indent=1))
    dt = time.perf_counter() - t0
    print(f"wrote {args.output} ({len(data) / 1e6:.1f} MB) and {man_path.name}")
    print(f"triangles: {scene.triangle_count:,}   time: {dt:.2f} s")
    print(f"provenance: {scene.provenance.summary()}")
    if scene.provenance.unused_words:
        print(f"unused prompt words: {', '.join(scene.provenance.unused_words)}")
    return 0
