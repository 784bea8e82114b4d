"""The `vpbridge` command: every subcommand has --help with an example; bad arguments give one line."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from bridge import PROTOCOL_VERSION
from bridge.cli import COMMANDS, main
from bridge.server import ServerThread
from bridge.transport.security import load_client_keys, load_keys_file


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge.cli", *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command.replace("_", "-"), "--help"])
    assert exit_.value.code == 0
    assert "Example:" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["serve", "--port", "abc"], "--port"),
        (["serve", "--bind", "0.0.0.0", "--source", "testpattern"], "without keys"),
        (["probe"], "endpoint"),
        (["probe", "not-an-endpoint", "--timeout", "1"], "not-an-endpoint"),
        (["keys", "--add", "x", "--role", "king"], "--role"),
        (["nonsense"], "invalid choice"),
        (["xr", "tcp://127.0.0.1:1", "--stream-credits", "9"], "--stream-credits"),
        (["serve", "--source", "testpattern", "--max-credits", "0"], "max_credits"),
        (["serve", "--source", "testpattern", "--max-credits", "65"], "1..64"),
    ],
)
def test_bad_arguments_give_one_clear_line_not_a_traceback(args: list[str], needle: str) -> None:
    r = _run(*args)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert needle in r.stderr
    assert r.stderr.strip().splitlines()[0].startswith("vpbridge")


def test_keys_creates_server_file_and_client_files_with_roles(tmp_path: Path) -> None:
    kf = tmp_path / "keys.toml"
    assert (
        main(
            ["keys", "--file", str(kf), "--add", "dana", "--role", "director", "-o", str(tmp_path / "d.toml")]
        )
        == 0
    )
    assert main(["keys", "--file", str(kf), "--add", "vic", "-o", str(tmp_path / "v.toml")]) == 0
    keys = load_keys_file(kf)
    assert [(c.name, c.role) for c in keys.clients] == [("dana", "director"), ("vic", "viewer")]
    assert load_client_keys(tmp_path / "d.toml").server_public == keys.server_public
    assert kf.stat().st_mode & 0o077 == 0, "the keys file is private"
    assert main(["keys", "--file", str(kf), "--add", "dana"]) == 1, "duplicate names are refused"


def test_probe_prints_round_trip_and_a_latency_breakdown(capsys: pytest.CaptureFixture[str]) -> None:
    with ServerThread() as srv:
        assert main(["probe", srv.endpoints["control"], "--size", "64x48", "--pings", "3"]) == 0
    out = capsys.readouterr().out
    for needle in (f"protocol {PROTOCOL_VERSION}", "rtt", "64x48", "render", "total"):
        assert needle in out


def test_serve_max_credits_sets_the_frames_a_stream_may_have_in_flight(tmp_path: Path) -> None:
    import json

    import numpy as np

    from bridge.client_sync import Client

    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge.cli", "serve", "--port", "0", "--source", "testpattern",
         "--max-credits", "6", "--ready-file", str(ready)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        with Client(json.loads(ready.read_text())["control"], follow_state=False) as c:
            st = c.open_stream(width=16, height=16)
            assert st.inner.max_credits == 6
            st.grant(64)
            assert st.inner.outstanding == 6, "the client caps its grants at the server's limit"
            pose = np.eye(4)
            ids = []
            for i in range(6):  # six distinct poses, all rendered: six credits were held
                pose[0, 3] = 0.1 * i
                ids.append(st.request(pose))
                time.sleep(0.05)  # each pose is taken before the next replaces it
            got = sorted(st.next_frame(timeout=10).pose_id for _ in range(6))
            assert got == ids
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
