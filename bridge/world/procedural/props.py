"""Instanced props shared by the builders: trees (broadleaf, conifer, palm), cacti, shrubs, rocks,
street lamps and cars. Each prototype is a few parts with labels and material roles; `place` adds
one instanced mesh per part, so thousands of props cost one mesh each.
"""

from __future__ import annotations

import numpy as np

from bridge.world.procedural import geom
from bridge.world.procedural.common import add_part, box_collider, material
from bridge.world.procedural.geom import Part
from bridge.world.procedural.noise import gradient_noise
from bridge.world.scene import Collider, Scene

__all__ = ["PROTOTYPES", "place", "prototype"]

PROTOTYPES = ("broadleaf", "conifer", "palm", "cactus", "shrub", "rock", "lamp", "car")

# role -> (linear colour, roughness, metallic, emissive, emissive at night only)
_ROLES: dict[str, tuple[tuple[float, float, float], float, float, tuple[float, float, float], bool]] = {
    "bark": ((0.09, 0.06, 0.04), 0.9, 0.0, (0, 0, 0), False),
    "leaves": ((0.07, 0.20, 0.05), 0.8, 0.0, (0, 0, 0), False),
    "needles": ((0.03, 0.11, 0.05), 0.85, 0.0, (0, 0, 0), False),
    "palm": ((0.12, 0.26, 0.06), 0.7, 0.0, (0, 0, 0), False),
    "cactus": ((0.10, 0.22, 0.08), 0.7, 0.0, (0, 0, 0), False),
    "shrub": ((0.16, 0.17, 0.06), 0.9, 0.0, (0, 0, 0), False),
    "rock": ((0.30, 0.27, 0.24), 0.95, 0.0, (0, 0, 0), False),
    "metal": ((0.10, 0.10, 0.11), 0.4, 0.9, (0, 0, 0), False),
    "lamp": ((0.9, 0.85, 0.7), 0.3, 0.0, (12.0, 8.5, 4.5), True),
    "tyre": ((0.02, 0.02, 0.02), 0.9, 0.0, (0, 0, 0), False),
    "glass": ((0.02, 0.03, 0.04), 0.05, 0.3, (0, 0, 0), False),
}


def _rock_part(seed: int) -> Part:
    p = geom.sphere(1.0, rings=7, segments=10)
    d = p.positions.astype(np.float64)
    n = 0.65 + 0.35 * gradient_noise(
        d[:, 0] * 1.3 + d[:, 1] * 0.7 + 5.0, d[:, 2] * 1.3 - d[:, 1] * 0.5 + 5.0, seed
    )
    pos = d * n[:, None] * np.array([1.0, 0.6, 0.85])
    return Part(pos.astype(np.float32), p.normals, p.indices, p.uvs)


