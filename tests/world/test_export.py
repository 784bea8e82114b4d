"""GLB export re-read by trimesh and parsed as glTF JSON: labels in node extras, bookmarks as
cameras, colliders, lights; and the manifest."""

from __future__ import annotations

import io
import json
import struct
from typing import Any

import numpy as np
import pytest
import trimesh

from bridge.errors import SceneError
from bridge.world import Material, Provenance, Scene, export_glb, manifest


def _gltf_json(glb: bytes) -> dict[str, Any]:
    magic, version, length = struct.unpack_from("<4sII", glb, 0)
    assert (magic, version, length) == (b"glTF", 2, len(glb))
    n, kind = struct.unpack_from("<I4s", glb, 12)
    assert kind == b"JSON" and n % 4 == 0
    bin_len, bin_kind = struct.unpack_from("<I4s", glb, 20 + n)
    assert bin_kind == b"BIN\0" and 28 + n + bin_len == len(glb)
    doc: dict[str, Any] = json.loads(glb[20 : 20 + n])
    return doc


def test_glb_is_read_back_by_trimesh_with_every_triangle(neon_city: Scene) -> None:
    glb = export_glb(neon_city)
    loaded = trimesh.load(io.BytesIO(glb), file_type="glb")
    collider_tris = sum(len(c.faces) for c in neon_city.colliders)
    assert sum(len(g.faces) for g in loaded.dump()) == neon_city.triangle_count + collider_tris


def test_glb_nodes_carry_labels_and_bookmarks_are_cameras(neon_city: Scene) -> None:
    doc = _gltf_json(export_glb(neon_city))
    labelled = {
        n["name"]: n["extras"]["label"]
        for n in doc["nodes"]
        if "mesh" in n or "children" in n
        if "label" in n.get("extras", {})
    }
    assert all(labelled[m.name] == m.label for m in neon_city.meshes)
    cams = [n for n in doc["nodes"] if "camera" in n]
    assert sorted(n["name"] for n in cams) == sorted(b.name for b in neon_city.bookmarks)
    spawn = next(n for n in cams if n["name"] == "spawn")
    assert spawn["extras"]["kind"] == "spawn"
    assert np.allclose(np.array(spawn["matrix"]).reshape(4, 4).T, neon_city.bookmark("spawn").T_world_camera)
    assert sum(
        1 for n in doc["nodes"] if n.get("extras", {}).get("role") == "collider" and "mesh" in n
    ) == len(neon_city.colliders)
    lights = doc["extensions"]["KHR_lights_punctual"]["lights"]
    assert lights[0]["type"] == "directional" and len(lights) == 1 + len(neon_city.lights)
    assert doc["scenes"][0]["extras"]["provenance"]["seed"] == neon_city.provenance.seed


def test_glb_accessors_and_views_are_consistent(neon_city: Scene) -> None:
    """The structural rules a glTF validator checks first: bounds, alignment, counts, index ranges."""
    glb = export_glb(neon_city)
    doc = _gltf_json(glb)
    size = {5126: 4, 5125: 4}
    width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
    assert doc["buffers"][0]["byteLength"] % 4 == 0
    for acc in doc["accessors"]:
        view = doc["bufferViews"][acc["bufferView"]]
        assert view["byteOffset"] % 4 == 0
        assert acc["count"] * width[acc["type"]] * size[acc["componentType"]] == view["byteLength"]
        assert view["byteOffset"] + view["byteLength"] <= doc["buffers"][0]["byteLength"]
    for mesh in doc["meshes"]:
        for prim in mesh["primitives"]:
            pos = doc["accessors"][prim["attributes"]["POSITION"]]
            assert "min" in pos and "max" in pos
            for acc_i in prim["attributes"].values():
                assert doc["accessors"][acc_i]["count"] == pos["count"]
    for key in ("materials", "meshes", "nodes", "cameras", "accessors", "bufferViews"):
        assert doc[key], key  # glTF forbids empty arrays


def test_glb_loads_in_an_independent_gltf_reader(neon_city: Scene) -> None:
    pygltflib = pytest.importorskip("pygltflib")
    gltf = pygltflib.GLTF2.load_from_bytes(export_glb(neon_city))
    assert len(gltf.cameras) == len(neon_city.bookmarks)
    assert gltf.extensionsUsed and "KHR_lights_punctual" in gltf.extensionsUsed


def test_manifest_lists_objects_labels_bounds_bookmarks_and_provenance(neon_city: Scene) -> None:
    man = manifest(neon_city)
    json.dumps(man, allow_nan=False)
    assert man["triangles"] == neon_city.triangle_count
    assert len(man["objects"]) == len(neon_city.meshes) and {o["id"] for o in man["objects"]} == {
        m.object_id for m in neon_city.meshes
    }
    assert man["labels"]["window"] >= 1
    lo, hi = np.array(man["bounds"]["min"]), np.array(man["bounds"]["max"])
    assert np.all(hi - lo > 50)
    assert [b["name"] for b in man["bookmarks"]] == [b.name for b in neon_city.bookmarks]
    assert man["provenance"]["builder"] == "vpbridge.procedural" and man["environment"]["weather"] == "rain"


def test_textures_and_hdr_emission_survive_export() -> None:
    scene = Scene("t", Provenance("test"))
    tex = np.zeros((8, 8, 3), np.uint8)
    tex[::2] = 255
    mi = scene.add_material(Material("m", emissive=(4.0, 2.0, 0.0), base_color_texture=tex))
    from bridge.world.procedural.common import add_part
    from bridge.world.procedural.geom import boxes

    add_part(scene, "box", "prop", boxes([[0, 0, 0]], [[1, 1, 1]]), mi)
    doc = _gltf_json(export_glb(scene))
    mat = doc["materials"][0]
    assert mat["extensions"]["KHR_materials_emissive_strength"]["emissiveStrength"] == 4.0
    assert (
        mat["pbrMetallicRoughness"]["baseColorTexture"]["index"] == 0
        and doc["images"][0]["mimeType"] == "image/png"
    )
    loaded = trimesh.load(io.BytesIO(export_glb(scene)), file_type="glb")
    assert len(loaded.geometry) == 1


def test_exporting_an_empty_scene_is_a_clear_error() -> None:
    with pytest.raises(SceneError, match="no meshes"):
        export_glb(Scene("empty", Provenance("test")))
