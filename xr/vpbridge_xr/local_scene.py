"""Local mode: render the server's scene on this machine instead of streaming frames.

A headset (or the desktop fallback) downloads the environment once with `GetScene` (GLB + manifest),
rebuilds the exact `Scene` the server renders, and renders it itself with `SceneRenderer`, reading the
live parameters (time of day, look, exposure, ...) from the followed state every frame. For the same
pose, FOV, size and parameters the local frame equals the server's frame.

    with Client(endpoint) as client:
        local = LocalScene.fetch(client)                 # once (seconds for a big set)
        renderer = SceneRenderer(local.scene)
        while running:                                   # per frame: no network, no allocation of note
            if local.scene_changed(client):              # a director generated or switched the set
                local = LocalScene.fetch(client)
                renderer.set_scene(local.scene)
            job = local.job([View(T, fov)], width, height, local.params(client))
            frame = renderer.render(job)

The GLB is read by `scene_from_glb`, the exact inverse of `bridge.world.export_glb` (materials with
emissive strength and night-only flags, object ids and labels, instancing, point clouds and splats,
colliders, bookmarks, lights, environment and provenance). `trimesh`'s generic GLB import used for
`--scene FILE.glb` keeps only meshes and base colours, so it is used only for GLBs vpbridge did not
write. What the GLB does not carry is rebuilt from the manifest or inferred; `LocalScene.notes` says
what (see `docs/clients/desktop.md`).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import struct
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np

from bridge.errors import RemoteError, SceneError
from bridge.render.source import RenderJob, View
from bridge.world.scene import (
    Bookmark,
    Collider,
    Environment,
    Light,
    Material,
    Mesh,
    PointCloud,
    Provenance,
    Scene,
    look_at,
)

__all__ = [
    "LocalScene",
    "render_params",
    "scene_from_glb",
    "scene_version_of",
    "shared_bookmarks",
    "spawn_bookmark",
]

_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
_DTYPES = {5126: "<f4", 5125: "<u4", 5123: "<u2", 5122: "<i2", 5121: "u1", 5120: "i1"}
_PROCEDURAL = "vpbridge.procedural"


# -- live parameters -----------------------------------------------------------------------------


def render_params(state: Mapping[str, object]) -> dict[str, object]:
    """What the server hands its renderer for a frame: the shared state without presence entries
    (the same filter as `StateStore.render_params`, so local and server frames see the same values)."""
    return {k: v for k, v in state.items() if not k.startswith("presence.")}


def _inner(client: Any) -> Any:
    """The asyncio client behind a sync `Client` (or the client itself)."""
    return getattr(client, "inner", client)


def scene_version_of(client: Any) -> int:
    """The scene version the client's followed state announces (0 when the server has no scene)."""
    return int(getattr(_inner(client), "scene_version", 0) or 0)


def _state_of(client: Any) -> dict[str, Any]:
    # `dict(d)` of a plain dict copies in C under the GIL: safe while the client's loop thread updates it.
    return dict(getattr(_inner(client), "state", {}) or {})


def shared_bookmarks(state: Mapping[str, object], default_fov_deg: float = 60.0) -> list[Bookmark]:
    """Shared bookmarks published on the state plane (`bookmark.<name>` = 16 pose floats row-major,
    then the vertical FOV), in name order; malformed entries are skipped."""
    out = []
    for key in sorted(k for k in state if k.startswith("bookmark.")):
        value = state[key]
        if not isinstance(value, list) or len(value) < 16:
            continue
        try:
            T = np.asarray(value[:16], np.float64).reshape(4, 4)
            fov = float(value[16]) if len(value) > 16 else default_fov_deg
        except (TypeError, ValueError):
            continue
        if not np.all(np.isfinite(T)) or not 0.0 < fov < 180.0:
            continue
        out.append(Bookmark(key[len("bookmark.") :], T, fov, "bookmark", "shared bookmark"))
    return out


def spawn_bookmark(scene: Scene) -> Bookmark:
    """The scene's spawn point: its `spawn` bookmark, else its first bookmark, else a pose in front of
    the bounds looking at their centre."""
    for b in scene.bookmarks:
        if b.kind == "spawn":
            return b
    if scene.bookmarks:
        return scene.bookmarks[0]
    lo, hi = scene.bounds()
    c = (lo + hi) / 2
    r = max(float(np.linalg.norm(hi - lo)) / 2, 0.5)
    eye = (float(c[0]), float(c[1] + r * 0.3), float(c[2] + r * 2.2))
    return Bookmark("spawn", look_at(eye, c), 60.0, "spawn", "framing the scene's bounds")


