"""Stalled, silent and killed clients are dropped without slowing anyone else."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np

from bridge.client_sync import Client
from bridge.protocol import Attach, Credit, Hello, OpenStream, PoseRequest
from bridge.server import Limits
from bridge.world.scene import look_at

POSE = tuple(look_at((0.0, 2.0, 6.0), (0.0, 0.0, 0.0)).ravel())
FAST = Limits(heartbeat_ms=300, session_timeout_ms=1500, stall_timeout_ms=1000)


def _wait(pred, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def _stream_for(endpoint: str, seconds: float, out: dict[str, list[float]], key: str) -> None:
    """A healthy client: request, receive, repeat; records each frame's arrival time."""
    with Client(endpoint, name=key, follow_state=False) as c:
        st = c.open_stream(width=48, height=32)
        times: list[float] = []
        end = time.monotonic() + seconds
        i = 0
        while time.monotonic() < end:
            i += 1
            st.render(look_at((0.01 * i, 2.0, 6.0), (0.0, 0.0, 0.0)), timeout=5)
            times.append(time.monotonic())
        out[key] = times


def _run_healthy(endpoint: str, n: int, seconds: float) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    threads = [
        threading.Thread(target=_stream_for, args=(endpoint, seconds, out, f"healthy{i}")) for i in range(n)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 30)
    assert len(out) == n
    return out


def _stalled_client(raw, endpoints: dict[str, str]):  # type: ignore[no-untyped-def]
    """Handshakes, opens a stream, takes one credit's frame, then never reads nor grants again."""
    ctl = raw(endpoints["control"])
    ctl.send(Hello(rid=1, protocol="1.0.0", client="stalled"))
    w = ctl.recv_control()
    ctl.send(OpenStream(rid=2, width=48, height=32))
    opened = ctl.recv_control()
    fr = raw(endpoints["frames"])
    fr.send(Attach(rid=3, session=w.session))
    assert fr.recv_parts() is not None
    fr.send(Credit(stream=opened.stream, n=1))
    for i in range(5):
        fr.send(PoseRequest(stream=opened.stream, pose_id=i + 1, T_world_camera=POSE))
    return ctl, fr, opened.stream


def test_stalled_and_killed_clients_do_not_slow_the_others(make_server, raw) -> None:  # type: ignore[no-untyped-def]
    srv = make_server(FAST)
    ep = srv.endpoints["control"]
    baseline = _run_healthy(ep, 3, 1.5)
    base_fps = sum(len(v) for v in baseline.values()) / 1.5

    _ctl, _fr, stalled_id = _stalled_client(raw, srv.endpoints)
    killed = subprocess.Popen([sys.executable, "-c", (
        "import sys, numpy as np; from bridge.client_sync import Client; from bridge.world.scene import look_at\n"
        "c = Client(sys.argv[1], name='victim', follow_state=False); s = c.open_stream(width=48, height=32)\n"
        "[s.render(look_at((0.01 * i, 2, 6), (0, 0, 0))) for i in range(100000)]"), ep])  # fmt: skip
    assert _wait(lambda: srv.call(lambda s: any(x.name == "victim" for x in s.sessions.values())), 20)
    killed.send_signal(signal.SIGKILL)
    killed.wait(10)

    during = _run_healthy(ep, 3, 1.5)
    fps = sum(len(v) for v in during.values()) / 1.5
    assert fps >= 0.5 * base_fps, f"healthy clients slowed from {base_fps:.0f} to {fps:.0f} fps"
    for times in during.values():
        gaps = np.diff(times)
        assert gaps.max() < 1.0, "a healthy client waited over a second for a frame"

    assert _wait(lambda: srv.call(lambda s: stalled_id not in s.streams)), "stalled stream was not closed"
    assert _wait(lambda: srv.call(lambda s: not any(x.name == "victim" for x in s.sessions.values())))


def test_silent_client_is_dropped_and_its_presence_removed(make_server, raw) -> None:  # type: ignore[no-untyped-def]
    srv = make_server(FAST)
    ctl = raw(srv.endpoints["control"])
    ctl.send(Hello(rid=1, protocol="1.0.0", client="silent"))
    w = ctl.recv_control()
    presence = f"presence.{w.session[:8]}"
    assert srv.call(lambda s: presence in s.state.values)
    assert _wait(lambda: srv.call(lambda s: len(s.sessions) == 0), 5)
    assert srv.call(lambda s: presence not in s.state.values)


def test_heartbeating_client_survives_longer_than_the_session_timeout(make_server) -> None:  # type: ignore[no-untyped-def]
    srv = make_server(FAST)
    with Client(srv.endpoints["control"], follow_state=False) as c:
        token = c.welcome.session
        time.sleep(2.5)
        assert srv.call(lambda s: token in s.by_token)
        assert c.open_stream(width=16, height=16).render(np.eye(4)).color is not None


def test_sigterm_to_serve_closes_streams_tells_clients_and_exits_cleanly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen([sys.executable, "-m", "bridge.cli", "serve", "--port", "0", "--source", "testpattern",
                             "--ready-file", str(ready)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert _wait(ready.exists, 30)
        import json

        ep = json.loads(ready.read_text())["control"]
        with Client(ep, follow_state=False, reconnect=False) as c:
            st = c.open_stream(width=16, height=16)
            st.render(np.eye(4))
            os.kill(proc.pid, signal.SIGTERM)
            out, err = proc.communicate(timeout=15)
            assert _wait(lambda: st.inner.closed_reason is not None, 5)
            assert "SIGTERM" in (st.inner.closed_reason or "")
        assert proc.returncode == 0
        assert "Traceback" not in err
        assert not ready.exists(), "the ready file is removed on shutdown"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
