"""The server serves its scene as GLB chunks + manifest and builds new scenes live, with progress."""

from __future__ import annotations

import hashlib
import io

import pytest
import trimesh

import bridge.world as world
from bridge.client_sync import Client
from bridge.errors import RemoteError
from bridge.protocol import GetSceneChunk
from bridge.server import ServerConfig, ServerThread


@pytest.fixture(scope="module")
def studio() -> world.Scene:
    return world.build_scene(world.load_spec("studio_set"))


@pytest.fixture
def scene_server(studio: world.Scene):  # type: ignore[no-untyped-def]
    with ServerThread(ServerConfig(port=0), scene=studio) as srv:
        yield srv


def test_get_scene_returns_the_exported_glb_and_manifest_in_chunks(scene_server, studio) -> None:  # type: ignore[no-untyped-def]
    with Client(scene_server.endpoints["control"], follow_state=False) as c:
        glb, manifest = c.get_scene(chunk_bytes=16384)
    assert hashlib.sha256(glb).digest() == hashlib.sha256(world.export_glb(studio)).digest()
    assert manifest["name"] == studio.name and manifest["triangles"] == studio.triangle_count
    loaded = trimesh.load(io.BytesIO(glb), file_type="glb")
    assert len(loaded.geometry) > 0


def test_generate_builds_reports_progress_and_switches_every_client(scene_server) -> None:  # type: ignore[no-untyped-def]
    ep = scene_server.endpoints["control"]
    with Client(ep, role="director", name="dana") as director, Client(ep, name="vic") as viewer:
        seen: list[float] = []
        viewer.inner.on_state.append(
            lambda msg: seen.extend(
                v for k, v in msg.values.items() if k.endswith(".progress") and isinstance(v, float)
            )
        )
        v0 = viewer.inner.scene_version
        job = director.generate(prompt="desert canyon at sunset", seed=7, timeout=120)
        viewer.wait_state(lambda s: s.get(f"job.{job}.stage") == "done", timeout=30)
        assert viewer.inner.scene_version == v0 + 1
        assert "canyon" in str(viewer.state["scene.name"])
        assert seen and seen[-1] == 1.0 and seen == sorted(seen), "progress rises to 1"
        _, manifest = viewer.get_scene()
        assert manifest["version"] == v0 + 1 and "canyon" in manifest["name"]


def test_generate_is_for_directors_and_bad_specs_fail_with_a_reason(scene_server) -> None:  # type: ignore[no-untyped-def]
    ep = scene_server.endpoints["control"]
    with Client(ep, name="vic") as viewer:
        with pytest.raises(RemoteError) as err:
            viewer.generate(prompt="a city")
        assert err.value.code == "FORBIDDEN"
    with Client(ep, role="director") as director:
        with pytest.raises(RemoteError, match="spec_toml"):
            director.generate(spec_toml="place = 'moon base'\nnot toml = = =", timeout=30)
        with pytest.raises(RemoteError, match="may not name files"):
            director.generate(spec_toml='place = "city"\nsketch = "/etc/passwd"', timeout=30)


def test_chunk_of_an_old_scene_version_is_a_conflict(scene_server) -> None:  # type: ignore[no-untyped-def]
    with Client(scene_server.endpoints["control"], role="director") as c:
        c.generate(spec="studio_set", seed=3, timeout=60)
        with pytest.raises(RemoteError) as err:
            c.request(GetSceneChunk(rid=0, scene_version=0, index=0))
        assert err.value.code == "CONFLICT" and err.value.field == "$.scene_version"


def test_testpattern_server_has_no_scene(srv) -> None:  # type: ignore[no-untyped-def]
    with Client(srv.endpoints["control"], follow_state=False) as c, pytest.raises(RemoteError) as err:
        c.get_scene()
    assert err.value.code == "NOT_FOUND" and "--scene" in err.value.hint
