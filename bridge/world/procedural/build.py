"""`build_scene`: WorldSpec -> Scene with the procedural builders (no weights, no network), plus the
spawn point, bookmarks and shots each place gets. Deterministic: everything draws from one
`numpy.random.Generator` seeded by the spec, in a fixed order.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from bridge.errors import ConfigError, SceneError
from bridge.world.procedural.city import build_city
from bridge.world.procedural.common import environment_from_spec, pose
from bridge.world.procedural.interior import build_interior
from bridge.world.procedural.layout import ROAD, Layout, city_layout, sketch_layout
from bridge.world.procedural.terrain import build_terrain
from bridge.world.scene import Bookmark, Provenance, Scene
from bridge.world.spec import WorldSpec, load_spec

__all__ = ["BUILDER", "BUILDER_VERSION", "build_scene", "default_scene", "file_sha256"]

BUILDER = "vpbridge.procedural"
BUILDER_VERSION = "1.0"
DEFAULT_SPEC = "neon_city"
Progress = Callable[[float, str], None]


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _no_progress(fraction: float, stage: str) -> None:
    return None


def build_scene(
    spec: WorldSpec, progress: Progress | None = None, unused_words: list[str] | None = None
) -> Scene:
    """Build the set a spec describes; `progress(fraction 0..1, stage)` is called along the way."""
    report = progress or _no_progress
    report(0.0, "start")
    rng = np.random.default_rng(spec.seed)
    prov = Provenance(
        BUILDER, BUILDER_VERSION, prompt=spec.prompt, seed=spec.seed, unused_words=list(unused_words or [])
    )
    prov.notes.append(
        f"spec {spec.name!r}: {spec.place}, {spec.time_of_day_h:g} h, {spec.weather}, {spec.palette}, {spec.era}"
    )
    scene = Scene(spec.name, prov, environment_from_spec(spec), description=spec.description)
    if spec.sky_panorama:
        _load_panorama(scene, spec.sky_panorama)

    def sub(lo: float, hi: float) -> Progress:
        return lambda f, stage: report(lo + (hi - lo) * f, stage)

    if spec.sketch or spec.place == "city":
        if spec.sketch:
            layout = sketch_layout(spec.sketch, spec.sketch_m_per_px)
            prov.sources.append((str(spec.sketch), file_sha256(spec.sketch)))
            prov.notes.append(f"layout from sketch {Path(spec.sketch).name} at {layout.cell_m:g} m/px")
        else:
            layout = city_layout(spec.size_m, spec.city.block_m, spec.city.street_m, rng)
        facts = build_city(scene, spec, layout, rng, sub(0.05, 0.9))
        scene.bookmarks.extend(_city_bookmarks(layout, facts, spec))
    elif spec.place in ("terrain", "coast"):
        facts = build_terrain(scene, spec, rng, sub(0.05, 0.9))
        scene.bookmarks.extend(facts["bookmarks"])  # type: ignore[arg-type]
    else:
        facts = build_interior(scene, spec, rng, sub(0.05, 0.9))
        scene.bookmarks.extend(facts["bookmarks"])  # type: ignore[arg-type]
    if scene.triangle_count == 0:
        raise SceneError(f"spec {spec.name!r} produced no geometry; check `size_m`, `place` and the sketch")
    if spec.shots:
        _declared_shots(scene, spec)
    report(1.0, "done")
    return scene


def _declared_shots(scene: Scene, spec: WorldSpec) -> None:
    """The spec's `[[shots]]` replace the builder's own shots (bookmarks and the spawn point stay)."""
    taken = {b.name for b in scene.bookmarks if b.kind != "shot"}
    scene.bookmarks = [b for b in scene.bookmarks if b.kind != "shot"]
    for shot in spec.shots:
        if shot.name in taken:
            raise ConfigError(
                f"shot {shot.name!r} has the name of a bookmark the builder made; rename the shot"
            )
        b = pose(
            shot.name,
            np.asarray(shot.eye),
            np.asarray(shot.look_at),
            "shot",
            shot.fov_y_deg,
            shot.description,
        )
        b.at_s = shot.at_s
        scene.bookmarks.append(b)


def _load_panorama(scene: Scene, path: str) -> None:
    try:
        img = Image.open(path).convert("RGB")
    except (OSError, ValueError) as exc:
        raise SceneError(
            f"`sky_panorama` {path!r} cannot be read as an image ({exc}); give an equirectangular PNG/JPEG"
        ) from exc
    scene.environment.panorama = np.asarray(img, np.uint8).copy()
    scene.environment.sky = "panorama"
    scene.provenance.sources.append((path, file_sha256(path)))


def tilt_for_horizon(spec: WorldSpec, fov: float = 60.0) -> float:
    """Pitch (radians) that puts the horizon where the image prompt had it; 0 without one."""
    if spec.horizon < 0:
        return 0.0
    return math.radians((spec.horizon - 0.5) * fov)


def _city_bookmarks(layout: Layout, facts: dict[str, object], spec: WorldSpec) -> list[Bookmark]:
    road = layout.cells == ROAD
    if not road.any():  # a sketch with no roads: stand in the open, look at the middle
        sx, sz = layout.size_m
        return _generic_bookmarks(max(sx, sz), 1.7, spec)
    along_x = ndimage.uniform_filter(road.astype(np.float32), size=(1, 15)) > 0.99
    along_z = ndimage.uniform_filter(road.astype(np.float32), size=(15, 1)) > 0.99
    both = along_x & along_z
    straight = road & (along_x ^ along_z)
    cand = straight if straight.any() else road
    r, c = np.nonzero(cand)
    x, z = layout.to_world(r, c)
    i = int(np.argmin(np.hypot(x, z) + 1e-3 * x))  # tie-break keeps the choice deterministic
    eye = np.array([x[i], 1.7, z[i]])
    d = np.array([40.0, 0.0, 0.0]) if along_x[r[i], c[i]] else np.array([0.0, 0.0, -40.0])
    pitch = tilt_for_horizon(spec)
    look = eye + d + np.array([0.0, 2.0 + 40.0 * math.tan(pitch), 0.0])
    sx, sz = layout.size_m
    size = max(sx, sz)
    roof = np.array(facts["roof"], np.float64)
    marks = [
        pose("spawn", eye, look, "spawn", 60.0, "street level, looking down the main street"),
        pose("street", eye, look, "bookmark", 60.0, "the main street at eye height"),
        pose(
            "street_reverse",
            eye,
            eye - d + np.array([0, 2.0, 0]),
            "bookmark",
            60.0,
            "the main street, looking back",
        ),
        pose(
            "overview",
            (size * 0.42, size * 0.3, size * 0.42),
            (0.0, 10.0, 0.0),
            "bookmark",
            55.0,
            "aerial view over the whole set",
        ),
        pose(
            "rooftop",
            roof + np.array([3.0, 3.0, 3.0]),
            (0.0, roof[1] * 0.3, 0.0),
            "bookmark",
            70.0,
            "on the tallest roof, looking over the city",
        ),
        pose(
            "low_angle",
            eye + np.array([0, -1.3, 0]),
            roof * np.array([1, 0.8, 1]),
            "shot",
            50.0,
            "low angle up at the tallest tower",
        ),
        pose(
            "crane",
            eye + np.array([0, 14.0, 0]) - d * 0.3,
            eye + d,
            "shot",
            45.0,
            "crane shot down the street",
        ),
        pose(
            "long_lens",
            eye - d * 0.8 + np.array([0, 2.0, 0]),
            eye + d * 0.5,
            "shot",
            25.0,
            "telephoto compression down the street",
        ),
    ]
    if both.any():
        br, bc = np.nonzero(road & both)
        bx, bz = layout.to_world(br, bc)
        j = int(np.argmin(np.hypot(bx - x[i], bz - z[i]) + 1e-3 * bx))
        marks.insert(
            2,
            pose(
                "intersection",
                (bx[j] + 3.0, 1.7, bz[j] + 3.0),
                (bx[j] - 30.0, 4.0, bz[j] - 30.0),
                "bookmark",
                70.0,
                "a crossing, looking across the corner",
            ),
        )
    return marks


def _generic_bookmarks(size: float, ground_y: float, spec: WorldSpec) -> list[Bookmark]:
    eye = np.array([0.0, ground_y + 1.7, size * 0.3])
    return [
        pose(
            "spawn",
            eye,
            (0.0, ground_y + 1.7 + 30.0 * math.tan(tilt_for_horizon(spec)), 0.0),
            "spawn",
            60.0,
            "standing at the edge",
        ),
        pose(
            "overview",
            (size * 0.42, size * 0.3, size * 0.42),
            (0.0, 0.0, 0.0),
            "bookmark",
            55.0,
            "aerial view",
        ),
        pose("high", (0.0, size * 0.2, size * 0.45), (0.0, 0.0, 0.0), "shot", 45.0, "high wide shot"),
    ]


def default_scene(progress: Progress | None = None) -> Scene:
    """The embedded default set (the neon city street at night); what `make demo` streams."""
    return build_scene(load_spec(DEFAULT_SPEC), progress)
