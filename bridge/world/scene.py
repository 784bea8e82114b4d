"""The explicit 3D scene every consumer reads: meshes + PBR materials, environment (sun, sky, fog),
lights, semantic labels, colliders, bookmarks and provenance. Right-handed, Y up, metres.

Builders (procedural, import, diffusion) produce a `Scene`; the renderer, planner, exporter, XR
viewer and engine plugins consume it. Arrays are numpy; nothing here imports GL or the server.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from bridge.errors import SceneError

__all__ = [
    "LABELS",
    "Bookmark",
    "Collider",
    "Environment",
    "Light",
    "Material",
    "Mesh",
    "PointCloud",
    "Provenance",
    "Scene",
    "look_at",
]

LABELS: tuple[str, ...] = (
    "unknown",
    "terrain",
    "road",
    "sidewalk",
    "building",
    "roof",
    "window",
    "door",
    "tree",
    "vegetation",
    "rock",
    "water",
    "sand",
    "furniture",
    "prop",
    "light",
    "wall",
    "floor",
    "ceiling",
    "vehicle",
    "sky",
    "scan",
    "splat",
)
"""Semantic labels a builder may use; the renderer's id map and the GLB extras carry them."""


@dataclass
class Material:
    """A metallic-roughness PBR material. Colours are linear RGB(A) in 0..1."""

    name: str
    base_color: tuple[float, float, float, float] = (0.8, 0.8, 0.8, 1.0)
    roughness: float = 0.8
    metallic: float = 0.0
    emissive: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """Emitted radiance (linear RGB, may exceed 1 for bright sources)."""
    emissive_at_night_only: bool = False
    """Lit windows and street lamps: emissive scaled by how dark the sky is."""
    base_color_texture: np.ndarray | None = None
    """Optional HxWx3 or HxWx4 uint8 sRGB texture, tiled by the mesh's UVs."""


@dataclass
class Mesh:
    """Triangles with one material and one semantic label, drawn once or instanced."""

    name: str
    label: str
    positions: np.ndarray
    """(N, 3) float32 vertex positions in the mesh's local frame, metres."""
    normals: np.ndarray
    """(N, 3) float32 unit normals."""
    indices: np.ndarray
    """(M, 3) uint32 triangle vertex indices, counter-clockwise front faces."""
    material: int = 0
    """Index into `Scene.materials`."""
    uvs: np.ndarray | None = None
    """(N, 2) float32 texture coordinates."""
    colors: np.ndarray | None = None
    """(N, 3) float32 linear per-vertex tint multiplied with the material's base colour."""
    instances: np.ndarray | None = None
    """(K, 4, 4) float32 world transforms, one per instance (trees, rocks, props); None = identity once."""
    object_id: int = 0
    """Stable id (1..65535) assigned by `Scene.add_mesh`; the renderer's id map uses it."""
    collider: bool = True
    """Whether the mesh blocks cameras and walkers (leaves, glass and decals may opt out)."""

    @property
    def triangle_count(self) -> int:
        k = 1 if self.instances is None else len(self.instances)
        return int(len(self.indices)) * k

    def world_transforms(self) -> np.ndarray:
        if self.instances is None:
            return np.eye(4, dtype=np.float32)[None]
        return self.instances

    def world_triangles(self) -> tuple[np.ndarray, np.ndarray]:
        """All instances baked into world space: (vertices (V,3) float32, faces (F,3) int64)."""
        verts, faces, base = [], [], 0
        for t in self.world_transforms():
            v = self.positions @ t[:3, :3].T + t[:3, 3]
            verts.append(v.astype(np.float32))
            faces.append(self.indices.astype(np.int64) + base)
            base += len(v)
        if not verts:
            return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.int64)
        return np.concatenate(verts), np.concatenate(faces)


@dataclass
class PointCloud:
    """Points from a scan, or 3D Gaussian splats (kind="splats") imported from a splat PLY."""

    name: str
    label: str
    positions: np.ndarray
    """(N, 3) float32, metres, world frame."""
    colors: np.ndarray
    """(N, 3) float32 linear RGB in 0..1."""
    kind: Literal["points", "splats"] = "points"
    opacity: np.ndarray | None = None
    """(N,) float32 in 0..1 (splats)."""
    scales: np.ndarray | None = None
    """(N, 3) float32 metres, the Gaussian's axis lengths (splats)."""
    rotations: np.ndarray | None = None
    """(N, 4) float32 unit quaternions (w, x, y, z) (splats)."""
    point_size_m: float = 0.02
    object_id: int = 0


@dataclass
class Light:
    """A point or spot light (the sun lives in `Environment`)."""

    name: str
    kind: Literal["point", "spot"] = "point"
    position: tuple[float, float, float] = (0.0, 3.0, 0.0)
    direction: tuple[float, float, float] = (0.0, -1.0, 0.0)
    color: tuple[float, float, float] = (1.0, 0.9, 0.8)
    intensity: float = 10.0
    """Candela-like scale; the renderer uses inverse-square falloff."""
    range_m: float = 20.0
    spot_angle_deg: float = 45.0
    at_night_only: bool = False


