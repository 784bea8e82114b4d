"""The project's headless OpenXR runtime (`xr/runtime/vpbridge_headless_xr.c`), from Python.

It lets the viewer (and any OpenXR app) run without a headset: the runtime plays a script of head and
controller poses, inputs and FOVs, and records what the app did (session states, submitted layers,
released swapchain pixels) for tests to inspect.

    runtime = HeadlessRuntime.build(tmp)               # compiles the C file with the system compiler
    script = Script(exit_after=10, capture=[5]).head(0, (0, 1.6, 0, 0, 0, 0, 1))
    env = {**os.environ, **runtime.env(script.write(tmp / "script.txt"), tmp / "record")}
    subprocess.run([...the app...], env=env)
    rec = Recording.load(tmp / "record")               # rec.states, rec.frames, rec.captures, ...

Poses are seven numbers everywhere: position x y z, then the orientation quaternion qx qy qz qw.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bridge.errors import ConfigError

__all__ = [
    "INDEX",
    "RUNTIME_SOURCE",
    "SIMPLE",
    "TOUCH",
    "HeadlessRuntime",
    "Recording",
    "Script",
]

RUNTIME_SOURCE = Path(__file__).resolve().parent.parent / "runtime" / "vpbridge_headless_xr.c"
RUNTIME_NAME = "vpbridge headless"
LIBRARY_NAME = "libvpbridge_headless_xr.so"

SIMPLE = "/interaction_profiles/khr/simple_controller"
TOUCH = "/interaction_profiles/oculus/touch_controller"
INDEX = "/interaction_profiles/valve/index_controller"

VALIDATION_LAYER = "XR_APILAYER_LUNARG_core_validation"
_LAYER_DIRS = (
    "/usr/share/openxr/1/api_layers/explicit.d",
    "/usr/local/share/openxr/1/api_layers/explicit.d",
    "/etc/openxr/1/api_layers/explicit.d",
)
_INSTALL_HINT = "apt-get install gcc libopenxr-dev libegl-dev"

Pose7 = tuple[float, float, float, float, float, float, float]
Fov4 = tuple[float, float, float, float]


def _layer_dirs() -> list[Path]:
    """Where to look for the core validation layer, best first: the one pyopenxr bundles (OpenXR 1.1;
    it knows XrGraphicsBindingEGLMNDX), then the system's (Debian's 1.0.20 `openxr-layer-corevalidation`
    was built without EGL and rejects an EGL session's `next` chain as invalid)."""
    dirs = []
    arch = {"x86_64": "linux_x86_64", "aarch64": "linux_aarch64"}.get(platform.machine(), "")
    if arch:
        # By distribution, not by `import xr`: found without importing pyopenxr (which adds its own layer
        # folder to the loader's search path when imported).
        try:
            dirs.append(
                Path(str(importlib.metadata.distribution("pyopenxr").locate_file(f"xr/api_layer/{arch}")))
            )
        except importlib.metadata.PackageNotFoundError:
            pass
    return dirs + [Path(d) for d in _LAYER_DIRS]


def _validation_layer_dir() -> Path | None:
    """The first folder holding the core validation layer's manifest."""
    for p in _layer_dirs():
        if p.is_dir():
            for f in sorted(p.glob("*.json")):
                try:
                    name = json.loads(f.read_text())["api_layer"]["name"]
                except (OSError, ValueError, KeyError, TypeError):
                    continue
                if name == VALIDATION_LAYER:
                    return p
    return None