def prototype(kind: str, seed: int = 0) -> list[tuple[str, str, Part, str]]:
    """Parts of a prop standing on y=0 at the origin: (part name, label, part, material role)."""
    if kind == "broadleaf":
        crown = geom.merge([geom.sphere(2.4, 6, 10, center_y=6.0), geom.sphere(1.8, 6, 10, center_y=7.6)])
        return [
            ("trunk", "tree", geom.cylinder(0.22, 5.0, 8, top_radius=0.14), "bark"),
            ("crown", "tree", crown, "leaves"),
        ]
    if kind == "conifer":
        crown = geom.merge(
            [
                geom.cone(2.2, 4.5, 10, base_y=2.0),
                geom.cone(1.7, 4.0, 10, base_y=4.5),
                geom.cone(1.1, 3.5, 10, base_y=7.0),
            ]
        )
        return [("trunk", "tree", geom.cylinder(0.2, 3.0, 6), "bark"), ("crown", "tree", crown, "needles")]
    if kind == "palm":
        fronds = []
        for i in range(7):
            a = 2 * np.pi * i / 7
            m = np.eye(4)
            c, s = np.cos(a), np.sin(a)
            m[:3, :3] = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]) @ np.array(
                [[1, 0, 0], [0, 0.94, -0.34], [0, 0.34, 0.94]]
            )
            m[:3, 3] = (0, 8.0, 0)
            fronds.append(geom.transform(geom.boxes([[0, 0, 1.8]], [[0.9, 0.06, 3.6]], skip_bottom=False), m))
        return [
            ("trunk", "tree", geom.cylinder(0.22, 8.2, 8, top_radius=0.15), "bark"),
            ("fronds", "tree", geom.merge(fronds), "palm"),
        ]
    if kind == "cactus":
        arms = [
            geom.transform(
                geom.cylinder(0.16, 1.4, 8),
                np.array([[1, 0, 0, x], [0, 1, 0, y], [0, 0, 1, 0], [0, 0, 0, 1.0]]),
            )
            for x, y in ((0.5, 1.4), (-0.5, 2.0))
        ]
        stubs = geom.boxes([[0.25, 1.45, 0], [-0.25, 2.05, 0]], [[0.5, 0.25, 0.25], [0.5, 0.25, 0.25]])
        return [
            (
                "body",
                "vegetation",
                geom.merge([geom.cylinder(0.25, 3.6, 10, top_radius=0.2), *arms, stubs]),
                "cactus",
            )
        ]
    if kind == "shrub":
        return [
            (
                "bush",
                "vegetation",
                geom.merge([geom.sphere(0.9, 5, 8, center_y=0.5), geom.sphere(0.7, 5, 8, center_y=0.9)]),
                "shrub",
            )
        ]
    if kind == "rock":
        return [("rock", "rock", _rock_part(seed), "rock")]
    if kind == "lamp":
        pole = geom.merge([geom.cylinder(0.09, 6.5, 8), geom.boxes([[0, 6.45, 0.7]], [[0.1, 0.1, 1.5]])])
        head = geom.boxes([[0, 6.32, 1.35]], [[0.35, 0.18, 0.6]], skip_bottom=False)
        return [("pole", "prop", pole, "metal"), ("head", "light", head, "lamp")]
    if kind == "car":
        wheel = geom.transform(
            geom.cylinder(0.34, 0.24, 10), np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], np.float64)
        )
        wheels = geom.merge(
            [
                geom.transform(wheel, np.array([[1, 0, 0, x], [0, 1, 0, 0.34], [0, 0, 1, z], [0, 0, 0, 1.0]]))
                for x in (-1.35, 1.35)
                for z in (-0.92, 0.68)
            ]
        )
        body = geom.boxes(
            [[0, 0.72, 0], [0, 1.3, 0]], [[4.4, 0.66, 1.8], [2.3, 0.56, 1.6]], skip_bottom=False
        )
        glass = geom.boxes([[0.0, 1.3, 0]], [[2.34, 0.42, 1.64]])
        return [
            ("body", "vehicle", body, "paint"),
            ("glass", "vehicle", glass, "glass"),
            ("wheels", "vehicle", wheels, "tyre"),
        ]
    raise ValueError(f"unknown prototype {kind!r}; known: {', '.join(PROTOTYPES)}")


def place(
    scene: Scene,
    kind: str,
    matrices: np.ndarray,
    name: str,
    seed: int = 0,
    paint: tuple[float, float, float] | None = None,
    tint: tuple[float, float, float] | None = None,
    lamp_emissive: tuple[float, float, float] | None = None,
) -> list[Collider]:
    """Add one instanced mesh per part of `kind`; returns box colliders for the solid parts."""
    if not len(matrices):
        return []
    mats: dict[str, int] = {}
    for part_name, label, part, role in prototype(kind, seed):
        if role not in mats:
            if role == "paint":
                mats[role] = material(scene, f"{name}_paint", paint or (0.5, 0.05, 0.04), 0.35, 0.5)
            else:
                col, rough, metal, emi, night = _ROLES[role]
                if tint is not None and role in ("leaves", "needles", "shrub", "rock", "cactus", "palm"):
                    col = tuple(float(a * b) for a, b in zip(col, tint, strict=True))  # type: ignore[assignment]
                if role == "lamp" and lamp_emissive is not None:
                    emi = lamp_emissive
                mats[role] = material(scene, f"{name}_{role}", col, rough, metal, emi, night)
        solid = label not in ("tree", "vegetation", "light") or part_name in ("trunk", "body")
        add_part(scene, f"{name}_{part_name}", label, part, mats[role], instances=matrices, collider=solid)
    # colliders: a box per instance round the solid core (trunks, poles, car bodies, rocks)
    core = {
        "broadleaf": (0.5, 5.0),
        "conifer": (0.5, 3.0),
        "palm": (0.5, 8.0),
        "cactus": (0.6, 3.6),
        "shrub": (0.0, 0.0),
        "rock": (1.6, 1.1),
        "lamp": (0.2, 6.5),
        "car": (4.4, 1.6),
    }[kind]
    if core[0] == 0.0:
        return []
    scale = np.linalg.norm(matrices[:, :3, 0], axis=1)
    centers = matrices[:, :3, 3].astype(np.float64).copy()
    centers[:, 1] += core[1] * scale / 2
    sizes = np.stack([core[0] * scale, core[1] * scale, (1.8 if kind == "car" else core[0]) * scale], 1)
    if kind == "car":  # cars are long in x: use the instance yaw to choose the footprint's axis
        along_z = np.abs(matrices[:, 2, 0]) > np.abs(matrices[:, 0, 0])
        sizes[along_z] = sizes[along_z][:, [2, 1, 0]]
    return [
        box_collider(
            f"{name}_collider",
            "vehicle" if kind == "car" else "prop" if kind == "lamp" else kind if kind == "rock" else "tree",
            centers,
            sizes,
        )
    ]
