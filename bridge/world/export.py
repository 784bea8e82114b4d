"""GLB export and the scene manifest. The GLB carries meshes with PBR materials and labels (node
extras), instanced props as child nodes sharing one mesh, colliders, bookmarks as camera nodes and
lights (KHR_lights_punctual); the manifest is JSON a plugin reads before it loads the GLB.
Output is byte-identical for identical scenes (fixed order, no timestamps).
"""

from __future__ import annotations

import io
import json
import math
import struct
from typing import Any

import numpy as np
from PIL import Image

from bridge.errors import SceneError
from bridge.world.scene import Material, Mesh, PointCloud, Scene

__all__ = ["MANIFEST_FORMAT", "export_glb", "manifest"]

MANIFEST_FORMAT = "vpbridge-manifest/1"
_FLOAT, _UINT32 = 5126, 5125
_ARRAY, _ELEMENTS = 34962, 34963


def _mat4(m: np.ndarray) -> list[float]:
    """glTF matrices are column-major."""
    return [float(v) for v in np.asarray(m, np.float64).T.ravel()]


def _rounded(v: Any) -> Any:
    return [round(float(x), 6) for x in v]


class _Writer:
    """Accumulates the binary buffer and the glTF JSON arrays."""

    def __init__(self) -> None:
        self.bin = bytearray()
        self.gltf: dict[str, Any] = {"bufferViews": [], "accessors": []}

    def view(self, data: bytes, target: int | None) -> int:
        while len(self.bin) % 4:
            self.bin.append(0)
        bv: dict[str, Any] = {"buffer": 0, "byteOffset": len(self.bin), "byteLength": len(data)}
        if target is not None:
            bv["target"] = target
        self.bin += data
        self.gltf["bufferViews"].append(bv)
        return len(self.gltf["bufferViews"]) - 1

    def accessor(self, array: np.ndarray, kind: str, target: int, minmax: bool = False) -> int:
        comp = _UINT32 if array.dtype.kind in "ui" else _FLOAT
        arr = np.ascontiguousarray(array, np.uint32 if comp == _UINT32 else np.float32)
        acc: dict[str, Any] = {
            "bufferView": self.view(arr.tobytes(), target),
            "componentType": comp,
            "count": int(arr.shape[0] if kind != "SCALAR" else arr.size),
            "type": kind,
        }
        if minmax and len(arr):
            acc["min"] = [float(v) for v in arr.reshape(len(arr), -1).min(0)]
            acc["max"] = [float(v) for v in arr.reshape(len(arr), -1).max(0)]
        self.gltf["accessors"].append(acc)
        return len(self.gltf["accessors"]) - 1

    def image(self, pixels: np.ndarray, name: str) -> int:
        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(pixels, np.uint8)).save(buf, format="PNG", optimize=False)
        images = self.gltf.setdefault("images", [])
        images.append({"name": name, "bufferView": self.view(buf.getvalue(), None), "mimeType": "image/png"})
        return len(images) - 1


def _material(w: _Writer, m: Material) -> dict[str, Any]:
    pbr: dict[str, Any] = {
        "baseColorFactor": [float(c) for c in m.base_color],
        "metallicFactor": float(m.metallic),
        "roughnessFactor": float(m.roughness),
    }
    out: dict[str, Any] = {"name": m.name, "pbrMetallicRoughness": pbr}
    if m.base_color_texture is not None:
        if "samplers" not in w.gltf:
            w.gltf["samplers"] = [{"magFilter": 9729, "minFilter": 9987, "wrapS": 10497, "wrapT": 10497}]
        img = w.image(m.base_color_texture, f"{m.name}_base_color")
        w.gltf.setdefault("textures", []).append({"sampler": 0, "source": img})
        pbr["baseColorTexture"] = {"index": len(w.gltf["textures"]) - 1}
    peak = max(m.emissive)
    if peak > 0:
        out["emissiveFactor"] = [float(c / max(peak, 1.0)) for c in m.emissive]
        if peak > 1.0:  # HDR emission: glTF factors stop at 1, the extension carries the rest
            out["extensions"] = {"KHR_materials_emissive_strength": {"emissiveStrength": float(peak)}}
    if m.base_color[3] < 1.0:
        out["alphaMode"] = "BLEND"
    out["extras"] = {"emissive_at_night_only": bool(m.emissive_at_night_only)}
    return out