# -- the scene holder ----------------------------------------------------------------------------


@dataclass
class LocalScene:
    """The server's current scene, rebuilt locally, and the state-plane bookkeeping to follow it.

    Construct with `LocalScene.fetch(client)` (sync `bridge.Client`), or `LocalScene.from_download(glb,
    manifest)` after `await async_client.get_scene()`. Per frame call the cheap `params(client)` and
    `scene_changed(client)`; fetch again when the latter is true."""

    scene: Scene
    manifest: dict[str, Any]
    sha256: str
    """SHA-256 of the GLB (the download is checked against the server's hash by `get_scene`)."""
    version: int
    """The scene version this holds (the server's `scene_version` when it was exported)."""
    notes: list[str] = field(default_factory=list)
    """What the GLB did not carry and how it was rebuilt (inferred turbidity, derived north, ...)."""
    fetch_s: float = 0.0
    """Seconds the download and rebuild took."""
    glb_bytes: int = 0
    _announced: int = -1
    """The client's announced scene version when this was fetched (the state may lag the download)."""

    @classmethod
    def fetch(cls, client: Any, *, chunk_bytes: int = 1 << 20, attempts: int = 3) -> LocalScene:
        """Download the current scene from the server and rebuild it (blocking; sync client).

        Retries when the scene switches mid-download (CONFLICT). RemoteError NOT_FOUND when the server
        serves the test pattern; SceneError when the download is inconsistent."""
        t0 = time.monotonic()
        announced = scene_version_of(client)
        for attempt in range(attempts):
            announced = scene_version_of(client)
            try:
                glb, manifest = client.get_scene(chunk_bytes=chunk_bytes)
                break
            except RemoteError as exc:
                if exc.code != "CONFLICT" or attempt == attempts - 1:
                    raise
        local = cls.from_download(glb, manifest)
        local._announced = announced
        local.fetch_s = time.monotonic() - t0
        return local

    @classmethod
    def from_download(cls, glb: bytes, manifest: Mapping[str, Any] | None = None) -> LocalScene:
        """Rebuild from a downloaded GLB and its manifest, checking them against each other."""
        digest = hashlib.sha256(glb).hexdigest()
        man = dict(manifest or {})
        expected = man.get("sha256")
        if isinstance(expected, str) and expected and expected.lower() != digest:
            raise SceneError(
                f"the scene GLB's SHA-256 {digest[:16]}… does not match the manifest's {expected[:16]}…; "
                "download it again"
            )
        scene, notes = scene_from_glb(glb, man)
        _check_manifest(scene, man)
        version = int(man.get("version", scene.version) or scene.version)
        scene.version = version
        return cls(scene, man, digest, version, notes, glb_bytes=len(glb), _announced=version)

    # -- per frame (cheap) --

    def params(self, client: Any, overrides: Mapping[str, object] | None = None) -> dict[str, object]:
        """The live render parameters the server would use now (its followed state, presence left
        out), with optional local `overrides` on top."""
        params = render_params(_state_of(client))
        if overrides:
            params.update(overrides)
        return params

    def scene_changed(self, client: Any) -> bool:
        """Whether the server announced another scene than this one (a live switch after `Generate`,
        or a restarted server). One integer comparison: call it every frame."""
        now = scene_version_of(client)
        return now > 0 and now != self.version and now != self._announced

    def acknowledge(self, client: Any) -> None:
        """Stop reporting the scene the client announces now as a change (after a re-fetch failed:
        keep showing this one until the server announces yet another)."""
        self._announced = scene_version_of(client)

    def bookmarks(self, client: Any | None = None) -> list[Bookmark]:
        """The scene's bookmarks, then shared ones from the followed state (when the server has them)."""
        own = list(self.scene.bookmarks)
        if client is None:
            return own
        names = {b.name for b in own}
        return own + [b for b in shared_bookmarks(_state_of(client)) if b.name not in names]

    def spawn(self) -> Bookmark:
        return spawn_bookmark(self.scene)

    @staticmethod
    def job(
        views: Sequence[View],
        width: int,
        height: int,
        params: Mapping[str, object],
        *,
        near: float = 0.05,
        far: float = 2000.0,
        projection: Literal["mono", "stereo", "equirect", "equirect_stereo"] = "mono",
        want_depth: bool = False,
    ) -> RenderJob:
        """The `RenderJob` the server builds for the same request (defaults = `OpenStream`'s)."""
        return RenderJob(
            views=list(views),
            width=width,
            height=height,
            near=near,
            far=max(far, near * 1.001),
            projection=projection,
            want_color=True,
            want_depth=want_depth,
            want_ids=False,
            params=dict(params),
        )


