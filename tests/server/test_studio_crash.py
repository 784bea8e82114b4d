"""Acknowledged means durable: kill -9 the server while a client commits a thousand edits, restart it on
the same history file, and every acknowledged version is there and the live state is HEAD."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

from bridge.client_sync import Client
from bridge.errors import VPBridgeError


def _free_port_triple() -> int:
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port > 65000:
            continue
        try:
            for p in (port + 1, port + 2):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port triple")


def _serve(port: int, history: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bridge.cli", "serve", "--port", str(port), "--source",
                             "testpattern", "--history", str(history)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def test_every_acknowledged_edit_survives_kill_9_and_restart(tmp_path: Path) -> None:
    port, history = _free_port_triple(), tmp_path / "history.sqlite"
    server = _serve(port, history)
    started = [server]
    acked: dict[int, float] = {}
    try:
        with Client(f"tcp://127.0.0.1:{port}", role="director", timeout=30.0, reconnect=False) as c:
            killer = threading.Timer(0, lambda: None)
            try:
                for i in range(1000):
                    value = round((i % 200) / 10 - 10, 1) or 0.05  # always a change
                    if i == 300:  # mid-way, from another thread, while requests are in flight
                        killer = threading.Timer(0.05, server.kill)
                        killer.start()
                    c.timeout = 2.0 if i >= 300 else 30.0
                    c.inner.timeout = c.timeout
                    acked[c.commit({"exposure_ev": value})] = value
            except VPBridgeError:
                pass
            killer.join()
        server.wait(10)
        assert server.returncode == -9 and 300 <= len(acked) < 1000
        server.communicate()
        server = _serve(port, history)
        started.append(server)
        with Client(f"tcp://127.0.0.1:{port}", role="viewer", timeout=30.0) as c:
            log = c.history(limit=2000)
            stored = {v.id: v.changes.get("exposure_ev") for v in log.versions}
            assert all(stored.get(vid) == value for vid, value in acked.items())
            assert log.head >= max(acked)
            snap = c.get_state()
            assert snap.values["history.head"] == log.head
            assert snap.values["exposure_ev"] == log.versions[0].changes.get(
                "exposure_ev", snap.values["exposure_ev"]
            )
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