def _mesh_primitive(w: _Writer, mesh: Mesh) -> dict[str, Any]:
    attrs = {
        "POSITION": w.accessor(mesh.positions, "VEC3", _ARRAY, minmax=True),
        "NORMAL": w.accessor(mesh.normals, "VEC3", _ARRAY),
    }
    if mesh.uvs is not None:
        attrs["TEXCOORD_0"] = w.accessor(mesh.uvs, "VEC2", _ARRAY)
    if mesh.colors is not None:
        attrs["COLOR_0"] = w.accessor(mesh.colors, "VEC3", _ARRAY)
    return {
        "attributes": attrs,
        "indices": w.accessor(mesh.indices.reshape(-1), "SCALAR", _ELEMENTS),
        "material": mesh.material,
    }


def _points_primitive(w: _Writer, pc: PointCloud) -> dict[str, Any]:
    attrs = {
        "POSITION": w.accessor(pc.positions, "VEC3", _ARRAY, minmax=True),
        "COLOR_0": w.accessor(pc.colors, "VEC3", _ARRAY),
    }
    # application-specific attributes start with "_" so any glTF reader may ignore them
    for key, arr in (("_OPACITY", pc.opacity), ("_SCALE", pc.scales), ("_ROTATION", pc.rotations)):
        if arr is not None:
            a = np.asarray(arr, np.float32)
            attrs[key] = w.accessor(
                a, {1: "SCALAR", 3: "VEC3", 4: "VEC4"}[1 if a.ndim == 1 else a.shape[1]], _ARRAY
            )
    return {"attributes": attrs, "mode": 0}


def _quat_from_forward(direction: np.ndarray) -> list[float]:
    """Rotation (x, y, z, w) that turns -Z to `direction` (lights and cameras point down -Z)."""
    f = np.asarray(direction, np.float64)
    f = f / (np.linalg.norm(f) + 1e-12)
    up = np.array([0.0, 1.0, 0.0]) if abs(f[1]) < 0.999 else np.array([1.0, 0.0, 0.0])
    r = np.cross(f, up)
    r /= np.linalg.norm(r)
    u = np.cross(r, f)
    m = np.stack([r, u, -f], 1)
    wq = math.sqrt(max(0.0, 1 + m[0, 0] + m[1, 1] + m[2, 2])) / 2
    xq = math.copysign(math.sqrt(max(0.0, 1 + m[0, 0] - m[1, 1] - m[2, 2])) / 2, m[2, 1] - m[1, 2])
    yq = math.copysign(math.sqrt(max(0.0, 1 - m[0, 0] + m[1, 1] - m[2, 2])) / 2, m[0, 2] - m[2, 0])
    zq = math.copysign(math.sqrt(max(0.0, 1 - m[0, 0] - m[1, 1] + m[2, 2])) / 2, m[1, 0] - m[0, 1])
    return [xq, yq, zq, wq]


