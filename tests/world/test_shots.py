"""A spec's `[[shots]]` become the perspectives viewers are offered, optionally on a timeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import bridge.world as world
from bridge.client_sync import Client
from bridge.errors import ConfigError
from bridge.server import ServerConfig, ServerThread

SHOTS = """
[[shots]]
name = "door"
eye = [0.0, 1.6, 3.0]
look_at = [0.0, 1.2, -2.0]
at_s = 0.0

[[shots]]
name = "top_down"
eye = [0.5, 2.6, 0.5]
look_at = [0.0, 0.0, 0.0]
fov_y_deg = 75.0
at_s = 12.5
description = "top-down on the set"
"""


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = world.load_spec("studio_set")
    path = tmp_path_factory.mktemp("spec") / "studio_shots.toml"
    world.save_spec(base, path)
    path.write_text(path.read_text() + SHOTS)
    return path


def test_declared_shots_replace_the_builders_shots_with_their_poses(spec_path: Path) -> None:
    scene = world.build_scene(world.load_spec(spec_path))
    shots = [b for b in scene.bookmarks if b.kind == "shot"]
    assert [(b.name, b.at_s) for b in shots] == [("door", 0.0), ("top_down", 12.5)]
    door = shots[0].T_world_camera
    assert np.allclose(door[:3, 3], (0.0, 1.6, 3.0))
    forward = -door[:3, 2]
    expected = np.array([0.0, -0.4, -5.0]) / np.linalg.norm([0.0, -0.4, -5.0])
    assert np.allclose(forward, expected, atol=1e-9)
    assert any(b.kind == "spawn" for b in scene.bookmarks), "the spawn point stays"
    manifest = world.manifest(scene)
    assert [b.get("at_s") for b in manifest["bookmarks"] if b["kind"] == "shot"] == [0.0, 12.5]


def test_shots_round_trip_through_toml(spec_path: Path, tmp_path: Path) -> None:
    spec = world.load_spec(spec_path)
    world.save_spec(spec, tmp_path / "again.toml")
    assert world.load_spec(tmp_path / "again.toml").shots == spec.shots


@pytest.mark.parametrize(
    ("shot", "needle"),
    [
        ('name = "a"\neye = [0, 1, 2]\nlook_at = [0, 1, 2]', "must differ"),
        ('name = "a"\neye = [0, 1]\nlook_at = [0, 1, 2]', "three numbers"),
        ('name = "a"\neye = [0, 1, 2]\nlook_at = [0, 1, 0]\nat_s = -1', "at_s"),
    ],
)
def test_bad_shots_are_named(shot: str, needle: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    world.save_spec(world.load_spec("studio_set"), path)
    path.write_text(path.read_text() + f"\n[[shots]]\n{shot}\n")
    with pytest.raises(ConfigError, match=needle):
        world.load_spec(path)


def test_viewers_are_offered_the_declared_shots_with_their_times(spec_path: Path) -> None:
    scene = world.build_scene(world.load_spec(spec_path))
    with ServerThread(ServerConfig(port=0, history_path=None), scene=scene) as srv:
        with Client(srv.endpoints["control"], follow_state=False) as c:
            offered = c.open_stream(width=32, height=24).perspectives()
    assert [(p.name, p.at_s) for p in offered.perspectives] == [("door", 0.0), ("top_down", 12.5)]


def test_a_shot_named_like_a_builder_bookmark_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "clash.toml"
    world.save_spec(world.load_spec("studio_set"), path)
    path.write_text(
        path.read_text() + '\n[[shots]]\nname = "overhead"\neye = [0, 2, 1]\nlook_at = [0, 0, 0]\n'
    )
    with pytest.raises(ConfigError, match="overhead.*rename"):
        world.build_scene(world.load_spec(path))
