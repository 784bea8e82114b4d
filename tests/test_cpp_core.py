"""The C++ client core builds with CMake and its ctest suite passes against a real `vpbridge serve`;
the example saves a frame. Skipped where a C++ toolchain, cmake or the Debian packages are missing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CPP = ROOT / "engine_plugin" / "cpp"


def _missing_toolchain() -> str | None:
    if shutil.which("cmake") is None or shutil.which("c++") is None:
        return "cmake or a C++ compiler is missing"
    for header in ("zmq.hpp", "msgpack.hpp"):
        if not (Path("/usr/include") / header).exists():
            return f"/usr/include/{header} is missing (apt: cppzmq-dev libmsgpack-cxx-dev)"
    return None


pytestmark = pytest.mark.skipif(_missing_toolchain() is not None, reason=str(_missing_toolchain()))


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cpp-build")
    configure = [
        "cmake", "-S", str(CPP), "-B", str(out), "-DCMAKE_BUILD_TYPE=Release", f"-DVPBRIDGE_PYTHON={sys.executable}",
    ]  # fmt: skip
    subprocess.run(configure, check=True, capture_output=True, text=True, timeout=120)
    # Only what this module runs (bench/clients.py builds bench_client itself): one build, kept short.
    targets = ["--target", "vpbridge_tests", "save_frame", "follow_state"]
    res = subprocess.run(
        ["cmake", "--build", str(out), "-j2", *targets], capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    return out


def test_ctest_passes_against_a_real_server(build: Path) -> None:
    res = subprocess.run(
        ["ctest", "--test-dir", str(build), "-j2", "--output-on-failure", "--timeout", "120"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]
    for group in ("codec", "coords", "live", "scene", "curve"):
        assert f" {group} " in res.stdout


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, str]]:
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge.cli", "serve", "--port", "0", "--source", "testpattern", "--ready-file", str(ready)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (ready.exists() and ready.read_text().rstrip().endswith("}")):
            assert proc.poll() is None and time.monotonic() < deadline, "vpbridge serve did not start"
            time.sleep(0.05)
        yield json.loads(ready.read_text())
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_hello_world_example_saves_one_frame(build: Path, server: dict[str, str], tmp_path: Path) -> None:
    assert len((CPP / "examples" / "save_frame.cpp").read_text().splitlines()) < 20
    subprocess.run([str(build / "save_frame"), server["control"]], cwd=tmp_path, check=True, timeout=60)
    data = (tmp_path / "frame.ppm").read_bytes()
    assert data.startswith(b"P6 1280 720 255\n")
    assert len(data) == len(b"P6 1280 720 255\n") + 1280 * 720 * 3


def _follow(proc: subprocess.Popen[str], poll: bool = True) -> dict[str, Any]:
    """One JSON line of the follow_state helper; with `poll`, after it polled the client for ~300 ms."""
    assert proc.stdin is not None and proc.stdout is not None
    if poll:
        proc.stdin.write("poll\n")
        proc.stdin.flush()
    line = proc.stdout.readline()
    assert line, f"follow_state exited with {proc.poll()}"
    return dict(json.loads(line))


def test_a_gap_in_state_deltas_makes_the_cpp_client_resnapshot(build: Path) -> None:
    from bridge.client_sync import Client
    from bridge.server import ServerConfig, ServerThread

    with ServerThread(ServerConfig(port=0, history_path=None)) as srv:
        cmd = [str(build / "follow_state"), srv.endpoints["control"]]
        with subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as proc:
            first = _follow(proc, poll=False)
            assert first["seq"] == srv.call(lambda s: s.state.seq)
            srv.call(lambda s: setattr(s.state, "seq", s.state.seq + 5))  # deltas 'lost' on the way
            with Client(srv.endpoints["control"], role="director") as director:
                director.set_params({"look": "noir"})
            deadline = time.monotonic() + 15
            now, want = _follow(proc), srv.call(lambda s: s.state.seq)
            while now["look"] != "noir" or now["seq"] != want:  # presence deltas may still be on the way
                assert time.monotonic() < deadline, f"C++ client did not catch up: {now}, server seq {want}"
                now, want = _follow(proc), srv.call(lambda s: s.state.seq)
            assert now["resnapshots"] > first["resnapshots"]
