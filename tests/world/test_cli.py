"""`vpbridge generate` and `vpbridge scenes` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from bridge.cli import main


def test_scenes_lists_each_shipped_spec_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenes"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) >= 4 and any(line.startswith("neon_city") and "night" in line for line in out)


def test_generate_from_a_prompt_writes_glb_and_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "set.glb"
    assert (
        main(
            [
                "generate",
                "small neon city at night with dragons",
                "--seed",
                "3",
                "-o",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "triangles:" in text and "time:" in text and "provenance:" in text and "dragons" in text
    assert trimesh.load(out).geometry
    man = json.loads(out.with_suffix(".json").read_text())
    assert man["provenance"]["seed"] == 3 and man["provenance"]["unused_words"] == ["dragons"]


def test_generate_with_spec_sketch_image_and_scan(tmp_path: Path) -> None:
    sketch = np.full((40, 40, 3), 128, np.uint8)
    sketch[18:22] = 0
    Image.fromarray(sketch).save(tmp_path / "s.png")
    Image.fromarray(np.tile(np.array([[[200, 120, 40]]], np.uint8), (32, 32, 1))).save(tmp_path / "i.png")
    out = tmp_path / "a.glb"
    assert (
        main(
            [
                "generate",
                "city",
                "--sketch",
                str(tmp_path / "s.png"),
                "--image",
                str(tmp_path / "i.png"),
                "-o",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    man = json.loads(out.with_suffix(".json").read_text())
    assert man["provenance"]["sources"][0]["path"].endswith("s.png")
    assert main(["generate", "--spec", "studio_set", "-o", str(tmp_path / "b.glb"), "--no-progress"]) == 0
    trimesh.creation.box().export(tmp_path / "box.obj")
    assert (
        main(
            ["generate", "--scan", str(tmp_path / "box.obj"), "-o", str(tmp_path / "c.glb"), "--no-progress"]
        )
        == 0
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["generate", "-o", "x.glb"], "nothing to build"),
        (["generate", "city", "-o", "x.png"], "must end in .glb"),
        (["generate", "--spec", "atlantis", "-o", "x.glb"], "no scene spec named 'atlantis'"),
        (["generate", "city", "--spec", "neon_city", "-o", "x.glb"], "not both"),
        (["generate", "--scan", "missing.ply", "-o", "x.glb"], "does not exist"),
    ],
)
def test_bad_arguments_give_a_one_line_error(argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("vpbridge generate: error:")


def test_progress_bar_draws_to_stderr_when_forced() -> None:
    import io

    from bridge.cli.generate import ProgressBar

    buf = io.StringIO()
    bar = ProgressBar(width=10, stream=buf, enabled=True)
    bar(0.5, "windows")
    bar.close()
    assert "[#####-----]" in buf.getvalue() and "windows" in buf.getvalue()
