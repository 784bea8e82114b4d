"""The runnable examples under docs/examples/ run and print what their docstrings promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "docs" / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_and_is_short(path: Path, tmp_path: Path) -> None:
    assert len(path.read_text().splitlines()) <= 40, "examples stay under 40 lines"
    r = subprocess.run(
        [sys.executable, str(path), str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr


def test_credits_example_shows_newest_pose_wins(tmp_path: Path) -> None:
    path = next(p for p in EXAMPLES if p.name.startswith("02_"))
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120).stdout
    assert "first frame for pose 1" in out and "next frame for pose 10" in out and "no third frame" in out