@dataclass
class Environment:
    """Sun, sky and atmosphere. Time of day drives the sun unless azimuth/elevation are pinned."""

    time_of_day_h: float = 14.0
    latitude_deg: float = 35.0
    north_deg: float = 0.0
    """Rotation of north about +Y from the scene's −Z axis, degrees."""
    sun_azimuth_deg: float | None = None
    sun_elevation_deg: float | None = None
    sun_color: tuple[float, float, float] = (1.0, 0.95, 0.88)
    sun_intensity: float = 3.0
    sky: Literal["analytic", "panorama"] = "analytic"
    panorama: np.ndarray | None = None
    """Equirectangular HxWx3 uint8 sRGB sky, column 0 at −Z, wrapping left to right."""
    turbidity: float = 3.0
    fog_density: float = 0.002
    """Exponential fog coefficient per metre (aerial perspective)."""
    fog_color: tuple[float, float, float] | None = None
    """None = take the fog colour from the sky at the horizon."""
    exposure_ev: float = 0.0
    weather: Literal["clear", "overcast", "fog", "rain", "snow"] = "clear"

    def sun_angles_deg(self) -> tuple[float, float]:
        """(azimuth clockwise from north, elevation) of the sun, degrees."""
        if self.sun_azimuth_deg is not None and self.sun_elevation_deg is not None:
            return self.sun_azimuth_deg, self.sun_elevation_deg
        # Simple solar model at the equinox: hour angle 15°/h, elevation from latitude.
        h = math.radians((self.time_of_day_h - 12.0) * 15.0)
        lat = math.radians(self.latitude_deg)
        sin_el = math.cos(lat) * math.cos(h)
        el = math.asin(max(-1.0, min(1.0, sin_el)))
        az = math.atan2(math.sin(h), math.cos(h) * math.sin(lat))
        az_deg = (math.degrees(az) + 180.0) % 360.0
        return (
            self.sun_azimuth_deg if self.sun_azimuth_deg is not None else az_deg,
            self.sun_elevation_deg if self.sun_elevation_deg is not None else math.degrees(el),
        )

    def sun_direction(self) -> np.ndarray:
        """Unit vector from the scene towards the sun, world frame (Y up, north at −Z rotated by north_deg)."""
        az_deg, el_deg = self.sun_angles_deg()
        az = math.radians(az_deg + self.north_deg)
        el = math.radians(el_deg)
        d = np.array([math.sin(az) * math.cos(el), math.sin(el), -math.cos(az) * math.cos(el)])
        return np.asarray(d / np.linalg.norm(d))


@dataclass
class Collider:
    """A simplified world-space triangle mesh for physics, walking and camera planning."""

    name: str
    label: str
    vertices: np.ndarray
    """(V, 3) float32 world positions."""
    faces: np.ndarray
    """(F, 3) int64 indices."""


@dataclass
class Bookmark:
    """A named pose: a bookmark, a spawn point, or a shot (a perspective offered to viewers)."""

    name: str
    T_world_camera: np.ndarray
    """(4, 4) float64 pose of the camera in the world, OpenGL convention, −Z forward."""
    fov_y_deg: float = 60.0
    kind: Literal["bookmark", "spawn", "shot"] = "bookmark"
    description: str = ""
    at_s: float | None = None
    """For shots on a timeline: when this perspective comes up, seconds from the start."""


