"""`vpbridge render-path`: a planned path becomes an MP4 with the expected frame count, size and fps."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

import bridge.world as world
from bridge.cli import main
from bridge.motion import Planner


@pytest.fixture(scope="module")
def path_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scene = world.build_scene(world.load_spec("studio_set"))
    a, b = scene.bookmarks[0].name, scene.bookmarks[1].name
    path = Planner(scene).plan(a, b, preset="fast")
    out = tmp_path_factory.mktemp("path") / "path.json"
    out.write_text(path.to_json())
    return out


def test_clip_decodes_with_the_paths_frame_count_size_and_fps(path_json: Path, tmp_path: Path) -> None:
    from bridge.motion import CameraPath

    expected = len(CameraPath.from_json(path_json.read_text()).poses(10))
    clip = tmp_path / "clip.mp4"
    args = ["render-path", "studio_set", "--path", str(path_json), "--fps", "10", "--size", "96x64"]
    assert main([*args, "--png-dir", str(tmp_path / "png"), "-o", str(clip)]) == 0
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        assert (stream.average_rate, stream.width, stream.height) == (10, 96, 64)
    assert len(frames) == expected
    assert len(list((tmp_path / "png").glob("*.png"))) == expected


@pytest.mark.parametrize(
    ("extra", "needle"),
    [(["--fps", "0"], "--fps"), (["--look", "sepia"], "--look"), (["--shots", "spawn"], "--shots")],
)
def test_bad_arguments_name_the_option(
    extra: list[str], needle: str, path_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["render-path", "studio_set", "-o", str(tmp_path / "c.mp4")]
    src = [] if "--shots" in extra else ["--path", str(path_json)]
    assert main([*base, *src, *extra]) == 1
    assert needle in capsys.readouterr().err