def _check_manifest(scene: Scene, man: Mapping[str, Any]) -> None:
    """The rebuilt scene must agree with the manifest the server wrote next to the GLB."""
    if not man:
        return
    checks = [
        ("triangles", man.get("triangles"), scene.triangle_count),
        ("objects", len(man.get("objects", [])), len(scene.meshes) + len(scene.point_clouds)),
        ("bookmarks", len(man.get("bookmarks", [])), len(scene.bookmarks)),
        ("lights", len(man.get("lights", [])), len(scene.lights)),
        ("materials", len(man.get("materials", [])), len(scene.materials)),
    ]
    for what, want, got in checks:
        if want is not None and want != got:
            raise SceneError(
                f"the scene GLB holds {got} {what} but its manifest says {want}; "
                "the server and this viewer disagree on the GLB layout (update both to one version)"
            )


# -- GLB → Scene -----------------------------------------------------------------------------------


class _Glb:
    """The JSON and binary chunks of a GLB, and typed views of its accessors."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 20 or data[:4] != b"glTF":
            raise SceneError("the scene download is not a GLB (it does not start with 'glTF')")
        _, version, total = struct.unpack_from("<4sII", data, 0)
        if version != 2 or total > len(data):
            raise SceneError(
                f"the scene GLB is version {version} or truncated ({len(data)} of {total} bytes)"
            )
        offset, js, binary = 12, b"", b""
        while offset + 8 <= total:
            length, kind = struct.unpack_from("<I4s", data, offset)
            chunk = data[offset + 8 : offset + 8 + length]
            if kind == b"JSON":
                js = chunk
            elif kind == b"BIN\0":
                binary = chunk
            offset += 8 + length
        try:
            self.gltf: dict[str, Any] = json.loads(js)
        except ValueError as exc:
            raise SceneError(f"the scene GLB's JSON chunk is unreadable: {exc}") from None
        self.bin = binary

    def view(self, index: int) -> bytes:
        bv = self.gltf["bufferViews"][index]
        start = int(bv.get("byteOffset", 0))
        end = start + int(bv["byteLength"])
        if end > len(self.bin):
            raise SceneError(f"the scene GLB is truncated: buffer view {index} ends past the binary chunk")
        return self.bin[start:end]

    def accessor(self, index: int) -> np.ndarray:
        acc = self.gltf["accessors"][index]
        bv = self.gltf["bufferViews"][acc["bufferView"]]
        if bv.get("byteStride"):
            raise SceneError("interleaved (strided) buffer views are not written by vpbridge")
        n = _COMPONENTS[acc["type"]]
        dtype = np.dtype(_DTYPES[int(acc["componentType"])])
        count = int(acc["count"])
        start = int(bv.get("byteOffset", 0)) + int(acc.get("byteOffset", 0))
        if start + count * n * dtype.itemsize > len(self.bin):
            raise SceneError(f"the scene GLB is truncated: accessor {index} reads past the binary chunk")
        arr = np.frombuffer(self.bin, dtype, count * n, start).copy()
        return arr.reshape(count, n) if n > 1 else arr

    def image(self, index: int) -> np.ndarray:
        from PIL import Image

        img = self.gltf["images"][index]
        with Image.open(io.BytesIO(self.view(int(img["bufferView"])))) as im:
            return np.asarray(im if im.mode in ("RGB", "RGBA") else im.convert("RGBA"), np.uint8).copy()


def _matrix(node: Mapping[str, Any]) -> np.ndarray:
    """A node's local transform, row-major (glTF stores matrices column-major)."""
    if "matrix" in node:
        return np.asarray(node["matrix"], np.float64).reshape(4, 4).T
    T = np.eye(4)
    if "rotation" in node:
        T[:3, :3] = _quat_matrix(node["rotation"])
    if "scale" in node:
        T[:3, :3] = T[:3, :3] @ np.diag(np.asarray(node["scale"], np.float64))
    if "translation" in node:
        T[:3, 3] = np.asarray(node["translation"], np.float64)
    return T


