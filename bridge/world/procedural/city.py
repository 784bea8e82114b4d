"""The city builder: fills a `Layout` with ground, buildings of varied footprint and height, roofs,
window patterns (lit at night), ledges, neon signs and street props. Procedural cities and sketches
both come through here; everything is vectorised so a few hundred buildings build in about a second.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage

from bridge.world.procedural import geom, props
from bridge.world.procedural.common import (
    add_part,
    box_collider,
    instance_matrices,
    is_night,
    material,
    palette,
)
from bridge.world.procedural.layout import BUILDING, GROUND, ROAD, SIDEWALK, VEGETATION, WATER, Layout
from bridge.world.scene import Collider, Light, Scene
from bridge.world.spec import WorldSpec

__all__ = ["Buildings", "build_city", "facade_windows"]

Progress = Callable[[float, str], None]


class Buildings:
    """Building tiers as parallel arrays: centre x/z, width (x), depth (z), base y, top y, owner index."""

    def __init__(self, rows: list[tuple[float, float, float, float, float, float, int]]) -> None:
        a = np.array(rows, np.float64).reshape(-1, 7)
        self.cx, self.cz, self.w, self.d, self.y0, self.y1 = (a[:, i] for i in range(6))
        self.owner = a[:, 6].astype(np.int64)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Horizontal runs of True per row: (row, first column, length)."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), np.int8)
    padded[:, 1:-1] = mask
    d = np.diff(padded, axis=1)
    rs, cs = np.nonzero(d == 1)
    re, ce = np.nonzero(d == -1)
    return rs, cs, ce - cs


def _ground(scene: Scene, layout: Layout, spec: WorldSpec, base: np.ndarray) -> list[Collider]:
    night = is_night(spec)
    specs = {  # class -> (name, label, height, colour, roughness)
        ROAD: ("road", "road", 0.0, (0.035, 0.035, 0.04), 0.35 if night or spec.weather == "rain" else 0.8),
        SIDEWALK: ("sidewalk", "sidewalk", 0.15, (0.22, 0.21, 0.2), 0.7),
        GROUND: ("ground", "terrain", 0.05, (0.16, 0.15, 0.12), 0.9),
        VEGETATION: ("grass", "vegetation", 0.08, (0.06, 0.14, 0.04), 0.9),
        WATER: ("water", "water", -0.6, (0.01, 0.04, 0.06), 0.05),
    }
    for cls, (name, label, y, col, rough) in specs.items():
        mask = layout.cells == cls
        if not mask.any():
            continue
        r, c, n = _runs(mask)
        x, z = layout.to_world(r, c + (n - 1) / 2)
        k = len(r)
        part = geom.quads(
            np.stack([x, np.full(k, y), z], 1),
            np.tile([0, 1, 0], (k, 1)),
            np.tile([1, 0, 0], (k, 1)),
            np.stack([n * layout.cell_m, np.full(k, layout.cell_m)], 1),
        )
        part.uvs = np.stack([part.positions[:, 0], part.positions[:, 2]], 1)
        add_part(scene, name, label, part, material(scene, name, col, rough, 0.6 if cls == WATER else 0.0))
    # kerbs: the vertical face of each sidewalk run's ends is cheap to fake with a thin box per run
    sx, sz = layout.size_m
    outer = max(sx, sz) * 3
    apron = geom.quads([[0, -0.02, 0]], [[0, 1, 0]], [[1, 0, 0]], [[outer, outer]])
    add_part(scene, "outskirts", "terrain", apron, material(scene, "outskirts", base[0] * 0.3, 0.9))
    return [box_collider("ground_collider", "terrain", [[0, -0.5, 0]], [[outer, 1.0, outer]])]


def _lots(
    layout: Layout, spec: WorldSpec, rng: np.random.Generator
) -> tuple[list[tuple[int, int, int, int]], np.ndarray]:
    """Split each connected building area into lots; returns lots (r0, r1, c0, c1) and the plaza mask."""
    mask = layout.cells == BUILDING
    labels, count = ndimage.label(mask)
    lots: list[tuple[int, int, int, int]] = []
    plaza = np.zeros_like(mask)
    min_cells = max(2, int(round(7.0 / layout.cell_m)))
    for sl in ndimage.find_objects(labels):
        if sl is None:
            continue
        stack = [(sl[0].start, sl[0].stop, sl[1].start, sl[1].stop)]
        while stack:
            r0, r1, c0, c1 = stack.pop()
            h, w = r1 - r0, c1 - c0
            target = rng.uniform(14.0, 30.0) / layout.cell_m
            if max(h, w) > target and max(h, w) >= 2 * min_cells:
                if h >= w:
                    cut = r0 + int(h * rng.uniform(0.35, 0.65))
                    stack += [(r0, cut, c0, c1), (cut, r1, c0, c1)]
                else:
                    cut = c0 + int(w * rng.uniform(0.35, 0.65))
                    stack += [(r0, r1, c0, cut), (r0, r1, cut, c1)]
                continue
            if h < min_cells or w < min_cells or mask[r0:r1, c0:c1].mean() < 0.9:
                continue
            if rng.random() > spec.city.density:
                plaza[r0:r1, c0:c1] = True
                continue
            lots.append((r0, r1, c0, c1))
    return lots, plaza


def _buildings(
    layout: Layout,
    spec: WorldSpec,
    lots: list[tuple[int, int, int, int]],
    rng: np.random.Generator,
    floor_h: float,
) -> Buildings:
    rows: list[tuple[float, float, float, float, float, float, int]] = []
    sx, sz = layout.size_m
    lo, hi = spec.city.min_floors, max(spec.city.min_floors, spec.city.max_floors)
    for i, (r0, r1, c0, c1) in enumerate(lots):
        ax0, az0 = layout.to_world(np.array(r0), np.array(c0))
        ax1, az1 = layout.to_world(np.array(r1 - 1), np.array(c1 - 1))
        gap = rng.uniform(0.3, 1.6)
        x0, x1 = float(ax0) - layout.cell_m / 2 + gap, float(ax1) + layout.cell_m / 2 - gap
        z0, z1 = float(az0) - layout.cell_m / 2 + gap, float(az1) + layout.cell_m / 2 - gap
        # taller towards the centre: a downtown with a skyline, lower at the edges
        dist = min(1.0, float(np.hypot((x0 + x1) / sx, (z0 + z1) / sz)))
        f = rng.beta(1.3, 3.0) * (1.25 - 0.8 * dist) + 0.1 * rng.random()
        floors = int(np.clip(round(lo + (hi - lo) * f), lo, hi))
        h = floors * floor_h
        cx, cz, w, d = (x0 + x1) / 2, (z0 + z1) / 2, x1 - x0, z1 - z0
        if floors >= 12 and rng.random() < 0.7:  # setback tower on a podium
            h1 = floor_h * int(floors * rng.uniform(0.25, 0.6))
            rows.append((cx, cz, w, d, 0.0, h1, i))
            s = rng.uniform(0.6, 0.85)
            rows.append((cx + rng.uniform(-0.1, 0.1) * w * (1 - s), cz, w * s, d * s, h1, h, i))
        else:
            rows.append((cx, cz, w, d, 0.0, h, i))
    return Buildings(rows)


def _facade_grid(
    per_tier_floors: np.ndarray, per_tier_cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (tier, floor, column) triples of a facade, vectorised."""
    per = per_tier_floors * per_tier_cols
    tier = np.repeat(np.arange(len(per)), per)
    local = np.arange(per.sum()) - np.repeat(np.cumsum(per) - per, per)
    cols = np.repeat(per_tier_cols, per)
    return tier, local // np.maximum(cols, 1), local % np.maximum(cols, 1)


