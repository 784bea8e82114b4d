"""Shared pieces of the procedural builders: palettes, environment from the spec, adding parts to a
scene, box colliders, instance transforms and bookmarks. Keeps each builder about its own place.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from bridge.world.procedural.geom import Part
from bridge.world.scene import Bookmark, Collider, Environment, Material, Mesh, Scene, look_at
from bridge.world.spec import WorldSpec

__all__ = [
    "PALETTE_RGB",
    "add_part",
    "box_collider",
    "environment_from_spec",
    "hex_to_linear",
    "instance_matrices",
    "is_night",
    "material",
    "palette",
    "pose",
    "srgb_to_linear",
]

# Per palette: (walls / ground tints, accents for signs, trim). sRGB hex, chosen by eye.
PALETTE_RGB: dict[str, tuple[list[str], list[str]]] = {
    "natural": (["#b8b0a2", "#9c958a", "#c9c2b4", "#8a8073", "#a89f90"], ["#d9b35c", "#7f9f5a", "#c0603f"]),
    "neon": (
        ["#2b2d3a", "#34303f", "#23262f", "#3c3a48", "#2e3440"],
        ["#ff2fb3", "#19e6ff", "#b04dff", "#ffd23f", "#3dff8b"],
    ),
    "warm": (["#c98f5a", "#b7734a", "#d9a877", "#a5643f", "#e0b98a"], ["#ff9a3c", "#ffcf5c", "#e2553a"]),
    "cool": (["#7d8a99", "#93a4b5", "#6b7a8a", "#a6b4c2", "#5e6c7b"], ["#4fb3ff", "#8fe3ff", "#c7d8ff"]),
    "pastel": (
        ["#f2e3d5", "#e8d0c9", "#d8e6e0", "#f5ecd0", "#dcd5ea"],
        ["#ff9fb1", "#8fd3c7", "#f7c873", "#9ab8ff"],
    ),
    "noir": (["#3a3a3a", "#4a4a4a", "#2a2a2a", "#5a5a5a", "#444444"], ["#e8e8e8", "#bdbdbd", "#ffffff"]),
    "earthy": (["#a0522d", "#b5734f", "#8b5a3c", "#c48a5c", "#96603f"], ["#e07a3a", "#d9a441", "#7a9a4a"]),
}


def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    c = np.asarray(c, np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def hex_to_linear(h: str) -> np.ndarray:
    rgb = np.array([int(h[i : i + 2], 16) for i in (1, 3, 5)], np.float64) / 255.0
    return np.asarray(srgb_to_linear(rgb))


def palette(spec: WorldSpec) -> tuple[np.ndarray, np.ndarray]:
    """(base colours (N,3), accent colours (M,3)) in linear RGB; image-prompt colours join the accents."""
    base, acc = PALETTE_RGB[spec.palette]
    accents = [hex_to_linear(h) for h in acc] + [hex_to_linear(h) for h in spec.accent_colors]
    bases = [hex_to_linear(h) for h in base]
    if spec.accent_colors:  # an image prompt also tints the base colours towards its own
        mix = np.mean([hex_to_linear(h) for h in spec.accent_colors], axis=0)
        bases = [0.7 * b + 0.3 * mix for b in bases]
    return np.array(bases), np.array(accents)


def is_night(spec: WorldSpec) -> bool:
    return spec.time_of_day_h < 6.5 or spec.time_of_day_h > 19.0


def environment_from_spec(spec: WorldSpec) -> Environment:
    fog = {"clear": 0.0015, "overcast": 0.003, "fog": 0.02, "rain": 0.008, "snow": 0.01}[spec.weather]
    sun = {"clear": 3.0, "overcast": 1.0, "fog": 0.8, "rain": 0.6, "snow": 1.2}[spec.weather]
    h = spec.time_of_day_h
    warm = np.clip(1.0 - abs(h - 12.0) / 6.5, 0.0, 1.0)  # low sun -> orange light
    sun_color = (1.0, float(0.62 + 0.33 * warm), float(0.40 + 0.48 * warm))
    exposure = 1.5 if is_night(spec) else (0.5 if warm < 0.3 else 0.0)
    return Environment(
        time_of_day_h=h,
        latitude_deg=spec.latitude_deg,
        sun_color=sun_color,
        sun_intensity=sun,
        turbidity=2.5 if spec.weather == "clear" else 6.0,
        fog_density=fog,
        exposure_ev=exposure,
        weather=spec.weather,
    )


def material(
    scene: Scene,
    name: str,
    color: ArrayLike,
    roughness: float = 0.8,
    metallic: float = 0.0,
    emissive: tuple[float, ...] = (0.0, 0.0, 0.0),
    night_only: bool = False,
) -> int:
    c = tuple(float(x) for x in np.asarray(color, np.float64).ravel())
    rgba = (c[0], c[1], c[2], c[3] if len(c) > 3 else 1.0)
    emi = (float(emissive[0]), float(emissive[1]), float(emissive[2]))
    return scene.add_material(Material(name, rgba, roughness, metallic, emi, night_only))


def add_part(
    scene: Scene,
    name: str,
    label: str,
    part: Part,
    material_index: int,
    instances: np.ndarray | None = None,
    collider: bool = True,
) -> Mesh | None:
    if not len(part.indices) or (instances is not None and not len(instances)):
        return None
    mesh = Mesh(
        name=name,
        label=label,
        positions=part.positions,
        normals=part.normals,
        indices=part.indices,
        material=material_index,
        uvs=part.uvs,
        colors=part.colors,
        instances=None if instances is None else np.ascontiguousarray(instances, np.float32),
        collider=collider,
    )
    return scene.add_mesh(mesh)


_BOX_TRI = np.array(
    [
        [0, 2, 1],
        [0, 3, 2],
        [4, 5, 6],
        [4, 6, 7],
        [0, 1, 5],
        [0, 5, 4],
        [1, 2, 6],
        [1, 6, 5],
        [2, 3, 7],
        [2, 7, 6],
        [3, 0, 4],
        [3, 4, 7],
    ],
    np.int64,
)[:, ::-1]


def box_collider(name: str, label: str, centers: ArrayLike, sizes: ArrayLike) -> Collider:
    """Closed boxes (8 vertices, 12 triangles each) as one world-space collider."""
    c = np.asarray(centers, np.float32).reshape(-1, 3)
    s = np.asarray(sizes, np.float32).reshape(-1, 3) / 2
    signs = np.array(
        [[-1, -1, -1], [1, -1, -1], [1, -1, 1], [-1, -1, 1], [-1, 1, -1], [1, 1, -1], [1, 1, 1], [-1, 1, 1]],
        np.float32,
    )
    v = (c[:, None] + signs[None] * s[:, None]).reshape(-1, 3)
    f = ((np.arange(len(c), dtype=np.int64) * 8)[:, None, None] + _BOX_TRI[None]).reshape(-1, 3)
    return Collider(name, label, v.astype(np.float32), f)


def instance_matrices(positions: np.ndarray, yaw: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """(K,4,4) float32 transforms: yaw about +Y, uniform or per-axis scale, then translate."""
    k = len(positions)
    if k == 0:
        return np.zeros((0, 4, 4), np.float32)
    s = np.asarray(scale, np.float64).reshape(k, -1) * np.ones((1, 3))
    c, sn = np.cos(yaw), np.sin(yaw)
    m = np.zeros((k, 4, 4), np.float64)
    m[:, 0, 0], m[:, 0, 2], m[:, 2, 0], m[:, 2, 2], m[:, 1, 1] = c, sn, -sn, c, 1.0
    m[:, :3, :3] *= s[:, None, :]
    m[:, :3, 3] = positions
    m[:, 3, 3] = 1.0
    return m.astype(np.float32)


def pose(
    name: str,
    eye: tuple[float, float, float] | np.ndarray,
    target: tuple[float, float, float] | np.ndarray,
    kind: str = "bookmark",
    fov: float = 60.0,
    description: str = "",
) -> Bookmark:
    assert kind in ("bookmark", "spawn", "shot")
    return Bookmark(name, look_at(eye, target), fov, kind, description)  # type: ignore[arg-type]
