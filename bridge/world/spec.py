"""`WorldSpec`: the typed, seedable description of a set that every builder starts from.

Specs are saved and loaded as TOML; the shipped ones live in the repository's `scenes/` folder
(or the folder named by `VPBRIDGE_SCENES`). Unknown keys are refused so typos do not pass silently.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import msgspec
import tomli_w
import tomllib

from bridge.errors import ConfigError, SceneError

__all__ = [
    "ShotSpec",
    "spec_from_toml",
    "BIOMES",
    "ERAS",
    "PALETTES",
    "PLACES",
    "CityParams",
    "InteriorParams",
    "TerrainParams",
    "WorldSpec",
    "load_spec",
    "save_spec",
    "scenes_dir",
    "shipped_specs",
]

Place = Literal["city", "terrain", "coast", "interior"]
Biome = Literal["temperate", "desert", "alpine", "tropical", "tundra"]
Weather = Literal["clear", "overcast", "fog", "rain", "snow"]
Era = Literal["modern", "futuristic", "historic", "industrial"]
Palette = Literal["natural", "neon", "warm", "cool", "pastel", "noir", "earthy"]

PLACES: tuple[str, ...] = ("city", "terrain", "coast", "interior")
BIOMES: tuple[str, ...] = ("temperate", "desert", "alpine", "tropical", "tundra")
ERAS: tuple[str, ...] = ("modern", "futuristic", "historic", "industrial")
PALETTES: tuple[str, ...] = ("natural", "neon", "warm", "cool", "pastel", "noir", "earthy")


class CityParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Street grid and buildings."""

    block_m: float = 56.0
    """Distance between street centre lines, metres."""
    street_m: float = 14.0
    """Street width kerb to kerb, metres."""
    min_floors: int = 3
    max_floors: int = 28
    density: float = 0.85
    """Fraction of lots that get a building (the rest become plazas with trees)."""
    props: float = 1.0
    """Multiplier for street lamps, cars, trees and signs."""


class TerrainParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Heightfield, water and scattered rocks and vegetation."""

    height_m: float = 60.0
    """Peak-to-valley relief, metres."""
    roughness: float = 0.5
    """0 = rolling hills, 1 = jagged ridges."""
    resolution: int = 288
    """Heightfield samples per side (triangles = 2·(n−1)²)."""
    water_level: float = -1.0
    """Water height as a fraction of the relief (0..1); negative = no water."""
    vegetation: float = 1.0
    """Multiplier for tree and shrub counts."""
    rocks: float = 1.0
    """Multiplier for rock counts."""
    canyon: float = 0.0
    """0..1: how deeply ridged channels are carved into the terrain (desert canyons)."""


class InteriorParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Room shell, openings and furniture."""

    width_m: float = 16.0
    depth_m: float = 12.0
    height_m: float = 5.0
    windows: int = 3
    doors: int = 1
    furniture: float = 1.0
    """Multiplier for the amount of furniture."""
    studio: bool = True
    """Add a film-studio kit: cyclorama wall, light stands, truss and camera dolly."""


class ShotSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """A named perspective offered to viewers (`[[shots]]` in TOML), optionally on a timeline."""

    name: str
    eye: list[float]
    """Camera position, metres (x, y, z; Y up)."""
    look_at: list[float]
    """Point the camera looks at."""
    fov_y_deg: float = 60.0
    at_s: float | None = None
    """When the shot comes up on the timeline, seconds from the start; none = offered any time."""
    description: str = ""


class WorldSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Everything a builder needs to make a set; the same spec and seed give the same scene."""

    name: str = "untitled"
    description: str = ""
    """One line, shown by `vpbridge scenes`."""
    place: Place = "city"
    biome: Biome = "temperate"
    time_of_day_h: float = 14.0
    """Local solar time, hours (0..24); drives the sun."""
    weather: Weather = "clear"
    palette: Palette = "natural"
    era: Era = "modern"
    seed: int = 0
    size_m: float = 400.0
    """Side of the square the set covers, metres (interiors use `interior` instead)."""
    latitude_deg: float = 35.0
    prompt: str = ""
    """The prompt the spec came from, if any (kept for provenance)."""
    accent_colors: list[str] = msgspec.field(default_factory=list)
    """Extra sRGB colours (`#rrggbb`) mixed into the palette, e.g. taken from an image prompt."""
    horizon: float = -1.0
    """Horizon height in an image prompt (0 top..1 bottom); negative = none. Tilts the spawn camera."""
    sketch: str = ""
    """Path of a top-down colour-coded layout PNG (see docs/world.md for the legend)."""
    sketch_m_per_px: float = 2.0
    """Metres per sketch pixel."""
    sky_panorama: str = ""
    """Path of an equirectangular sky image; empty = analytic sky from the sun."""
    city: CityParams = msgspec.field(default_factory=CityParams)
    terrain: TerrainParams = msgspec.field(default_factory=TerrainParams)
    interior: InteriorParams = msgspec.field(default_factory=InteriorParams)
    shots: list[ShotSpec] = msgspec.field(default_factory=list)
    """Named perspectives; when given they replace the builder's own shots."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.time_of_day_h <= 24.0:
            raise ConfigError(f"`time_of_day_h` must be in 0..24 hours, got {self.time_of_day_h}")
        if not 20.0 <= self.size_m <= 5000.0:
            raise ConfigError(f"`size_m` must be 20..5000 metres, got {self.size_m}")
        if not 16 <= self.terrain.resolution <= 2048:
            raise ConfigError(f"`terrain.resolution` must be 16..2048 samples, got {self.terrain.resolution}")
        if not 2.0 <= min(self.interior.width_m, self.interior.depth_m, self.interior.height_m):
            raise ConfigError("`interior` width, depth and height must each be at least 2 metres")
        seen: set[str] = set()
        for i, shot in enumerate(self.shots):
            where = f"`shots[{i}]` ({shot.name!r})"
            if shot.name in seen:
                raise ConfigError(f"{where}: the name is used twice; shot names must be unique")
            seen.add(shot.name)
            if len(shot.eye) != 3 or len(shot.look_at) != 3:
                raise ConfigError(
                    f"{where}: `eye` and `look_at` must be three numbers each, like [0, 1.7, 5]"
                )
            if shot.eye == shot.look_at:
                raise ConfigError(f"{where}: `look_at` must differ from `eye`")
            if not 1.0 <= shot.fov_y_deg <= 170.0:
                raise ConfigError(f"{where}: `fov_y_deg` must be 1..170 degrees, got {shot.fov_y_deg}")
            if shot.at_s is not None and shot.at_s < 0:
                raise ConfigError(f"{where}: `at_s` must be 0 or more seconds, got {shot.at_s}")
        for c in self.accent_colors:
            if len(c) != 7 or c[0] != "#" or any(ch not in "0123456789abcdefABCDEF" for ch in c[1:]):
                raise ConfigError(f"`accent_colors`: {c!r} is not a colour; write it as '#rrggbb'")


def _decode(data: dict[str, object], source: str) -> WorldSpec:
    try:
        return msgspec.convert(data, WorldSpec)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"scene spec {source}: {exc}") from exc


def scenes_dir() -> Path:
    """The folder of shipped specs: `VPBRIDGE_SCENES`, else `scenes/` at the repository root."""
    env = os.environ.get("VPBRIDGE_SCENES")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "scenes"


def shipped_specs() -> dict[str, tuple[Path, str]]:
    """Name -> (path, one-line description) of every spec in `scenes_dir()`, sorted by name."""
    out: dict[str, tuple[Path, str]] = {}
    folder = scenes_dir()
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.toml")):
        try:
            spec = load_spec(path)
        except (ConfigError, SceneError):
            continue  # a broken spec is reported when it is loaded by name, not while listing
        out[path.stem] = (path, spec.description)
    return out


def load_spec(path_or_name: str | os.PathLike[str]) -> WorldSpec:
    """A spec from a TOML file, or from the name of a shipped spec (e.g. `"neon_city"`)."""
    path = Path(path_or_name)
    if not path.suffix and not path.exists():
        candidate = scenes_dir() / f"{path}.toml"
        if not candidate.exists():
            names = ", ".join(p.stem for p in sorted(scenes_dir().glob("*.toml"))) or "none"
            raise ConfigError(f"no scene spec named {str(path_or_name)!r}; shipped specs: {names}")
        path = candidate
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"scene spec {str(path)!r} does not exist; give a TOML file or a shipped name"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"scene spec {str(path)!r} cannot be read: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"scene spec {str(path)!r} is not valid TOML: {exc}") from exc
    spec = _decode(data, repr(str(path)))
    if spec.sketch and not Path(spec.sketch).is_absolute():
        spec.sketch = str((path.parent / spec.sketch).resolve())
    if spec.sky_panorama and not Path(spec.sky_panorama).is_absolute():
        spec.sky_panorama = str((path.parent / spec.sky_panorama).resolve())
    return spec


def spec_from_toml(text: str, source: str = "spec text") -> WorldSpec:
    """A spec from TOML text (e.g. sent by a client); file references are not resolved."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}") from exc
    return _decode(data, source)


def save_spec(spec: WorldSpec, path: str | os.PathLike[str]) -> Path:
    """Write `spec` as TOML (defaults left out, so files stay short) and return the path."""
    out = Path(path)
    data = msgspec.to_builtins(spec)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(tomli_w.dumps(data), encoding="utf-8")
    return out
