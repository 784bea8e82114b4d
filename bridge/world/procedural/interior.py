"""The interior builder: a room shell with door and window openings cut into the walls, a film-studio
kit (cyclorama cove, light stands, overhead truss, camera dolly) and a dressed set of furniture.
Everything is boxes and revolved parts, batched per material.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bridge.world.procedural import geom, props
from bridge.world.procedural.common import (
    add_part,
    box_collider,
    hex_to_linear,
    instance_matrices,
    material,
    palette,
    pose,
)
from bridge.world.scene import Bookmark, Collider, Light, Scene
from bridge.world.spec import WorldSpec

__all__ = ["build_interior"]

Progress = Callable[[float, str], None]
_T = 0.25  # wall thickness, metres


def _wall(
    length: float, height: float, openings: list[tuple[float, float, float, float]]
) -> list[tuple[float, float, float, float]]:
    """Pieces (u0, u1, y0, y1) of a wall from u=-L/2..L/2 with openings (centre, width, bottom, top) cut out."""
    pieces, u = [], -length / 2
    for c, w, b, t in sorted(openings):
        pieces.append((u, c - w / 2, 0.0, height))
        if b > 0:
            pieces.append((c - w / 2, c + w / 2, 0.0, b))
        pieces.append((c - w / 2, c + w / 2, t, height))
        u = c + w / 2
    pieces.append((u, length / 2, 0.0, height))
    return [p for p in pieces if p[1] - p[0] > 1e-3 and p[3] - p[2] > 1e-3]


def _shell(
    scene: Scene, spec: WorldSpec, rng: np.random.Generator
) -> tuple[np.ndarray, list[tuple[float, float, float, float]]]:
    """Walls with openings, floor, ceiling; returns (wall boxes, window openings on the +X wall)."""
    it = spec.interior
    w, d, h = it.width_m, it.depth_m, it.height_m
    boxes: list[list[float]] = []
    windows = [
        ((i + 0.5) * d / it.windows - d / 2, min(2.2, d / it.windows * 0.7), 1.0, min(h - 0.6, 3.2))
        for i in range(it.windows)
    ]
    doors = [((i + 0.5) * w / max(it.doors, 1) - w / 2 + 1.5, 1.4, 0.0, 2.4) for i in range(it.doors)]
    for axis, length, offset, ops in (
        ("x", d, w / 2, windows),
        ("z", w, d / 2, doors),
        ("x", d, -w / 2, []),
        ("z", w, -d / 2, []),
    ):
        for u0, u1, y0, y1 in _wall(length, h, ops):
            cu, su = (u0 + u1) / 2, u1 - u0
            if axis == "x":
                boxes.append([offset + np.sign(offset) * _T / 2, (y0 + y1) / 2, cu, _T, y1 - y0, su])
            else:
                boxes.append([cu, (y0 + y1) / 2, offset + np.sign(offset) * _T / 2, su, y1 - y0, _T])
    wb = np.array(boxes)
    add_part(
        scene,
        "walls",
        "wall",
        geom.boxes(wb[:, :3], wb[:, 3:], skip_bottom=False),
        material(scene, "wall", hex_to_linear("#d9d4cc"), 0.9),
    )
    floor = geom.boxes([[0, -0.1, 0]], [[w + 2 * _T, 0.2, d + 2 * _T]], skip_bottom=False)
    add_part(scene, "floor", "floor", floor, material(scene, "floor", hex_to_linear("#4a4440"), 0.6))
    ceil = geom.boxes([[0, h + 0.1, 0]], [[w + 2 * _T, 0.2, d + 2 * _T]], skip_bottom=False)
    add_part(scene, "ceiling", "ceiling", ceil, material(scene, "ceiling", hex_to_linear("#2b2b2b"), 0.9))
    panes = geom.quads(
        [[w / 2 + _T / 2, (b + t) / 2, c] for c, ww, b, t in windows],
        [[-1, 0, 0]] * len(windows),
        [[0, 0, 1]] * len(windows),
        [[ww, t - b] for c, ww, b, t in windows],
    )
    add_part(
        scene,
        "window_glass",
        "window",
        panes,
        material(scene, "glass", (0.6, 0.7, 0.8, 0.25), 0.05, 0.0, (0.8, 0.9, 1.0)),
        collider=False,
    )
    return wb, windows


def _cyclorama(scene: Scene, spec: WorldSpec) -> list[list[float]]:
    """A white cove: floor curving up into the back (-Z) wall, made of a swept quarter-circle strip."""
    it = spec.interior
    w, d, h = it.width_m * 0.7, it.depth_m, it.height_m * 0.85
    r = 1.5
    a = np.linspace(0, np.pi / 2, 10)
    zc = -d / 2 + 0.05 + r
    arc = np.stack([r - r * np.cos(a), zc - r * np.sin(a)], 1)
    prof = np.concatenate([[[0.0, d * 0.1]], arc, [[h, -d / 2 + 0.05]]])
    # prof rows are (y, z) from the front edge on the floor, round the cove, up the wall
    n = len(prof)
    xs = np.array([-w / 2, w / 2])
    pos = np.stack(
        [np.repeat(xs[None], n, 0), np.repeat(prof[:, :1], 2, 1), np.repeat(prof[:, 1:], 2, 1)], -1
    ).reshape(-1, 3)
    tang = np.gradient(prof, axis=0)
    nrm = np.stack([np.zeros(n), -tang[:, 1], tang[:, 0]], 1)  # rotate the (y, z) tangent to face the room
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
    nrm = np.repeat(nrm, 2, 0)
    i = np.arange(n - 1) * 2
    idx = np.concatenate([np.stack([i, i + 2, i + 1], 1), np.stack([i + 1, i + 2, i + 3], 1)])
    part = geom.Part(
        pos.astype(np.float32),
        nrm.astype(np.float32),
        idx.astype(np.uint32),
        pos[:, [0, 2]].astype(np.float32),
    )
    if np.dot(np.cross(pos[2] - pos[0], pos[1] - pos[0]), nrm[0]) < 0:
        part.indices = np.ascontiguousarray(part.indices[:, ::-1])
    add_part(
        scene, "cyclorama", "wall", part, material(scene, "cyc", (0.85, 0.85, 0.85), 0.95), collider=False
    )
    return [[0, h / 2, -d / 2 + 0.3, w, h, 0.6]]


def _furniture(scene: Scene, spec: WorldSpec, rng: np.random.Generator) -> list[list[float]]:
    """A living-room set on the cove: sofa, armchairs, tables, rug, shelves with books; returns collider boxes."""
    base, accents = palette(spec)
    d = spec.interior.depth_m
    z0 = -d / 2 + 3.0  # the set sits in front of the cove
    items: dict[str, list[list[float]]] = {"fabric": [], "wood": [], "rug": [], "books": []}
    items["fabric"] += [
        [0, 0.25, z0, 2.4, 0.5, 0.9],
        [0, 0.6, z0 - 0.35, 2.4, 0.7, 0.2],
        [-1.15, 0.45, z0, 0.2, 0.5, 0.9],
        [1.15, 0.45, z0, 0.2, 0.5, 0.9],
    ]
    for sx in (-1, 1):
        items["fabric"] += [
            [sx * 2.3, 0.25, z0 + 1.6, 0.9, 0.5, 0.9],
            [sx * 2.3 + sx * 0.35, 0.6, z0 + 1.6, 0.2, 0.7, 0.9],
        ]
    items["wood"] += [[0, 0.22, z0 + 1.5, 1.2, 0.06, 0.7]] + [
        [x, 0.1, z, 0.05, 0.2, 0.05] for x in (-0.55, 0.55) for z in (z0 + 1.2, z0 + 1.8)
    ]
    items["rug"] += [[0, 0.01, z0 + 1.2, 4.5, 0.02, 3.2]]
    n_shelf = max(1, int(round(2 * spec.interior.furniture)))
    for s in range(n_shelf):
        sx = (-1) ** s * (3.2 + 0.9 * (s // 2))
        items["wood"] += [[sx, 1.0, z0 - 0.6, 1.0, 2.0, 0.05]] + [
            [sx, 0.2 + 0.45 * k, z0 - 0.45, 1.0, 0.03, 0.35] for k in range(5)
        ]
        for k in range(4):  # books: many thin coloured boxes, the set's detail
            nb = 18
            bw = rng.uniform(0.025, 0.05, nb)
            bx = sx - 0.48 + np.cumsum(bw) - bw / 2 + np.arange(nb) * 0.004
            bh = rng.uniform(0.22, 0.38, nb)
            items["books"] += [
                [float(bx[j]), 0.215 + 0.45 * k + bh[j] / 2, z0 - 0.45, float(bw[j]), float(bh[j]), 0.25]
                for j in range(nb)
                if bx[j] < sx + 0.48
            ]
    cols = {
        "fabric": base[1] * 0.6 + accents[0] * 0.4,
        "wood": hex_to_linear("#5a3b22"),
        "rug": accents[-1] * 0.5 + 0.1,
    }
    for key, rows in items.items():
        a = np.array(rows)
        if key == "books":
            tint = np.concatenate([accents, base])[rng.integers(0, len(accents) + len(base), len(a))]
            add_part(
                scene,
                "books",
                "furniture",
                geom.boxes(a[:, :3], a[:, 3:], colors=tint),
                material(scene, "books", (1, 1, 1), 0.7),
                collider=False,
            )
        else:
            add_part(
                scene,
                key,
                "furniture",
                geom.boxes(a[:, :3], a[:, 3:], skip_bottom=False),
                material(scene, key, cols[key], 0.8 if key != "wood" else 0.5),
            )
    plant = instance_matrices(
        np.array([[-3.0, 0.0, z0 + 2.2], [3.3, 0.0, z0 + 2.0]]), np.array([0.3, 1.2]), np.array([0.7, 0.6])
    )
    props.place(scene, "shrub", plant, "potted_plants")
    return [r for k in ("fabric", "wood") for r in items[k]]


def _studio_kit(scene: Scene, spec: WorldSpec) -> list[list[float]]:
    """Light stands aimed at the set, an overhead truss and a camera dolly; adds the spot lights."""
    it = spec.interior
    d, h = it.depth_m, it.height_m
    z0 = -d / 2 + 3.0
    stands = [(-4.5, z0 + 4.5), (4.5, z0 + 4.0), (-5.5, z0 + 0.5), (5.0, z0 - 0.2)]
    m = instance_matrices(
        np.array([[x, 0.0, z] for x, z in stands]),
        np.array([np.arctan2(-x, -(z - z0)) for x, z in stands]),
        np.ones(4),
    )
    props.place(scene, "lamp", m, "light_stand", lamp_emissive=(20.0, 18.0, 15.0))
    for i, (_x, _z) in enumerate(stands):
        head = m[i] @ np.array([0.0, 6.1, 1.35, 1.0])
        aim = np.array([0.0, 0.8, z0 + 1.0]) - head[:3]
        aim /= np.linalg.norm(aim)
        scene.lights.append(
            Light(
                f"key_{i}",
                "spot",
                tuple(float(v) for v in head[:3]),  # type: ignore[arg-type]
                tuple(float(v) for v in aim),  # type: ignore[arg-type]
                (1.0, 0.93, 0.85),
                120.0,
                20.0,
                40.0,
            )
        )
    # truss: two chords with diagonal lacing, hung across the room
    xs = np.linspace(-it.width_m * 0.4, it.width_m * 0.4, 33)
    rows = []
    for zc in (z0 + 1.0, z0 + 4.0):
        for dy, dz in ((0, 0), (0.4, 0), (0, 0.4), (0.4, 0.4)):
            rows.append([0, h - 1.2 + dy, zc + dz, it.width_m * 0.8, 0.05, 0.05])
        rows += [[float(x), h - 1.0, zc + 0.2, 0.04, 0.45, 0.04] for x in xs]
    t = np.array(rows)
    add_part(
        scene,
        "truss",
        "prop",
        geom.boxes(t[:, :3], t[:, 3:], skip_bottom=False),
        material(scene, "truss", (0.7, 0.7, 0.72), 0.35, 1.0),
        collider=False,
    )
    scene.lights.append(
        Light("practical", "point", (0.0, 2.2, z0 + 0.2), color=(1.0, 0.75, 0.45), intensity=8.0, range_m=8.0)
    )
    cam = geom.merge(
        [
            geom.boxes([[-2.5, 0.3, z0 + 7.0], [-2.5, 1.55, z0 + 7.0]], [[1.2, 0.3, 0.8], [0.3, 0.3, 0.5]]),
            geom.transform(
                geom.cylinder(0.08, 1.2, 8),
                np.array([[1, 0, 0, -2.5], [0, 1, 0, 0.4], [0, 0, 1, z0 + 7.0], [0, 0, 0, 1.0]]),
            ),
        ]
    )
    add_part(scene, "camera_dolly", "prop", cam, material(scene, "dolly", (0.05, 0.05, 0.05), 0.5, 0.6))
    return [[-2.5, 0.8, z0 + 7.0, 1.2, 1.6, 0.8]]


def build_interior(
    scene: Scene, spec: WorldSpec, rng: np.random.Generator, progress: Progress
) -> dict[str, object]:
    walls, _ = _shell(scene, spec, rng)
    progress(0.3, "room shell")
    boxes = [list(r) for r in walls]
    if spec.interior.studio:
        boxes += _cyclorama(scene, spec)
        boxes += _studio_kit(scene, spec)
    progress(0.6, "studio kit")
    boxes += _furniture(scene, spec, rng)
    progress(0.9, "furniture")
    it = spec.interior
    b = np.array(
        boxes
        + [[0, -0.1, 0, it.width_m, 0.2, it.depth_m], [0, it.height_m + 0.1, 0, it.width_m, 0.2, it.depth_m]]
    )
    colliders: list[Collider] = [box_collider("room_collider", "wall", b[:, :3], b[:, 3:])]
    scene.colliders.extend(colliders)
    return {"bookmarks": _bookmarks(spec)}


def _bookmarks(spec: WorldSpec) -> list[Bookmark]:
    it = spec.interior
    d, w, h = it.depth_m, it.width_m, it.height_m
    z0 = -d / 2 + 3.0
    set_c = (0.0, 0.8, z0 + 0.5)
    return [
        pose("spawn", (1.5, 1.7, d / 2 - 1.0), set_c, "spawn", 65.0, "just inside the door, facing the set"),
        pose(
            "set_wide",
            (0.0, 1.8, z0 + 8.5),
            set_c,
            "bookmark",
            55.0,
            "wide on the set from the camera position",
        ),
        pose(
            "overhead",
            (0.0, h - 0.6, z0 + 3.0),
            (0.0, 0.0, z0 + 0.8),
            "bookmark",
            75.0,
            "from the grid, looking down",
        ),
        pose(
            "corner",
            (w / 2 - 1.0, 2.2, d / 2 - 1.0),
            (-w / 4, 1.0, -d / 4),
            "bookmark",
            75.0,
            "the whole stage from a corner",
        ),
        pose("sofa_closeup", (0.8, 1.1, z0 + 2.6), (0.0, 0.7, z0), "shot", 35.0, "medium close on the sofa"),
        pose("dolly_start", (-3.0, 1.4, z0 + 6.0), (0.0, 1.0, z0), "shot", 45.0, "start of the dolly move"),
    ]