def export_glb(scene: Scene) -> bytes:
    """The scene as a binary glTF 2.0 file (see docs/world.md for what goes where)."""
    if not scene.meshes and not scene.point_clouds:
        raise SceneError(
            f"scene {scene.name!r} has no meshes or points to export; build or import something first"
        )
    from bridge import __version__

    w = _Writer()
    g = w.gltf
    g["asset"] = {"version": "2.0", "generator": f"vpbridge {__version__}"}
    g["materials"] = [_material(w, m) for m in scene.materials]
    g["meshes"], nodes = [], []
    roots: list[int] = []

    def node(entry: dict[str, Any]) -> int:
        nodes.append(entry)
        return len(nodes) - 1

    for mesh in scene.meshes:
        g["meshes"].append({"name": mesh.name, "primitives": [_mesh_primitive(w, mesh)]})
        mi = len(g["meshes"]) - 1
        extras = {"label": mesh.label, "object_id": mesh.object_id, "collider": mesh.collider}
        if mesh.instances is None:
            roots.append(node({"name": mesh.name, "mesh": mi, "extras": extras}))
        else:
            kids = [
                node(
                    {
                        "name": f"{mesh.name}.{i}",
                        "mesh": mi,
                        "matrix": _mat4(t),
                        "extras": {"label": mesh.label},
                    }
                )
                for i, t in enumerate(mesh.instances)
            ]
            roots.append(
                node({"name": mesh.name, "children": kids, "extras": {**extras, "instances": len(kids)}})
            )
    for pc in scene.point_clouds:
        g["meshes"].append({"name": pc.name, "primitives": [_points_primitive(w, pc)]})
        roots.append(
            node(
                {
                    "name": pc.name,
                    "mesh": len(g["meshes"]) - 1,
                    "extras": {
                        "label": pc.label,
                        "object_id": pc.object_id,
                        "kind": pc.kind,
                        "point_size_m": pc.point_size_m,
                    },
                }
            )
        )
    if scene.colliders:
        kids = []
        for c in scene.colliders:
            prim = {
                "attributes": {
                    "POSITION": w.accessor(np.asarray(c.vertices, np.float32), "VEC3", _ARRAY, minmax=True)
                },
                "indices": w.accessor(np.asarray(c.faces).reshape(-1).astype(np.uint32), "SCALAR", _ELEMENTS),
            }
            g["meshes"].append({"name": f"{c.name}", "primitives": [prim]})
            kids.append(
                node(
                    {
                        "name": c.name,
                        "mesh": len(g["meshes"]) - 1,
                        "extras": {"role": "collider", "label": c.label},
                    }
                )
            )
        roots.append(node({"name": "colliders", "children": kids, "extras": {"colliders": True}}))
    if scene.bookmarks:
        g["cameras"], kids = [], []
        for b in scene.bookmarks:
            g["cameras"].append(
                {
                    "name": b.name,
                    "type": "perspective",
                    "perspective": {"yfov": math.radians(b.fov_y_deg), "znear": 0.05},
                }
            )
            kids.append(
                node(
                    {
                        "name": b.name,
                        "camera": len(g["cameras"]) - 1,
                        "matrix": _mat4(b.T_world_camera),
                        "extras": {
                            "bookmark": True,
                            "kind": b.kind,
                            "description": b.description,
                            "fov_y_deg": b.fov_y_deg,
                            **({"at_s": b.at_s} if b.at_s is not None else {}),
                        },
                    }
                )
            )
        roots.append(node({"name": "bookmarks", "children": kids}))
    env = scene.environment
    lights: list[dict[str, Any]] = [
        {
            "name": "sun",
            "type": "directional",
            "color": list(env.sun_color),
            "intensity": float(env.sun_intensity),
        }
    ]
    kids = [
        node(
            {
                "name": "sun",
                "rotation": _quat_from_forward(-env.sun_direction()),
                "extensions": {"KHR_lights_punctual": {"light": 0}},
            }
        )
    ]
    for lt in scene.lights:
        entry: dict[str, Any] = {
            "name": lt.name,
            "type": lt.kind,
            "color": list(lt.color),
            "intensity": float(lt.intensity),
            "range": float(lt.range_m),
        }
        if lt.kind == "spot":
            entry["spot"] = {
                "innerConeAngle": 0.0,
                "outerConeAngle": math.radians(min(lt.spot_angle_deg, 179.0) / 2),
            }
        lights.append(entry)
        kids.append(
            node(
                {
                    "name": lt.name,
                    "translation": list(lt.position),
                    "rotation": _quat_from_forward(np.array(lt.direction)),
                    "extensions": {"KHR_lights_punctual": {"light": len(lights) - 1}},
                    "extras": {"at_night_only": lt.at_night_only},
                }
            )
        )
    roots.append(node({"name": "lights", "children": kids}))
    g["extensions"] = {"KHR_lights_punctual": {"lights": lights}}
    used = ["KHR_lights_punctual"]
    if any("extensions" in m for m in g["materials"]):
        used.append("KHR_materials_emissive_strength")
    g["extensionsUsed"] = used
    g["nodes"] = nodes
    g["scenes"] = [{"name": scene.name, "nodes": roots, "extras": _scene_extras(scene, w)}]
    g["scene"] = 0
    for key in [k for k, v in g.items() if isinstance(v, list) and not v]:
        del g[key]  # glTF forbids empty arrays
    g["buffers"] = [{"byteLength": len(w.bin)}]
    return _pack(g, bytes(w.bin))


def _scene_extras(scene: Scene, w: _Writer) -> dict[str, Any]:
    env = scene.environment
    az, el = env.sun_angles_deg()
    extras: dict[str, Any] = {
        "name": scene.name,
        "version": scene.version,
        "description": scene.description,
        "environment": {
            "time_of_day_h": env.time_of_day_h,
            "weather": env.weather,
            "sun_azimuth_deg": round(az, 4),
            "sun_elevation_deg": round(el, 4),
            "sky": env.sky,
            "fog_density": env.fog_density,
            "exposure_ev": env.exposure_ev,
            # What a client needs to light the scene exactly as the server does (local mode).
            "turbidity": env.turbidity,
            "north_deg": env.north_deg,
            "latitude_deg": env.latitude_deg,
        },
        "provenance": _provenance(scene),
    }
    if env.panorama is not None:
        extras["environment"]["panorama_image"] = w.image(env.panorama, "sky_panorama")
    return extras


def _pack(gltf: dict[str, Any], binary: bytes) -> bytes:
    js = json.dumps(gltf, separators=(",", ":"), allow_nan=False).encode()
    js += b" " * (-len(js) % 4)
    binary += b"\0" * (-len(binary) % 4)
    total = 12 + 8 + len(js) + 8 + len(binary)
    return b"".join(
        [
            struct.pack("<4sII", b"glTF", 2, total),
            struct.pack("<I4s", len(js), b"JSON"),
            js,
            struct.pack("<I4s", len(binary), b"BIN\0"),
            binary,
        ]
    )


