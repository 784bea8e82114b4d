"""The terrain and coast builder: a multi-octave heightfield with ridges, carved canyons, strata and
erosion-like detail, vertex-coloured by biome; water; instanced rocks and vegetation; and for coasts
a village of small houses and a pier above the shoreline.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bridge.world.procedural import geom, props
from bridge.world.procedural.city import Buildings, facade_windows
from bridge.world.procedural.common import (
    add_part,
    box_collider,
    hex_to_linear,
    instance_matrices,
    material,
    palette,
    pose,
)
from bridge.world.procedural.noise import eroded, fbm, gradient_noise, ridged
from bridge.world.scene import Bookmark, Collider, Scene
from bridge.world.spec import WorldSpec

__all__ = ["build_terrain", "heights_for"]

Progress = Callable[[float, str], None]
_VEG = {
    "temperate": (("broadleaf", 0.55), ("conifer", 0.25), ("shrub", 0.2)),
    "alpine": (("conifer", 0.85), ("shrub", 0.15)),
    "desert": (("shrub", 0.6), ("cactus", 0.4)),
    "tropical": (("palm", 0.5), ("broadleaf", 0.3), ("shrub", 0.2)),
    "tundra": (("shrub", 0.8), ("conifer", 0.2)),
}
_DENSITY = {"temperate": 1.0, "alpine": 0.6, "desert": 0.08, "tropical": 1.2, "tundra": 0.15}


def heights_for(spec: WorldSpec) -> np.ndarray:
    """(n, n) ground heights in metres; row = +Z, column = +X."""
    t = spec.terrain
    n, s = t.resolution, spec.seed
    g = np.linspace(0.0, 1.0, n)
    x, z = np.meshgrid(g, g)
    f = spec.size_m / 300.0  # about one hill per 300 m at any size
    base = 0.5 + 0.5 * fbm(x * f, z * f, s, 6)
    ridge = ridged(x * f * 0.8 + 3.1, z * f * 0.8 + 1.7, s + 1, 6)
    h = (1 - t.roughness) * base + t.roughness * (0.3 * base + 0.7 * ridge)
    if t.canyon > 0:
        # mesas: squash the top into plateaus, cut by winding channels where a noise field crosses zero
        h = np.clip((h - 0.25) * 1.8, 0, 1) ** 0.6
        wind = gradient_noise(x * f * 0.9 + 7.3, z * f * 0.9 + 2.2, s + 2) + 0.35 * gradient_noise(
            x * f * 3, z * f * 3, s + 3
        )
        channel = np.exp(-((wind / 0.16) ** 2))
        h = h * (1 - t.canyon * 0.85 * channel)
        k = 7.0  # strata: terraces, softened so cliffs are steep but not vertical
        terr = np.floor(h * k) / k
        frac = h * k - np.floor(h * k)
        h = 0.55 * h + 0.45 * (terr + frac**4 / k)
    if spec.place == "coast":
        # land rises away from the sea at +Z; the shoreline meanders
        shore = 0.62 + 0.08 * gradient_noise(x * 3.0 + 11.0, np.zeros_like(x) + 0.5, s + 4)
        ramp = np.clip((shore - z) / shore, -0.6, 1.0)
        h = 0.18 + 0.55 * ramp * (0.6 + 0.4 * h) - 0.25 * np.clip(-ramp, 0, 1)
    h = eroded(h * t.height_m, spec.size_m / (n - 1), s + 5, strength=t.height_m * 0.02 * (0.5 + t.roughness))
    return np.asarray(h - h.min(), np.float64)


def _colours(spec: WorldSpec, h: np.ndarray, cell: float, water_y: float) -> np.ndarray:
    dhdz, dhdx = np.gradient(h, cell)
    slope = np.hypot(dhdx, dhdz)
    rel = (h - h.min()) / max(1e-6, float(np.ptp(h)))
    lin = {
        k: hex_to_linear(v)
        for k, v in {
            "grass": "#5d7a36",
            "dry": "#9c8f55",
            "rock": "#7c7268",
            "snow": "#eef2f5",
            "sand": "#d8c08c",
            "red": "#b4583a",
            "ochre": "#cf8a4e",
            "dark": "#6e3b2a",
            "moss": "#3f5a2c",
            "tundra": "#8a8a70",
        }.items()
    }
    if spec.biome == "desert":
        band = 0.5 + 0.5 * np.sin(h * 1.3 + 0.8 * np.sin(h * 0.21))
        c = band[..., None] * lin["red"] + (1 - band[..., None]) * lin["ochre"]
        c = np.where((slope > 1.2)[..., None], 0.7 * c + 0.3 * lin["dark"], c)
        flat = np.clip(1.0 - slope * 2.5, 0, 1)[..., None]
        c = flat * lin["sand"] + (1 - flat) * c
    else:
        low = {
            "temperate": lin["grass"],
            "tropical": lin["moss"],
            "alpine": lin["grass"],
            "tundra": lin["tundra"],
        }[spec.biome]
        steep = np.clip((slope - 0.5) * 2.0, 0, 1)[..., None]
        c = (1 - steep) * (
            low * (1 - 0.4 * rel[..., None]) + lin["dry"] * 0.4 * rel[..., None]
        ) + steep * lin["rock"]
        if spec.biome in ("alpine", "tundra") or spec.weather == "snow":
            snow = np.clip((rel - 0.55) * 5.0, 0, 1)[..., None] * np.clip(1.2 - slope, 0, 1)[..., None]
            c = (1 - snow) * c + snow * lin["snow"]
        beach = np.clip(1.0 - (h - water_y) / 2.5, 0, 1)[..., None] if water_y > -1e9 else 0.0
        c = (1 - beach) * c + beach * lin["sand"]
    jitter = 1.0 + 0.08 * gradient_noise(
        np.arange(h.size).reshape(h.shape) % h.shape[1] * 0.37,
        np.arange(h.size).reshape(h.shape) // h.shape[1] * 0.37,
        spec.seed + 9,
    )
    return np.asarray(c * jitter[..., None], np.float32)


def _sample(h: np.ndarray, size: float, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Bilinear ground height at world (x, z)."""
    n = h.shape[0]
    u = np.clip((x / size + 0.5) * (n - 1), 0, n - 1.001)
    v = np.clip((z / size + 0.5) * (n - 1), 0, n - 1.001)
    i, j = v.astype(np.int64), u.astype(np.int64)
    fu, fv = u - j, v - i
    return np.asarray(
        (h[i, j] * (1 - fu) + h[i, j + 1] * fu) * (1 - fv)
        + (h[i + 1, j] * (1 - fu) + h[i + 1, j + 1] * fu) * fv
    )