def facade_windows(
    b: Buildings, floor_h: float, spacing: float, rng: np.random.Generator, lit_p: float
) -> tuple[geom.Part, geom.Part, geom.Part, np.ndarray]:
    """(dark panes, warm lit panes, cool lit panes, ledge boxes) for every facade of every tier."""
    dark: list[geom.Part] = []
    warm: list[geom.Part] = []
    cool: list[geom.Part] = []
    floors = np.maximum(((b.y1 - b.y0 - 0.6) // floor_h).astype(np.int64), 0)
    faces = [
        ((0, 0, 1), (1, 0, 0), b.w, b.d),
        ((0, 0, -1), (-1, 0, 0), b.w, b.d),
        ((1, 0, 0), (0, 0, -1), b.d, b.w),
        ((-1, 0, 0), (0, 0, 1), b.d, b.w),
    ]
    for n, u, width, depth in faces:
        ncol = np.maximum((width // spacing).astype(np.int64), 1)
        t, fl, col = _facade_grid(floors, ncol)
        nv, uv = np.array(n, np.float64), np.array(u, np.float64)
        step = width[t] / ncol[t]
        along = -width[t] / 2 + (col + 0.5) * step
        y = b.y0[t] + fl * floor_h + floor_h * 0.55
        centre = (
            np.stack([b.cx[t], y, b.cz[t]], 1) + nv * (depth[t] / 2 + 0.04)[:, None] + uv * along[:, None]
        )
        ground = (fl == 0) & (b.y0[t] == 0)
        ww = np.where(ground, step * 0.8, np.minimum(step * 0.62, 2.2))
        wh = np.where(ground, floor_h * 0.7, floor_h * 0.5)
        # two panes split by a mullion: reads as a window from the street, not a sticker
        panes = []
        for side in (-1, 1):
            c = centre + uv * (side * ww / 4 * 1.04)[:, None]
            panes.append((c, np.stack([ww / 2 * 0.94, wh], 1)))
        c_all = np.concatenate([p[0] for p in panes])
        s_all = np.concatenate([p[1] for p in panes])
        k = len(c_all)
        lit_draw = np.tile(rng.random(len(t)) < np.where(ground, 0.85, lit_p), 2)
        warm_draw = np.tile(rng.random(len(t)) < 0.7, 2)
        part_all = (c_all, np.tile(nv, (k, 1)), np.tile(uv, (k, 1)), s_all)
        for sel, out in ((~lit_draw, dark), (lit_draw & warm_draw, warm), (lit_draw & ~warm_draw, cool)):
            out.append(geom.quads(*(a[sel] for a in part_all)))
    # floor ledges: a thin band round each tier at every floor line
    lt = np.repeat(np.arange(len(floors)), np.maximum(floors - 1, 0))
    lf = (
        np.arange(len(lt))
        - np.repeat(
            np.cumsum(np.maximum(floors - 1, 0)) - np.maximum(floors - 1, 0), np.maximum(floors - 1, 0)
        )
        + 1
    )
    ledges = np.stack(
        [b.cx[lt], b.y0[lt] + lf * floor_h, b.cz[lt], b.w[lt] + 0.3, np.full(len(lt), 0.22), b.d[lt] + 0.3], 1
    )
    return geom.merge(dark), geom.merge(warm), geom.merge(cool), ledges


def build_city(
    scene: Scene, spec: WorldSpec, layout: Layout, rng: np.random.Generator, progress: Progress
) -> dict[str, object]:
    """Fill `scene` from `layout`; returns facts the bookmark chooser needs (tallest roof, road cells)."""
    base, accents = palette(spec)
    night = is_night(spec)
    floor_h = 3.9 if spec.era == "historic" else 3.4
    colliders = _ground(scene, layout, spec, base)
    progress(0.1, "layout")
    lots, plaza = _lots(layout, spec, rng)
    b = _buildings(layout, spec, lots, rng, floor_h)
    progress(0.2, "buildings")
    n_b = len(lots)
    tint = base[rng.integers(0, len(base), n_b)] * rng.uniform(0.8, 1.2, (n_b, 1))
    body = geom.boxes(
        np.stack([b.cx, (b.y0 + b.y1) / 2, b.cz], 1),
        np.stack([b.w, b.y1 - b.y0, b.d], 1),
        colors=tint[b.owner],
    )
    rough = 0.35 if spec.era == "futuristic" else 0.85
    add_part(
        scene,
        "buildings",
        "building",
        body,
        material(scene, "facade", (1, 1, 1), rough, 0.3 if spec.era == "futuristic" else 0.0),
    )
    colliders.append(
        box_collider(
            "buildings_collider",
            "building",
            np.stack([b.cx, (b.y0 + b.y1) / 2, b.cz], 1),
            np.stack([b.w, b.y1 - b.y0, b.d], 1),
        )
    )
    dark, warm, cool, ledges = facade_windows(
        b, floor_h, 3.4 if spec.era != "futuristic" else 2.6, rng, 0.45 if spec.palette == "neon" else 0.3
    )
    glass = (0.015, 0.02, 0.03)
    add_part(scene, "windows", "window", dark, material(scene, "glass", glass, 0.08, 0.6), collider=False)
    add_part(
        scene,
        "windows_lit_warm",
        "window",
        warm,
        material(scene, "window_warm", glass, 0.1, 0.3, (3.2, 2.2, 1.1), True),
        collider=False,
    )
    add_part(
        scene,
        "windows_lit_cool",
        "window",
        cool,
        material(scene, "window_cool", glass, 0.1, 0.3, (1.6, 2.1, 2.8), True),
        collider=False,
    )
    add_part(
        scene,
        "ledges",
        "building",
        geom.boxes(ledges[:, :3], ledges[:, 3:], skip_bottom=False),
        material(scene, "trim", base.mean(0) * 0.7, 0.8),
    )
    progress(0.45, "windows")
    _roofs(scene, spec, b, rng, base)
    if night or spec.palette == "neon":
        _signs(scene, b, accents, rng, 0.6 if spec.palette == "neon" else 0.2)
    progress(0.6, "roofs and signs")
    colliders += _street_props(scene, spec, layout, plaza, rng, night)
    scene.colliders.extend(colliders)
    progress(0.85, "props")
    tall = int(np.argmax(b.y1)) if len(b.y1) else -1
    roof = (float(b.cx[tall]), float(b.y1[tall]), float(b.cz[tall])) if tall >= 0 else (0.0, 0.0, 0.0)
    return {"roof": roof, "heights": b.y1}


def _roofs(scene: Scene, spec: WorldSpec, b: Buildings, rng: np.random.Generator, base: np.ndarray) -> None:
    top = np.ones(len(b.cx), bool)
    top[:-1] = b.owner[:-1] != b.owner[1:]  # the last tier of each building carries the roof
    gabled = top & (b.y1 < 26) & (rng.random(len(b.cx)) < (0.8 if spec.era == "historic" else 0.15))
    flat = top & ~gabled
    roof_col = (0.12, 0.08, 0.07) if spec.era == "historic" else (0.09, 0.09, 0.1)
    g = np.nonzero(gabled)[0]
    roofs = geom.gable_roofs(
        np.stack([b.cx[g], b.y1[g], b.cz[g]], 1),
        np.stack([b.w[g] + 0.6, b.d[g] + 0.6], 1),
        np.minimum(b.w[g], b.d[g]) * 0.35,
    )
    f = np.nonzero(flat)[0]
    t = 0.35
    par = []
    for dx, dz, sw, sd in ((0.5, 0, 0, 1), (-0.5, 0, 0, 1), (0, 0.5, 1, 0), (0, -0.5, 1, 0)):
        par.append(
            np.stack(
                [
                    b.cx[f] + dx * (b.w[f] - t),
                    b.y1[f] + 0.5,
                    b.cz[f] + dz * (b.d[f] - t),
                    np.where(sw, b.w[f], t),
                    np.full(len(f), 1.0),
                    np.where(sd, b.d[f], t),
                ],
                1,
            )
        )
    # rooftop plant: one to three boxes per flat roof
    units = []
    for _ in range(3):
        keep = f[rng.random(len(f)) < 0.7]
        s = rng.uniform(1.5, 4.5, (len(keep), 3)) * np.array([1, 0.7, 1])
        off = (rng.random((len(keep), 2)) - 0.5) * np.stack(
            [b.w[keep] - s[:, 0] - 1, b.d[keep] - s[:, 2] - 1], 1
        ).clip(0)
        units.append(
            np.stack([b.cx[keep] + off[:, 0], b.y1[keep] + s[:, 1] / 2, b.cz[keep] + off[:, 1], *s.T], 1)
        )
    box = np.concatenate(par + units)
    part = geom.merge([roofs, geom.boxes(box[:, :3], box[:, 3:])])
    add_part(scene, "roofs", "roof", part, material(scene, "roof", roof_col, 0.9))
    tall = f[b.y1[f] > 60]
    if len(tall):
        m = instance_matrices(
            np.stack([b.cx[tall], b.y1[tall], b.cz[tall]], 1), np.zeros(len(tall)), np.ones(len(tall))
        )
        add_part(
            scene,
            "antennas",
            "roof",
            geom.cylinder(0.15, 9.0, 6, top_radius=0.04),
            material(scene, "antenna", (0.2, 0.2, 0.2), 0.5, 0.8),
            m,
        )


def _signs(scene: Scene, b: Buildings, accents: np.ndarray, rng: np.random.Generator, p: float) -> None:
    """Neon blade signs and shop fascias on the ground tiers, one emissive material per accent colour."""
    ground = np.nonzero((b.y0 == 0) & (rng.random(len(b.cx)) < p))[0]
    side = rng.integers(0, 4, len(ground))
    nx = np.array([0, 0, 1, -1])[side]
    nz = np.array([1, -1, 0, 0])[side]
    half = np.where(nx != 0, b.w[ground], b.d[ground]) / 2
    along = np.where(nx != 0, b.d[ground], b.w[ground])
    off = (rng.random(len(ground)) - 0.5) * along * 0.6
    h = rng.uniform(3.0, 9.0, len(ground))
    y = 4.5 + h / 2 + rng.uniform(0, 6, len(ground))
    cx = b.cx[ground] + nx * (half + 0.8) + nz * off
    cz = b.cz[ground] + nz * (half + 0.8) + nx * off
    size = np.stack([np.where(nx != 0, 1.4, 0.35), h, np.where(nx != 0, 0.35, 1.4)], 1)
    colour = rng.integers(0, len(accents), len(ground))
    fascia_c = np.stack(
        [b.cx[ground] + nx * (half + 0.15), np.full(len(ground), 3.6), b.cz[ground] + nz * (half + 0.15)], 1
    )
    fascia_s = np.stack(
        [
            np.where(nx != 0, 0.25, along * 0.6),
            np.full(len(ground), 0.8),
            np.where(nx != 0, along * 0.6, 0.25),
        ],
        1,
    )
    for i, acc in enumerate(accents):
        sel = colour == i
        if not sel.any():
            continue
        part = geom.boxes(
            np.concatenate([np.stack([cx, y, cz], 1)[sel], fascia_c[sel]]),
            np.concatenate([size[sel], fascia_s[sel]]),
            skip_bottom=False,
        )
        emi = tuple(float(v) * 8.0 for v in acc)
        add_part(
            scene,
            f"neon_{i}",
            "prop",
            part,
            material(scene, f"neon_{i}", acc, 0.3, 0.0, emi, False),
            collider=False,
        )
        for j in np.nonzero(sel)[0][:3]:
            scene.lights.append(
                Light(
                    f"neon_{i}_{j}",
                    "point",
                    (float(cx[j] + nx[j]), float(y[j]), float(cz[j] + nz[j])),
                    color=tuple(float(v) for v in acc / acc.max()),  # type: ignore[arg-type]
                    intensity=30.0,
                    range_m=18.0,
                    at_night_only=True,
                )
            )


def _street_props(
    scene: Scene, spec: WorldSpec, layout: Layout, plaza: np.ndarray, rng: np.random.Generator, night: bool
) -> list[Collider]:
    cells = layout.cells
    road = cells == ROAD
    side = cells == SIDEWALK
    kerb = side & ndimage.binary_dilation(road, structure=np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], bool))
    r, c = np.nonzero(kerb)
    spacing = max(1, int(round(24.0 / layout.cell_m / max(spec.city.props, 0.1))))
    out: list[Collider] = []
    key = (r // spacing) * 100003 + (c // spacing)
    _, first = np.unique(key, return_index=True)
    lamp_r, lamp_c = r[first], c[first]
    # a lamp faces the road: the direction of the nearest road cell
    dist, (ir, ic) = ndimage.distance_transform_edt(~road, return_indices=True)
    dz, dx = ir[lamp_r, lamp_c] - lamp_r, ic[lamp_r, lamp_c] - lamp_c
    yaw = np.arctan2(dx, dz)
    x, z = layout.to_world(lamp_r, lamp_c)
    lamps = instance_matrices(np.stack([x, np.full(len(x), 0.15), z], 1), yaw, np.ones(len(x)))
    out += props.place(scene, "lamp", lamps, "street_lamp")
    order = np.argsort(np.hypot(x, z), kind="stable")[:16]
    for i in order:
        head = lamps[i] @ np.array([0.0, 6.1, 1.35, 1.0])
        scene.lights.append(
            Light(
                f"street_lamp_{i}",
                "spot",
                tuple(float(v) for v in head[:3]),  # type: ignore[arg-type]
                (0.0, -1.0, 0.0),
                (1.0, 0.78, 0.5),
                60.0,
                25.0,
                70.0,
                at_night_only=True,
            )
        )
    # trees: between lamps along kerbs, in plazas and in vegetation areas
    tree_key = ((r + spacing // 2) // spacing) * 100003 + ((c + spacing // 2) // spacing)
    _, tf = np.unique(tree_key, return_index=True)
    tr, tc = r[tf], c[tf]
    keep_t = rng.random(len(tr)) < 0.6
    tr, tc = tr[keep_t], tc[keep_t]
    green = np.nonzero((plaza | (cells == VEGETATION)).ravel())[0]
    n_green = int(len(green) * layout.cell_m**2 / 60.0 * spec.city.props)
    pick = (
        np.sort(rng.choice(green, size=min(n_green, len(green)), replace=False))
        if len(green)
        else np.zeros(0, np.int64)
    )
    gr, gc = np.divmod(pick, cells.shape[1])
    allr, allc = np.concatenate([tr, gr]), np.concatenate([tc, gc])
    x, z = layout.to_world(allr, allc)
    x = x + rng.uniform(-0.4, 0.4, len(x)) * layout.cell_m
    z = z + rng.uniform(-0.4, 0.4, len(z)) * layout.cell_m
    kind = "palm" if spec.biome in ("tropical", "desert") else "broadleaf"
    trees = instance_matrices(
        np.stack([x, np.full(len(x), 0.1), z], 1),
        rng.uniform(0, 2 * np.pi, len(x)),
        rng.uniform(0.7, 1.2, len(x)),
    )
    out += props.place(
        scene, kind, trees, "street_trees", tint=(1.0, 1.1, 0.8) if spec.palette == "warm" else None
    )
    # cars: on straight road stretches, aligned with the road, a few colours
    along_x = ndimage.uniform_filter(road.astype(np.float32), size=(1, 9)) > 0.99
    along_z = ndimage.uniform_filter(road.astype(np.float32), size=(9, 1)) > 0.99
    straight = road & (along_x ^ along_z)
    cr, cc = np.nonzero(straight)
    keep = rng.random(len(cr)) < 0.012 * spec.city.props * layout.cell_m**2
    cr, cc = cr[keep], cc[keep]
    x, z = layout.to_world(cr, cc)
    yaw = np.where(along_x[cr, cc], 0.0, np.pi / 2) + np.where(rng.random(len(cr)) < 0.5, 0.0, np.pi)
    cars = instance_matrices(np.stack([x, np.zeros(len(x)), z], 1), yaw, np.ones(len(x)))
    paints = [(0.5, 0.02, 0.02), (0.02, 0.05, 0.2), (0.6, 0.6, 0.62), (0.02, 0.02, 0.02)]
    which = rng.integers(0, len(paints), len(cars))
    for i, paint in enumerate(paints):
        out += props.place(scene, "car", cars[which == i], f"car_{i}", paint=paint)
    return out
