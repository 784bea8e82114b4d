"""The default city end to end: a blocked route across it keeps the clearance; `vpbridge plan` writes
replayable JSON and answers bad arguments with one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bridge.cli import main
from bridge.motion import PRESETS, CameraPath, Planner
from bridge.world import Scene, build_scene, load_spec

from .helpers import derivatives, min_clearance


@pytest.fixture(scope="module")
def city() -> Scene:
    return build_scene(load_spec("neon_city"))


def test_city_route_through_blocks_keeps_clearance_and_limits(city: Scene) -> None:
    planner = Planner(city)
    path = planner.plan("spawn", (-8.5, 1.7, -80.0), preset="fast")  # straight line runs through buildings
    assert not planner.last_stats["straight"]
    d = derivatives(path, fps=50)
    assert min_clearance(city, d["pos"]) >= planner.clearance
    assert d["speed"].max() <= PRESETS["fast"].max_speed and d["accel"].max() <= PRESETS["fast"].max_accel


def test_cli_plan_writes_poses_with_timestamps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "path.json"
    assert main(["plan", "neon_city", "--from", "spawn", "--to", "intersection", "-o", str(out)]) == 0
    assert "path" in capsys.readouterr().out
    data = json.loads(out.read_text())
    t = [p["t"] for p in data["poses"]]
    assert (
        t[0] == 0.0
        and all(b > a for a, b in zip(t, t[1:], strict=False))
        and len(data["poses"][0]["T_world_camera"]) == 4
    )
    path = CameraPath.from_json(data)
    assert np.allclose(path.sample(path.duration)[0][:3, 3], [-5.5, 1.7, 2.5], atol=1e-5)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "spawn", "--to", "nowhere"], "no bookmark 'nowhere'"),
        (["--from", "1,2", "--to", "spawn"], "three comma-separated numbers"),
        (["--from", "spawn", "--to", "0,0.1,0"], "clearance"),
    ],
)
def test_cli_plan_bad_arguments_give_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["plan", "neon_city", *args, "-o", str(tmp_path / "p.json")]) != 0
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