def _quat_matrix(q: Sequence[float]) -> np.ndarray:
    x, y, z, w = (float(v) for v in q)
    n = math.sqrt(x * x + y * y + z * z + w * w) or 1.0
    x, y, z, w = x / n, y / n, z / n, w / n
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def _material(g: _Glb, entry: Mapping[str, Any]) -> Material:
    pbr = entry.get("pbrMetallicRoughness", {})
    base = tuple(float(c) for c in pbr.get("baseColorFactor", (1.0, 1.0, 1.0, 1.0)))
    factor = [float(c) for c in entry.get("emissiveFactor", (0.0, 0.0, 0.0))]
    strength = float(
        entry.get("extensions", {}).get("KHR_materials_emissive_strength", {}).get("emissiveStrength", 1.0)
    )
    # The exporter writes emissive / peak and the peak as the strength; the peak component comes back
    # exactly (factor 1.0), the others within an ulp.
    emissive = tuple(strength if c == 1.0 else c * strength for c in factor)
    texture = None
    if "baseColorTexture" in pbr:
        tex = g.gltf["textures"][int(pbr["baseColorTexture"]["index"])]
        texture = g.image(int(tex["source"]))
    return Material(
        str(entry.get("name", "")),
        cast(tuple[float, float, float, float], base),
        float(pbr.get("roughnessFactor", 1.0)),
        float(pbr.get("metallicFactor", 1.0)),
        cast(tuple[float, float, float], emissive),
        bool(entry.get("extras", {}).get("emissive_at_night_only", False)),
        texture,
    )


def _primitive(g: _Glb, mesh_index: int) -> Mapping[str, Any]:
    prims = g.gltf["meshes"][mesh_index]["primitives"]
    if len(prims) != 1:
        raise SceneError(f"glTF mesh {mesh_index} has {len(prims)} primitives; vpbridge writes one per mesh")
    return cast(Mapping[str, Any], prims[0])


def _mesh(g: _Glb, name: str, extras: Mapping[str, Any], mesh_index: int, instances: Any) -> Mesh:
    prim = _primitive(g, mesh_index)
    attrs = prim["attributes"]
    positions = g.accessor(attrs["POSITION"]).astype(np.float32, copy=False)
    normals = (
        g.accessor(attrs["NORMAL"]).astype(np.float32, copy=False)
        if "NORMAL" in attrs
        else np.zeros_like(positions)
    )
    indices = (
        g.accessor(prim["indices"]).astype(np.uint32, copy=False).reshape(-1, 3)
        if "indices" in prim
        else np.arange(len(positions), dtype=np.uint32).reshape(-1, 3)
    )
    return Mesh(
        name,
        str(extras.get("label", "unknown")),
        positions,
        normals,
        indices,
        int(prim.get("material", 0)),
        uvs=g.accessor(attrs["TEXCOORD_0"]).astype(np.float32, copy=False) if "TEXCOORD_0" in attrs else None,
        colors=g.accessor(attrs["COLOR_0"])[:, :3].astype(np.float32, copy=False)
        if "COLOR_0" in attrs
        else None,
        instances=instances,
        object_id=int(extras.get("object_id", 0)),
        collider=bool(extras.get("collider", True)),
    )


def _points(g: _Glb, name: str, extras: Mapping[str, Any], mesh_index: int) -> PointCloud:
    attrs = _primitive(g, mesh_index)["attributes"]

    def opt(key: str) -> np.ndarray | None:
        return g.accessor(attrs[key]).astype(np.float32, copy=False) if key in attrs else None

    positions = g.accessor(attrs["POSITION"]).astype(np.float32, copy=False)
    colors = opt("COLOR_0")
    kind: Literal["points", "splats"] = "splats" if extras.get("kind") == "splats" else "points"
    return PointCloud(
        name,
        str(extras.get("label", "scan")),
        positions,
        colors[:, :3] if colors is not None else np.full((len(positions), 3), 0.7, np.float32),
        kind,
        opt("_OPACITY"),
        opt("_SCALE"),
        opt("_ROTATION"),
        float(extras.get("point_size_m", 0.02)),
        int(extras.get("object_id", 0)),
    )


def _provenance(p: Mapping[str, Any]) -> Provenance:
    return Provenance(
        str(p.get("builder", "unknown")),
        str(p.get("builder_version", "")),
        str(p.get("prompt", "")),
        int(p.get("seed", 0)),
        p.get("model_id"),
        [(str(s.get("path", "")), str(s.get("sha256", ""))) for s in p.get("sources", [])],
        [str(w) for w in p.get("unused_words", [])],
        [str(n) for n in p.get("notes", [])],
    )


