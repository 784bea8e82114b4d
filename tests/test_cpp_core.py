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
    res = subprocess.run(["cmake", "--build", str(out), "-j2"], capture_output=True, text=True, timeout=300)
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
