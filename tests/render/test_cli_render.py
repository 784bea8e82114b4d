"""`vpbridge render`: a still with depth and labels from a shipped spec; bad arguments are one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bridge.cli import main


def test_render_writes_colour_depth_and_labels_of_a_shipped_scene(tmp_path: Path) -> None:
    out, depth, labels = tmp_path / "still.png", tmp_path / "d.npy", tmp_path / "labels.png"
    rc = main(
        ["render", "studio_set", "--eye", "0,1.6,3", "--look-at", "0,1.2,0", "--size", "96x64"]
        + [
            "--look",
            "noir",
            "--time-of-day",
            "20:15",
            "--depth",
            str(depth),
            "--labels",
            str(labels),
            "-o",
            str(out),
        ]
    )
    assert rc == 0
    with Image.open(out) as im:
        img = np.asarray(im)
    assert img.shape == (64, 96, 3)
    assert np.array_equal(img[..., 0], img[..., 2])  # noir: no saturation
    d = np.load(depth)
    assert d.shape == (64, 96) and np.isfinite(d).any()
    with Image.open(labels) as lab:
        assert lab.mode == "P" and labels.with_suffix(".txt").exists()


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--size", "big"], "--size"),
        (["--time-of-day", "25:00"], "--time-of-day"),
        (["--look", "sepia"], "--look"),
    ],
)
def test_bad_arguments_fail_with_one_line_naming_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], named: str
) -> None:
    rc = main(
        [
            "render",
            "studio_set",
            "--eye",
            "0,1,3",
            "--look-at",
            "0,1,0",
            "-o",
            str(tmp_path / "x.png"),
            *extra,
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1 and named in err[0]