@dataclass(frozen=True)
class HeadlessRuntime:
    """A built runtime: its shared library and the manifest the OpenXR loader reads
    (`XR_RUNTIME_JSON`)."""

    library: Path
    manifest: Path

    @classmethod
    def build(cls, dir: Path, source: Path = RUNTIME_SOURCE) -> HeadlessRuntime:
        """Compiles `source` into `dir` with the system C compiler and writes the manifest there."""
        dir = Path(dir).resolve()
        dir.mkdir(parents=True, exist_ok=True)
        if not source.is_file():
            raise ConfigError(f"the headless runtime's source {source} is missing")
        cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
        if not cc:
            raise ConfigError(
                f"no C compiler (cc/gcc) to build the headless OpenXR runtime: `{_INSTALL_HINT}`"
            )
        library = dir / LIBRARY_NAME
        cmd = [
            cc,
            "-shared",
            "-fPIC",
            "-O1",
            "-Wall",
            "-DXR_USE_PLATFORM_EGL",
            "-DXR_USE_GRAPHICS_API_OPENGL",
            "-o",
            str(library),
            str(source),
            "-ldl",
            "-lm",
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        except OSError as exc:
            raise ConfigError(f"cannot run the C compiler {cc} ({exc}): `{_INSTALL_HINT}`") from exc
        if proc.returncode != 0:
            missing = [h for h in ("openxr/openxr.h", "EGL/egl.h") if h in proc.stderr]
            hint = f"the headers {', '.join(missing)} are missing: `{_INSTALL_HINT}`" if missing else ""
            raise ConfigError(
                f"building the headless OpenXR runtime failed{': ' + hint if hint else ''}\n"
                f"$ {' '.join(cmd)}\n{proc.stderr.strip()}"
            )
        manifest = dir / "vpbridge_headless_xr.json"
        manifest.write_text(
            json.dumps(
                {
                    "file_format_version": "1.0.0",
                    "runtime": {"name": RUNTIME_NAME, "library_path": str(library)},
                },
                indent=2,
            )
            + "\n"
        )
        return cls(library, manifest)

    def env(self, script_path: Path, record_dir: Path, validation: bool = True) -> dict[str, str]:
        """Environment variables that make an OpenXR app (through the Khronos loader) use this runtime
        with `script_path`, recording into `record_dir`; with `validation`, through the Khronos core
        validation layer writing its findings to `record_dir/validation.txt`."""
        record_dir = Path(record_dir).resolve()
        record_dir.mkdir(parents=True, exist_ok=True)
        env = {
            "XR_RUNTIME_JSON": str(self.manifest),
            "VPBRIDGE_XR_SCRIPT": str(Path(script_path).resolve()),
            "VPBRIDGE_XR_RECORD": str(record_dir),
            "EGL_PLATFORM": "surfaceless",
        }
        if validation:
            layer_dir = _validation_layer_dir()
            if layer_dir is None:
                raise ConfigError(
                    "the OpenXR core validation layer is not installed: "
                    "`apt-get install openxr-layer-corevalidation` (or pass validation=False)"
                )
            env.update(
                {
                    "XR_ENABLE_API_LAYERS": VALIDATION_LAYER,
                    # The loader pyopenxr bundles does not look in its own package: name the folder.
                    "XR_API_LAYER_PATH": str(layer_dir),
                    "XR_CORE_VALIDATION_EXPORT_TYPE": "text",
                    "XR_CORE_VALIDATION_FILE_NAME": str(record_dir / "validation.txt"),
                }
            )
        return env


def _num(v: float) -> str:
    return repr(float(v))


def _nums(values: Sequence[float], n: int, what: str) -> str:
    vals = [float(v) for v in values]
    if len(vals) != n or not all(np.isfinite(vals)):
        raise ConfigError(f"{what} takes {n} finite numbers, got {values!r}")
    return " ".join(_num(v) for v in vals)


@dataclass
class Script:
    """What the runtime plays: the device (controller profile, eye size, FOVs, IPD), when to end the
    session (`exit_after` frames, 0 never), which frames' released images to capture (frame indices,
    "all" or None), and per-frame head/hand poses and inputs. `depth_layer=False` makes the runtime
    not offer XR_KHR_composition_layer_depth."""

    profile: str = TOUCH
    view_size: tuple[int, int] = (512, 512)
    exit_after: int = 0
    capture: list[int] | str | None = None
    fov_left: Fov4 | None = None
    fov_right: Fov4 | None = None
    ipd: float | None = None
    depth_layer: bool = True
    throttle_hz: float = 0.0
    _events: list[tuple[int, str]] = field(default_factory=list, init=False, repr=False)

    def head(self, frame: int, pose: Sequence[float]) -> Script:
        """The head (view space) pose in STAGE from `frame` on."""
        self._events.append((self._frame(frame), f"head {_nums(pose, 7, 'a pose')}"))
        return self

    def hand(self, frame: int, side: str, pose: Sequence[float] | None) -> Script:
        """A controller's pose in STAGE from `frame` on; None: tracking lost."""
        if side not in ("left", "right"):
            raise ConfigError(f"a hand is 'left' or 'right', not {side!r}")
        what = "lost" if pose is None else _nums(pose, 7, "a pose")
        self._events.append((self._frame(frame), f"hand {side} {what}"))
        return self

    def input(self, frame: int, path: str, *values: float) -> Script:
        """An input's value from `frame` on: a component ("/user/hand/right/input/trigger/value"), an
        identifier (its value or click), or a 2-D identifier with two values (thumbstick x y)."""
        if not path.startswith("/user/hand/") or any(c.isspace() for c in path):
            raise ConfigError(f"an input path is /user/hand/left|right/input/..., not {path!r}")
        if len(values) not in (1, 2):
            raise ConfigError(f"an input takes one or two values, got {len(values)}")
        self._events.append((self._frame(frame), f"input {path} {_nums(values, len(values), 'an input')}"))
        return self

    @staticmethod
    def _frame(frame: int) -> int:
        if int(frame) != frame or frame < 0:
            raise ConfigError(f"a frame index is an integer >= 0, not {frame!r}")
        return int(frame)

    def lines(self) -> list[str]:
        out = [
            "# vpbridge headless OpenXR runtime script",
            f"profile {self.profile}",
            f"view_size {int(self.view_size[0])} {int(self.view_size[1])}",
            f"exit_after {int(self.exit_after)}",
            f"depth_layer {1 if self.depth_layer else 0}",
            f"throttle_hz {_num(self.throttle_hz)}",
        ]
        if self.ipd is not None:
            out.append(f"ipd {_num(self.ipd)}")
        for eye, fov in (("left", self.fov_left), ("right", self.fov_right)):
            if fov is not None:
                out.append(f"fov {eye} {_nums(fov, 4, 'a fov (left right up down)')}")
        if isinstance(self.capture, str):
            if self.capture not in ("all", "none"):
                raise ConfigError(f"capture is a list of frames, 'all' or 'none', not {self.capture!r}")
            out.append(f"capture {self.capture}")
        elif self.capture:
            out.append("capture " + " ".join(str(self._frame(f)) for f in self.capture))
        out += [f"at {frame} {what}" for frame, what in sorted(self._events, key=lambda e: e[0])]
        return out

    def write(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(self.lines()) + "\n")
        return path


@dataclass
class Recording:
    """What the runtime recorded in a directory: `events.jsonl` (one JSON object a line), the raw
    captured images and, with validation, `validation.txt`."""

    dir: Path
    events: list[dict[str, Any]]

    @classmethod
    def load(cls, dir: Path) -> Recording:
        dir = Path(dir)
        path = dir / "events.jsonl"
        events: list[dict[str, Any]] = []
        if path.is_file():
            events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return cls(dir, events)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == kind]

    @property
    def states(self) -> list[str]:
        """Session states in the order the runtime entered them (IDLE, READY, SYNCHRONIZED, ...)."""
        return [e["state"] for e in self.of("state")]

    @property
    def frames(self) -> list[dict[str, Any]]:
        """Ended frames: {"frame", "display_time", "layers": [...]}."""
        return self.of("frame")

    @property
    def swapchains(self) -> list[dict[str, Any]]:
        return self.of("swapchain")

    @property
    def captures(self) -> list[tuple[dict[str, Any], np.ndarray]]:
        """Captured released images: (the capture event, pixels with row 0 at the TOP). Colour is
        H×W×4 uint8 (RGBA as stored), depth H×W float32 (GL depth); array swapchains get a leading
        layer axis."""
        out = []
        for c in self.of("capture"):
            raw = (self.dir / c["file"]).read_bytes()
            w, h, layers = int(c["width"]), int(c["height"]), int(c.get("array_size", 1))
            img: np.ndarray
            if c["kind"] == "depth":
                img = np.frombuffer(raw, np.float32).reshape(layers, h, w)
            else:
                img = np.frombuffer(raw, np.uint8).reshape(layers, h, w, 4)
            img = np.ascontiguousarray(img[:, ::-1])  # GL rows are bottom-up
            out.append((c, img[0] if layers == 1 else img))
        return out

    def validation_errors(self) -> list[str]:
        """The core validation layer's error lines (`[VALID_ERROR | VUID | command]: message`)."""
        path = self.dir / "validation.txt"
        if not path.is_file():
            return []
        return [line for line in path.read_text(errors="replace").splitlines() if "VALID_ERROR" in line]
