"""Sketch -> layout -> built set, and an image prompt's palette and horizon."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bridge.errors import SceneError
from bridge.world import WorldSpec, build_scene
from bridge.world.procedural.layout import (
    BUILDING,
    ROAD,
    SIDEWALK,
    VEGETATION,
    WATER,
    image_hints,
    sketch_layout,
)


def _sketch(path: Path) -> Path:
    img = np.full((80, 80, 3), 255, np.uint8)
    img[:, 36:44] = 0  # a road running north-south
    img[36:44, :] = 0  # and one east-west
    img[4:32, 4:32] = 128  # a building block in the north-west
    img[48:76, 4:32] = (40, 160, 40)  # a park in the south-west
    img[48:76, 48:76] = (40, 90, 220)  # a pond in the south-east
    img[4:32, 48:76] = (120, 120, 120)  # another block (slightly off-grey still reads as building)
    Image.fromarray(img).save(path)
    return path


def test_sketch_colours_become_layout_classes_with_sidewalks(tmp_path: Path) -> None:
    layout = sketch_layout(_sketch(tmp_path / "s.png"), 2.0)
    c = layout.cells
    assert layout.size_m == (160.0, 160.0)
    assert c[60, 40] == ROAD and c[60, 10] == VEGETATION and c[60, 60] == WATER
    assert c[15, 15] == BUILDING and c[15, 60] == BUILDING
    assert c[4, 15] == SIDEWALK  # the edge of a block is a sidewalk


def test_sketch_builds_buildings_only_where_grey_and_water_where_blue(tmp_path: Path) -> None:
    spec = WorldSpec(name="sketched", sketch=str(_sketch(tmp_path / "s.png")), sketch_m_per_px=2.0, seed=1)
    scene = build_scene(spec)
    labels = {m.label for m in scene.meshes}
    assert {"building", "road", "water", "vegetation", "tree"} <= labels
    buildings = next(m for m in scene.meshes if m.name == "buildings")
    xz = buildings.positions[:, [0, 2]]
    assert xz[:, 0].max() < 80 and xz[:, 1].max() < 0.5  # all buildings in the two northern blocks (z < 0)
    assert scene.provenance.sources[0][0] == spec.sketch
    assert scene.bookmark("spawn").T_world_camera[1, 3] == pytest.approx(1.7)


def test_image_prompt_gives_palette_and_horizon(tmp_path: Path) -> None:
    img = np.zeros((100, 160, 3), np.uint8)
    img[:30] = (90, 150, 230)  # sky above a horizon 30% down
    img[30:] = (120, 70, 30)
    Image.fromarray(img).save(tmp_path / "ref.png")
    colors, horizon = image_hints(tmp_path / "ref.png")
    rgb = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in colors]
    assert np.abs(np.array(rgb[0]) - (120, 70, 30)).max() <= 4  # the dominant colour comes first
    assert any(np.abs(np.array(c) - (90, 150, 230)).max() <= 4 for c in rgb)
    assert horizon == pytest.approx(0.3, abs=0.03)


def test_unreadable_sketch_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "sketch.png"
    bad.write_text("not an image")
    with pytest.raises(SceneError, match=r"sketch.*sketch\.png"):
        sketch_layout(bad, 2.0)