def build_terrain(
    scene: Scene, spec: WorldSpec, rng: np.random.Generator, progress: Progress
) -> dict[str, object]:
    t, size = spec.terrain, spec.size_m
    h = heights_for(spec)
    n = h.shape[0]
    cell = size / (n - 1)
    relief = float(np.ptp(h))
    water_frac = t.water_level if t.water_level >= 0 else (0.3 if spec.place == "coast" else -1.0)
    water_y = float(h.min() + water_frac * relief) if water_frac >= 0 else -1e12
    progress(0.3, "heightfield")
    ground = geom.heightfield(h, size, _colours(spec, h, cell, water_y))
    add_part(scene, "terrain", "terrain", ground, material(scene, "ground", (1, 1, 1), 0.95))
    step = max(1, (n - 1) // 64)  # collider: the same surface at a quarter of the resolution or less
    coarse = geom.heightfield(h[::step, ::step], size * ((n - 1) // step * step) / (n - 1))
    colliders: list[Collider] = [_collider_from(coarse, "terrain_collider", "terrain")]
    if water_y > -1e9:
        extent = size * (6.0 if spec.place == "coast" else 1.0)
        water = geom.quads(
            [[0, water_y, extent / 2 - size / 2 if spec.place == "coast" else 0]],
            [[0, 1, 0]],
            [[1, 0, 0]],
            [[extent, extent]],
        )
        add_part(
            scene,
            "water",
            "water",
            water,
            material(scene, "water", (0.01, 0.05, 0.07), 0.04, 0.2),
            collider=False,
        )
    progress(0.5, "water")
    dhdz, dhdx = np.gradient(h, cell)
    slope = np.hypot(dhdx, dhdz)
    # rocks: more on steep ground, two shapes
    count = int(size * size / 350.0 * t.rocks)
    x, z = rng.uniform(-size / 2, size / 2, (2, count))
    ok = _sample(slope, size, x, z) > rng.uniform(0.05, 0.8, count)
    ok &= _sample(h, size, x, z) > water_y
    x, z = x[ok], z[ok]
    s = rng.lognormal(0.0, 0.6, len(x)).clip(0.3, 6.0)
    tint = (1.35, 0.8, 0.6) if spec.biome == "desert" else None
    for k in range(2):
        sel = np.arange(len(x)) % 2 == k
        m = instance_matrices(
            np.stack([x[sel], _sample(h, size, x[sel], z[sel]) - 0.25 * s[sel], z[sel]], 1),
            rng.uniform(0, 2 * np.pi, int(sel.sum())),
            s[sel],
        )
        colliders += props.place(scene, "rock", m, f"rocks_{k}", seed=spec.seed + k, tint=tint)
    progress(0.7, "rocks")
    count = int(size * size / 90.0 * t.vegetation * _DENSITY[spec.biome])
    x, z = rng.uniform(-size / 2, size / 2, (2, count))
    gy = _sample(h, size, x, z)
    ok = (_sample(slope, size, x, z) < 0.7) & (gy > water_y + 0.8)
    ok &= fbm(x / size * 4 + 20, z / size * 4 + 20, spec.seed + 11, 3) > -0.15  # clumps and clearings
    x, z, gy = x[ok], z[ok], gy[ok]
    kinds = _VEG[spec.biome]
    pick = rng.choice(len(kinds), len(x), p=[p for _, p in kinds])
    sc = rng.uniform(0.7, 1.3, len(x))
    yaw = rng.uniform(0, 2 * np.pi, len(x))
    for i, (kind, _) in enumerate(kinds):
        sel = pick == i
        m = instance_matrices(np.stack([x[sel], gy[sel] - 0.1, z[sel]], 1), yaw[sel], sc[sel])
        colliders += props.place(
            scene, kind, m, f"{kind}s", tint=(1.3, 1.05, 0.6) if spec.biome == "desert" else None
        )
    progress(0.85, "vegetation")
    houses, pier = (
        _village(scene, spec, h, slope, water_y, rng) if spec.place == "coast" else (np.zeros((0, 6)), None)
    )
    if len(houses):
        colliders.append(box_collider("village_collider", "building", houses[:, :3], houses[:, 3:]))
    scene.colliders.extend(colliders)
    return {"bookmarks": _bookmarks(scene, spec, h, water_y, houses, pier)}


def _collider_from(part: geom.Part, name: str, label: str) -> Collider:
    return Collider(name, label, part.positions.astype(np.float32), part.indices.astype(np.int64))


def _village(
    scene: Scene, spec: WorldSpec, h: np.ndarray, slope: np.ndarray, water_y: float, rng: np.random.Generator
) -> tuple[np.ndarray, tuple[float, float, float] | None]:
    """Small houses on gentle ground above the shore and a pier into the sea: (house boxes, pier end)."""
    size = spec.size_m
    x, z = rng.uniform(-size * 0.4, size * 0.4, (2, 2500))
    gy = _sample(h, size, x, z)
    ok = (
        (_sample(slope, size, x, z) < 0.25)
        & (gy > water_y + 1.5)
        & (gy < water_y + 18.0)
        & (np.abs(x) < size * 0.3)
    )
    x, z, gy = x[ok], z[ok], gy[ok]
    keep: list[int] = []
    for i in range(len(x)):  # greedy spacing so houses do not overlap
        if len(keep) >= 70:
            break
        if all((x[i] - x[j]) ** 2 + (z[i] - z[j]) ** 2 > 14.0**2 for j in keep):
            keep.append(i)
    k = np.array(keep, np.int64)
    if not len(k):
        return np.zeros((0, 6)), None
    w, d = rng.uniform(6, 11, (2, len(k)))
    floors = rng.integers(1, 4, len(k))
    top = floors * 3.1
    base_y = gy[k] - 1.0  # sink into the slope so no house floats
    b = Buildings(
        [
            (
                float(x[k][i]),
                float(z[k][i]),
                float(w[i]),
                float(d[i]),
                float(base_y[i]),
                float(base_y[i] + 1.0 + top[i]),
                i,
            )
            for i in range(len(k))
        ]
    )
    base, _ = palette(spec)
    cols = base[rng.integers(0, len(base), len(k))]
    body = geom.boxes(
        np.stack([b.cx, (b.y0 + b.y1) / 2, b.cz], 1), np.stack([b.w, b.y1 - b.y0, b.d], 1), colors=cols
    )
    add_part(scene, "houses", "building", body, material(scene, "plaster", (1, 1, 1), 0.9))
    roofs = geom.gable_roofs(
        np.stack([b.cx, b.y1, b.cz], 1), np.stack([b.w + 0.8, b.d + 0.8], 1), np.minimum(b.w, b.d) * 0.4
    )
    add_part(scene, "house_roofs", "roof", roofs, material(scene, "tiles", hex_to_linear("#a84a32"), 0.8))
    b.y0 = b.y0 + 1.0  # windows start above the sunk plinth
    dark, warm, cool, _ = facade_windows(b, 3.1, 3.0, rng, 0.2)
    add_part(
        scene,
        "house_windows",
        "window",
        geom.merge([dark, cool]),
        material(scene, "house_glass", (0.02, 0.03, 0.04), 0.1, 0.4),
        collider=False,
    )
    add_part(
        scene,
        "house_windows_lit",
        "window",
        warm,
        material(scene, "house_glass_lit", (0.02, 0.03, 0.04), 0.1, 0.4, (3.0, 2.0, 1.0), True),
        collider=False,
    )
    # pier: deck and piles from the house nearest the shore out over the water
    j = int(np.argmax(b.cz))
    px, pz = float(b.cx[j]), float(b.cz[j]) + b.d[j] / 2 + 4
    length = 60.0
    deck = geom.boxes([[px, water_y + 1.2, pz + length / 2]], [[3.0, 0.3, length]], skip_bottom=False)
    piles_z = np.arange(pz, pz + length, 6.0)
    piles = geom.boxes(
        np.stack(
            [
                np.full(len(piles_z) * 2, px) + np.repeat([-1.3, 1.3], len(piles_z)),
                np.full(len(piles_z) * 2, water_y - 1.0),
                np.tile(piles_z, 2),
            ],
            1,
        ),
        np.tile([0.35, 4.5, 0.35], (len(piles_z) * 2, 1)),
    )
    add_part(
        scene,
        "pier",
        "prop",
        geom.merge([deck, piles]),
        material(scene, "wood", hex_to_linear("#6b4e34"), 0.85),
    )
    boats = instance_matrices(
        np.stack(
            [px + np.array([6.0, -7.0, 9.0]), np.full(3, water_y), pz + np.array([20.0, 35.0, 48.0])], 1
        ),
        np.array([0.2, 1.4, -0.5]),
        np.ones(3),
    )
    hull = geom.merge(
        [
            geom.boxes([[0, 0.3, 0]], [[1.8, 0.8, 5.0]], skip_bottom=False),
            geom.boxes([[0, 1.0, -0.6]], [[1.2, 0.7, 1.6]]),
        ]
    )
    add_part(scene, "boats", "vehicle", hull, material(scene, "boat", hex_to_linear("#e8e4da"), 0.5), boats)
    return np.stack([b.cx, (b.y0 + b.y1) / 2, b.cz, b.w, b.y1 - b.y0, b.d], 1), (
        px,
        water_y + 1.35,
        pz + length,
    )


def _open_view(h: np.ndarray, size: float, water_y: float) -> tuple[np.ndarray, np.ndarray]:
    """A dry spot near the middle and the direction with the longest clear view at eye height."""
    g = np.linspace(-0.25, 0.25, 17) * size
    cx, cz = (a.ravel() for a in np.meshgrid(g, g))
    cy = _sample(h, size, cx, cz) + 1.7
    ang = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    dist = np.linspace(5.0, size * 0.3, 40)
    dx, dz = np.sin(ang), -np.cos(ang)
    px = cx[:, None, None] + dx[None, :, None] * dist[None, None]
    pz = cz[:, None, None] + dz[None, :, None] * dist[None, None]
    ground = _sample(h, size, px.ravel(), pz.ravel()).reshape(px.shape)
    blocked = ground > cy[:, None, None] + dist[None, None] * 0.08  # allow a gentle upward look
    free = np.where(blocked.any(-1), dist[np.argmax(blocked, -1)], dist[-1])
    score = free - 1e6 * (cy[:, None] - 1.7 <= water_y + 1.0) - 0.3 * np.hypot(cx, cz)[:, None]
    i, j = np.unravel_index(int(np.argmax(score)), score.shape)
    eye = np.array([cx[i], cy[i], cz[i]])
    return eye, eye + np.array([dx[j] * 100.0, 6.0, dz[j] * 100.0])


def _bookmarks(
    scene: Scene,
    spec: WorldSpec,
    h: np.ndarray,
    water_y: float,
    houses: np.ndarray,
    pier: tuple[float, float, float] | None,
) -> list[Bookmark]:
    size = spec.size_m
    peak = np.unravel_index(int(np.argmax(h)), h.shape)
    n = h.shape[0]
    px, pz = (peak[1] / (n - 1) - 0.5) * size, (peak[0] / (n - 1) - 0.5) * size
    py = float(h.max())
    eye, target = _open_view(h, size, water_y)
    sun = scene.environment.sun_direction()
    sun_flat = np.array([sun[0], 0.0, sun[2]]) / (np.hypot(sun[0], sun[2]) + 1e-9)
    marks = [
        pose("spawn", eye, target, "spawn", 60.0, "on the ground near the middle, facing the high ground"),
        pose(
            "overview",
            (size * 0.45, py + size * 0.25, size * 0.45),
            (0.0, py * 0.3, 0.0),
            "bookmark",
            55.0,
            "aerial view over the set",
        ),
        pose(
            "summit",
            (px, py + 2.5, pz),
            (0.0, py * 0.2, 0.0),
            "bookmark",
            70.0,
            "on the highest point, looking over the land",
        ),
        pose(
            "toward_sun",
            eye + np.array([0, 1.0, 0]),
            eye + sun_flat * 100 + np.array([0, 8.0, 0]),
            "shot",
            50.0,
            "into the low sun",
        ),
        pose(
            "valley_wide",
            eye + np.array([0, 25.0, 0]) - sun_flat * 40,
            eye + sun_flat * 80,
            "shot",
            40.0,
            "high wide shot along the valley",
        ),
    ]
    if len(houses):
        j = int(np.argmin(np.hypot(houses[:, 0], houses[:, 2])))
        hx, hy, hz = houses[j, :3]
        marks.append(
            pose("village", (hx - 18, hy + 4, hz - 18), (hx, hy, hz), "bookmark", 60.0, "among the houses")
        )
        if pier is not None:
            marks[0] = pose(
                "spawn",
                (pier[0], pier[1] + 1.7, pier[2] - 50),
                (pier[0], pier[1] + 1.7, pier[2]),
                "spawn",
                60.0,
                "on the pier, looking out to sea",
            )
            marks.append(
                pose(
                    "pier_end",
                    (pier[0], pier[1] + 1.7, pier[2] - 2),
                    (hx, hy + 4, hz),
                    "shot",
                    50.0,
                    "from the end of the pier back to the village",
                )
            )
    return marks
