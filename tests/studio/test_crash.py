"""Crash safety: every version acknowledged before a SIGKILL is on disk after reopening."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bridge.studio import History

ROOT = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent(
    """
    import sys, time
    from bridge.studio import History

    h = History(sys.argv[1])
    deadline = time.monotonic() + 60
    i = 0
    while time.monotonic() < deadline:  # until killed
        i += 1
        v = h.commit({"seed": i, "exposure_ev": (i % 200) / 20 - 5}, "writer", f"edit {i}")
        print(v.id, i, flush=True)  # printed only after commit returned: acknowledged
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_every_acknowledged_version_survives_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    acked: dict[int, int] = {}
    deadline = time.monotonic() + 60
    try:
        assert proc.stdout is not None
        while len(acked) < 300 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            vid, i = map(int, line.split())
            acked[vid] = i
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert len(acked) >= 300, f"writer acknowledged only {len(acked)} versions"
    with History(db) as h:
        for vid, i in acked.items():
            v = h.get(vid)
            assert v.values["seed"] == i and v.values["exposure_ev"] == (i % 200) / 20 - 5
            assert v.message == f"edit {i}"
        assert h.head.id >= max(acked)
        chain = {v.id for v in h.log(limit=len(acked) + 1000)}
        assert set(acked) <= chain  # every acknowledged version is on main's first-parent chain