def _angle_diff(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


def _environment(
    g: _Glb, extras: Mapping[str, Any], sun: Mapping[str, Any] | None, sun_node: Mapping[str, Any] | None,
    man: Mapping[str, Any], builder: str, notes: list[str],
) -> Environment:  # fmt: skip
    e = extras.get("environment", {})
    me = man.get("environment", {}) if man else {}
    weather = str(e.get("weather", me.get("weather", "clear")))
    env = Environment(
        time_of_day_h=float(e.get("time_of_day_h", 14.0)),
        weather=cast(Any, weather),
        sky=cast(Any, str(e.get("sky", "analytic"))),
        fog_density=float(e.get("fog_density", 0.002)),
        exposure_ev=float(e.get("exposure_ev", 0.0)),
    )
    if "latitude_deg" in e or "latitude_deg" in me:
        env.latitude_deg = float(e.get("latitude_deg", me.get("latitude_deg")))
    else:
        notes.append(f"latitude not in the manifest: assumed {env.latitude_deg:g}°")
    if sun is not None:
        env.sun_color = cast(
            tuple[float, float, float], tuple(float(c) for c in sun.get("color", env.sun_color))
        )
        env.sun_intensity = float(sun.get("intensity", env.sun_intensity))
    if "turbidity" in e or "turbidity" in me:
        env.turbidity = float(e.get("turbidity", me.get("turbidity")))
    elif builder == _PROCEDURAL:
        env.turbidity = 2.5 if weather == "clear" else 6.0  # environment_from_spec's rule
        notes.append(f"turbidity not in the GLB: {env.turbidity:g} from the procedural builder's rule")
    else:
        notes.append(f"turbidity not in the GLB: assumed the default {env.turbidity:g}")
    # The sun: pinned angles (when they differ from the time-of-day model), and north from the sun node
    # (GLBs exported before north_deg was written).
    north_known = "north_deg" in e
    if north_known:
        env.north_deg = float(e["north_deg"])
    az, el = e.get("sun_azimuth_deg"), e.get("sun_elevation_deg")
    if az is not None and el is not None:
        model_az, model_el = env.sun_angles_deg()
        if _angle_diff(float(az), model_az) > 0.01 or abs(float(el) - model_el) > 0.01:
            env.sun_azimuth_deg, env.sun_elevation_deg = float(az), float(el)
            notes.append("the sun is pinned (angles to 1e-4°); a live time_of_day unpins it as on the server")
        if not north_known and sun_node is not None and "rotation" in sun_node:
            d = _quat_matrix(sun_node["rotation"])[:, 2]  # the node's -Z points away from the sun
            if math.hypot(d[0], d[2]) > 1e-6:
                north = (math.degrees(math.atan2(d[0], -d[2])) - float(az) + 180.0) % 360.0 - 180.0
                env.north_deg = 0.0 if abs(north) < 5e-3 else round(north, 3)
                if env.north_deg:
                    notes.append(f"north {env.north_deg:g}° derived from the sun's direction (±0.001°)")
    if "panorama_image" in e:
        env.panorama = g.image(int(e["panorama_image"]))
    return env


def scene_from_glb(glb: bytes, manifest: Mapping[str, Any] | None = None) -> tuple[Scene, list[str]]:
    """The `Scene` a vpbridge GLB (`bridge.world.export_glb`) was written from, and notes on what was
    inferred. GLBs from other tools go through the generic mesh importer (meshes and base colours)."""
    g = _Glb(glb)
    man = manifest or {}
    notes: list[str] = []
    if not str(g.gltf.get("asset", {}).get("generator", "")).startswith("vpbridge"):
        return _foreign(glb, notes)
    gl = g.gltf
    top = gl["scenes"][int(gl.get("scene", 0))]
    extras = top.get("extras", {})
    prov = _provenance(extras.get("provenance", {}))
    scene = Scene(
        str(extras.get("name", top.get("name", "scene"))),
        prov,
        materials=[_material(g, m) for m in gl.get("materials", [])],
        version=int(extras.get("version", 1)),
        description=str(extras.get("description", "")),
    )
    nodes = gl.get("nodes", [])
    lights_def = gl.get("extensions", {}).get("KHR_lights_punctual", {}).get("lights", [])
    sun: Mapping[str, Any] | None = None
    sun_node: Mapping[str, Any] | None = None
    for root_index in top.get("nodes", []):
        root = nodes[root_index]
        rx = root.get("extras", {})
        kids = [nodes[k] for k in root.get("children", [])]
        name = str(root.get("name", ""))
        if rx.get("colliders"):
            for k in kids:
                prim = _primitive(g, int(k["mesh"]))
                v = g.accessor(prim["attributes"]["POSITION"]).astype(np.float32, copy=False)
                f = g.accessor(prim["indices"]).astype(np.int64).reshape(-1, 3)
                scene.colliders.append(
                    Collider(str(k.get("name", "")), str(k.get("extras", {}).get("label", "")), v, f)
                )
        elif "object_id" in rx and "mesh" in root:
            prim = _primitive(g, int(root["mesh"]))
            if prim.get("mode", 4) == 0:
                scene.point_clouds.append(_points(g, name, rx, int(root["mesh"])))
            else:
                scene.meshes.append(_mesh(g, name, rx, int(root["mesh"]), None))
        elif "object_id" in rx and "instances" in rx:
            mats = [_matrix(k) for k in kids]
            inst = np.stack(mats).astype(np.float32) if mats else np.zeros((0, 4, 4), np.float32)
            if not kids:
                notes.append(f"mesh {name!r} has no instances and was skipped")
                continue
            scene.meshes.append(_mesh(g, name, rx, int(kids[0]["mesh"]), inst))
        elif name == "bookmarks" or any("camera" in k for k in kids):
            for k in kids:
                kx = k.get("extras", {})
                cam = gl["cameras"][int(k["camera"])] if "camera" in k else {}
                fov = kx.get("fov_y_deg")
                if fov is None:
                    fov = math.degrees(float(cam.get("perspective", {}).get("yfov", math.radians(60.0))))
                scene.bookmarks.append(
                    Bookmark(
                        str(k.get("name", "")),
                        _matrix(k),
                        float(fov),
                        cast(Any, str(kx.get("kind", "bookmark"))),
                        str(kx.get("description", "")),
                        float(kx["at_s"]) if kx.get("at_s") is not None else None,
                    )
                )
        elif name == "lights" or any("KHR_lights_punctual" in k.get("extensions", {}) for k in kids):
            for k in kids:
                li = k.get("extensions", {}).get("KHR_lights_punctual", {}).get("light")
                if li is None:
                    continue
                d = lights_def[int(li)]
                if d.get("type") == "directional":
                    sun, sun_node = d, k
                    continue
                T = _matrix(k)
                spot = d.get("spot", {})
                scene.lights.append(
                    Light(
                        str(d.get("name", k.get("name", ""))),
                        cast(Any, "spot" if d.get("type") == "spot" else "point"),
                        cast(
                            tuple[float, float, float],
                            tuple(float(x) for x in k.get("translation", (0, 0, 0))),
                        ),
                        cast(tuple[float, float, float], tuple(float(x) for x in -T[:3, 2])),
                        cast(tuple[float, float, float], tuple(float(c) for c in d.get("color", (1, 1, 1)))),
                        float(d.get("intensity", 1.0)),
                        float(d.get("range", 20.0)),
                        math.degrees(float(spot.get("outerConeAngle", math.radians(22.5)))) * 2.0,
                        bool(k.get("extras", {}).get("at_night_only", False)),
                    )
                )
    scene.environment = _environment(g, extras, sun, sun_node, man, prov.builder, notes)
    for mesh in scene.meshes:
        if not 0 <= mesh.material < len(scene.materials):
            raise SceneError(
                f"mesh {mesh.name!r} in the scene GLB names material {mesh.material}, which is missing"
            )
    if not scene.meshes and not scene.point_clouds:
        raise SceneError("the scene GLB holds no meshes or points")
    return scene, notes


def _foreign(glb: bytes, notes: list[str]) -> tuple[Scene, list[str]]:
    """A GLB another tool wrote: the generic importer (meshes and base colours; framing bookmarks)."""
    from bridge.world.importers import import_file

    with tempfile.TemporaryDirectory(prefix="vpbridge-scene-") as tmp:
        path = Path(tmp) / "scene.glb"
        path.write_bytes(glb)
        scene = import_file(path)
    notes.append("not a vpbridge GLB: imported generically (meshes and base colours only)")
    return scene, notes