@dataclass
class Provenance:
    """What made the scene: builder and version, prompt, seed, model id, source files with hashes."""

    builder: str
    builder_version: str = ""
    prompt: str = ""
    seed: int = 0
    model_id: str | None = None
    sources: list[tuple[str, str]] = field(default_factory=list)
    """(path, sha256) of every input file."""
    unused_words: list[str] = field(default_factory=list)
    """Prompt words the builder did not use (reported, never silently dropped)."""
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for frame headers and logs."""
        parts = [
            self.builder + (f" {self.builder_version}" if self.builder_version else ""),
            f"seed {self.seed}",
        ]
        if self.prompt:
            parts.append(f"prompt {self.prompt[:60]!r}")
        if self.model_id:
            parts.append(f"model {self.model_id}")
        if self.sources:
            parts.append(f"{len(self.sources)} source file(s)")
        return ", ".join(parts)


@dataclass
class Scene:
    """An explorable set. Add geometry with `add_mesh` / `add_points` so object ids stay unique."""

    name: str
    provenance: Provenance
    environment: Environment = field(default_factory=Environment)
    materials: list[Material] = field(default_factory=list)
    meshes: list[Mesh] = field(default_factory=list)
    point_clouds: list[PointCloud] = field(default_factory=list)
    lights: list[Light] = field(default_factory=list)
    colliders: list[Collider] = field(default_factory=list)
    bookmarks: list[Bookmark] = field(default_factory=list)
    version: int = 1
    """Bumped whenever geometry changes; frames and caches carry it."""
    description: str = ""

    def add_material(self, material: Material) -> int:
        self.materials.append(material)
        return len(self.materials) - 1

    def _next_id(self) -> int:
        used = [m.object_id for m in self.meshes] + [p.object_id for p in self.point_clouds]
        nid = max(used, default=0) + 1
        if nid > 65535:
            raise SceneError(
                "a scene holds at most 65535 objects; merge meshes that share a material and label"
            )
        return nid

    def add_mesh(self, mesh: Mesh) -> Mesh:
        if mesh.positions.ndim != 2 or mesh.positions.shape[1] != 3:
            raise SceneError(f"mesh {mesh.name!r}: `positions` must be (N, 3), got {mesh.positions.shape}")
        if mesh.indices.ndim != 2 or mesh.indices.shape[1] != 3:
            raise SceneError(f"mesh {mesh.name!r}: `indices` must be (M, 3), got {mesh.indices.shape}")
        if len(mesh.indices) and int(mesh.indices.max()) >= len(mesh.positions):
            raise SceneError(f"mesh {mesh.name!r}: an index points past the {len(mesh.positions)} vertices")
        if not 0 <= mesh.material < len(self.materials):
            raise SceneError(f"mesh {mesh.name!r}: material {mesh.material} does not exist")
        mesh.positions = np.ascontiguousarray(mesh.positions, np.float32)
        mesh.normals = np.ascontiguousarray(mesh.normals, np.float32)
        mesh.indices = np.ascontiguousarray(mesh.indices, np.uint32)
        mesh.object_id = self._next_id()
        self.meshes.append(mesh)
        return mesh

    def add_points(self, cloud: PointCloud) -> PointCloud:
        cloud.object_id = self._next_id()
        self.point_clouds.append(cloud)
        return cloud

    @property
    def triangle_count(self) -> int:
        return sum(m.triangle_count for m in self.meshes)

    def label_of(self, object_id: int) -> str:
        """Semantic label of an object id from the renderer's id map ("unknown" for 0 / sky)."""
        for m in self.meshes:
            if m.object_id == object_id:
                return m.label
        for p in self.point_clouds:
            if p.object_id == object_id:
                return p.label
        return "unknown"

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """World-space axis-aligned bounds (min, max) of all geometry."""
        lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
        for mesh in self.meshes:
            if not len(mesh.positions):
                continue
            pmin, pmax = mesh.positions.min(0), mesh.positions.max(0)
            corners = np.array(
                [
                    [x, y, z, 1.0]
                    for x in (pmin[0], pmax[0])
                    for y in (pmin[1], pmax[1])
                    for z in (pmin[2], pmax[2])
                ]
            )
            for t in mesh.world_transforms():
                w = corners @ t.T
                lo, hi = np.minimum(lo, w[:, :3].min(0)), np.maximum(hi, w[:, :3].max(0))
        for pc in self.point_clouds:
            if len(pc.positions):
                lo, hi = np.minimum(lo, pc.positions.min(0)), np.maximum(hi, pc.positions.max(0))
        if not np.all(np.isfinite(lo)):
            return np.zeros(3), np.zeros(3)
        return lo, hi

    def collision_mesh(self) -> tuple[np.ndarray, np.ndarray]:
        """World-space triangles that block motion: the colliders, or colliding meshes when none are given."""
        if self.colliders:
            parts = [(c.vertices, c.faces) for c in self.colliders]
        else:
            parts = [m.world_triangles() for m in self.meshes if m.collider]
        verts, faces, base = [], [], 0
        for v, f in parts:
            verts.append(np.asarray(v, np.float32))
            faces.append(np.asarray(f, np.int64) + base)
            base += len(v)
        if not verts:
            return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.int64)
        return np.concatenate(verts), np.concatenate(faces)

    def bookmark(self, name: str) -> Bookmark:
        for b in self.bookmarks:
            if b.name == name:
                return b
        names = ", ".join(b.name for b in self.bookmarks) or "none"
        raise SceneError(f"scene {self.name!r} has no bookmark {name!r}; it has: {names}")


def look_at(
    eye: np.ndarray | tuple[float, float, float],
    target: np.ndarray | tuple[float, float, float],
    up: tuple[float, float, float] = (0.0, 1.0, 0.0),
) -> np.ndarray:
    """T_world_camera for a camera at `eye` looking at `target` (OpenGL: −Z forward, +Y up)."""
    eye_v, tgt = np.asarray(eye, np.float64), np.asarray(target, np.float64)
    f = tgt - eye_v
    n = np.linalg.norm(f)
    if n < 1e-12:
        raise SceneError("`look_at`: eye and target are the same point; move the target")
    f /= n
    u = np.asarray(up, np.float64)
    if abs(float(np.dot(f, u))) > 0.999:
        u = np.array([0.0, 0.0, -1.0]) if abs(f[1]) > 0.999 else np.array([0.0, 1.0, 0.0])
    r = np.cross(f, u)
    r /= np.linalg.norm(r)
    u2 = np.cross(r, f)
    t = np.eye(4)
    t[:3, 0], t[:3, 1], t[:3, 2], t[:3, 3] = r, u2, -f, eye_v
    return t