def _provenance(scene: Scene) -> dict[str, Any]:
    p = scene.provenance
    return {
        "builder": p.builder,
        "builder_version": p.builder_version,
        "prompt": p.prompt,
        "seed": p.seed,
        "model_id": p.model_id,
        "sources": [{"path": a, "sha256": b} for a, b in p.sources],
        "unused_words": list(p.unused_words),
        "notes": list(p.notes),
        "summary": p.summary(),
    }


def _mesh_bounds(mesh: Mesh) -> tuple[list[float], list[float]]:
    if not len(mesh.positions):
        return [0.0] * 3, [0.0] * 3
    pmin, pmax = mesh.positions.min(0).astype(np.float64), mesh.positions.max(0).astype(np.float64)
    corners = np.array(
        [[x, y, z, 1.0] for x in (pmin[0], pmax[0]) for y in (pmin[1], pmax[1]) for z in (pmin[2], pmax[2])]
    )
    pts = np.einsum("kij,cj->kci", mesh.world_transforms().astype(np.float64), corners)[..., :3].reshape(
        -1, 3
    )
    return _rounded(pts.min(0)), _rounded(pts.max(0))


def manifest(scene: Scene) -> dict[str, Any]:
    """JSON-ready summary: objects and labels, bounds, bookmarks, lights, colliders, environment, provenance."""
    lo, hi = scene.bounds()
    objects: list[dict[str, Any]] = []
    labels: dict[str, int] = {}
    for m in scene.meshes:
        bmin, bmax = _mesh_bounds(m)
        objects.append(
            {
                "id": m.object_id,
                "name": m.name,
                "label": m.label,
                "kind": "mesh",
                "triangles": m.triangle_count,
                "instances": 1 if m.instances is None else len(m.instances),
                "material": scene.materials[m.material].name,
                "collider": m.collider,
                "bounds": {"min": bmin, "max": bmax},
            }
        )
        labels[m.label] = labels.get(m.label, 0) + 1
    for pc in scene.point_clouds:
        objects.append(
            {
                "id": pc.object_id,
                "name": pc.name,
                "label": pc.label,
                "kind": pc.kind,
                "points": len(pc.positions),
                "bounds": {
                    "min": _rounded(pc.positions.min(0)) if len(pc.positions) else [0.0] * 3,
                    "max": _rounded(pc.positions.max(0)) if len(pc.positions) else [0.0] * 3,
                },
            }
        )
        labels[pc.label] = labels.get(pc.label, 0) + 1
    env = scene.environment
    az, el = env.sun_angles_deg()
    return {
        "format": MANIFEST_FORMAT,
        "name": scene.name,
        "description": scene.description,
        "version": scene.version,
        "triangles": scene.triangle_count,
        "bounds": {"min": _rounded(lo), "max": _rounded(hi)},
        "objects": objects,
        "labels": dict(sorted(labels.items())),
        "materials": [
            {
                "name": m.name,
                "base_color": list(m.base_color),
                "roughness": m.roughness,
                "metallic": m.metallic,
                "emissive": list(m.emissive),
                "emissive_at_night_only": m.emissive_at_night_only,
                "textured": m.base_color_texture is not None,
            }
            for m in scene.materials
        ],
        "bookmarks": [
            {
                "name": b.name,
                "kind": b.kind,
                "description": b.description,
                "fov_y_deg": b.fov_y_deg,
                "position": _rounded(b.T_world_camera[:3, 3]),
                "T_world_camera": [_rounded(r) for r in b.T_world_camera],
                **({"at_s": b.at_s} if b.at_s is not None else {}),
            }
            for b in scene.bookmarks
        ],
        "lights": [
            {
                "name": lt.name,
                "kind": lt.kind,
                "position": list(lt.position),
                "direction": list(lt.direction),
                "color": list(lt.color),
                "intensity": lt.intensity,
                "range_m": lt.range_m,
                "at_night_only": lt.at_night_only,
            }
            for lt in scene.lights
        ],
        "colliders": [{"name": c.name, "label": c.label, "triangles": len(c.faces)} for c in scene.colliders],
        "environment": {
            "time_of_day_h": env.time_of_day_h,
            "weather": env.weather,
            "sky": env.sky,
            "sun_azimuth_deg": round(az, 4),
            "sun_elevation_deg": round(el, 4),
            "sun_direction": _rounded(env.sun_direction()),
            "fog_density": env.fog_density,
            "exposure_ev": env.exposure_ev,
            "latitude_deg": env.latitude_deg,
        },
        "provenance": _provenance(scene),
    }
