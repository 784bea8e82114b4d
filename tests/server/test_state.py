"""Shared state: snapshot + deltas, late joiners converge, gaps trigger a re-snapshot, restarts recover."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import numpy as np

from bridge.client_sync import Client


def test_late_joiner_sees_the_same_state_as_early_clients(srv) -> None:  # type: ignore[no-untyped-def]
    with Client(srv.endpoints["control"], role="director", name="early") as a:
        for i in range(20):
            a.set_params({"exposure_ev": float(i) / 10, "look": "noir" if i % 2 else "vibrant"})
        a.wait_state(lambda s: s.get("exposure_ev") == 1.9)
        with Client(srv.endpoints["control"], name="late") as b:
            b.wait_state(lambda s: s.get("exposure_ev") == 1.9)
            a.wait_state(lambda s: any(v == "late (viewer)" for v in s.values()))
            assert {k: v for k, v in a.state.items()} == b.state
            assert a.inner.state_seq == b.inner.state_seq


def test_a_gap_in_deltas_makes_the_client_resnapshot(srv) -> None:  # type: ignore[no-untyped-def]
    with Client(srv.endpoints["control"], role="director") as c:
        before = c.inner.resnapshots
        srv.call(lambda s: setattr(s.state, "seq", s.state.seq + 5))  # deltas 'lost' on the way
        c.set_params({"look": "documentary"})
        c.wait_state(lambda s: s.get("look") == "documentary")
        assert c.inner.resnapshots > before
        assert c.inner.state_seq == srv.call(lambda s: s.state.seq)


def test_optimistic_concurrency_one_director_wins_the_other_gets_conflict(srv) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from bridge.errors import RemoteError

    with (
        Client(srv.endpoints["control"], role="director") as a,
        Client(srv.endpoints["control"], role="director") as b,
    ):
        base = a.get_state().seq
        a.set_params({"look": "noir"}, base_seq=base)
        with pytest.raises(RemoteError) as err:
            b.set_params({"look": "vibrant"}, base_seq=base)
        assert err.value.code == "CONFLICT" and str(base + 1) in err.value.message


def _free_port_triple() -> int:
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port > 65000:
            continue
        ok = True
        for p in (port + 1, port + 2):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
        if ok:
            return port
    raise RuntimeError("no free port triple")


def _serve(port: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bridge.cli", "serve", "--port", str(port), "--source", "testpattern"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def test_client_recovers_its_session_and_stream_after_a_server_restart() -> None:
    port = _free_port_triple()
    first = _serve(port)
    second = None
    try:
        with Client(f"tcp://127.0.0.1:{port}", timeout=30.0) as c:
            st = c.open_stream(width=32, height=24)
            pose = np.eye(4)
            pose[1, 3] = 2.0
            assert st.render(pose).color.shape == (24, 32, 4)
            old_session = c.welcome.session
            first.kill()
            first.wait(10)
            second = _serve(port)
            time.sleep(0.5)
            frame = st.render(pose, timeout=30.0)
            assert frame.color.shape == (24, 32, 4)
            assert c.welcome.session != old_session
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
            if p is not None:
                p.communicate()
