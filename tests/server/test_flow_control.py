"""Credits bound what is in flight; the newest pose wins; state changes re-render the last pose."""

from __future__ import annotations

import time

import numpy as np

from bridge.client_sync import Client
from bridge.errors import Timeout
from bridge.world.scene import look_at


def _pose(x: float) -> np.ndarray:
    return look_at((x, 2.0, 6.0), (x, 0.0, 0.0))


def _drain(stream, timeout: float) -> list:  # type: ignore[no-untyped-def]
    frames = []
    while True:
        try:
            frames.append(stream.next_frame(timeout=timeout))
        except Timeout:
            return frames


def test_one_credit_never_has_two_frames_in_flight(srv) -> None:  # type: ignore[no-untyped-def]
    with Client(srv.endpoints["control"], follow_state=False) as c:
        st = c.open_stream(width=64, height=48)
        st.grant(1)
        for i in range(20):
            st.request(_pose(i * 0.1))
        frames = _drain(st, 0.5)
        assert len(frames) == 1
        st.grant(1)
        frames = _drain(st, 0.5)
        assert len(frames) == 1
        assert frames[0].pose_id == 20, "the newest pose wins"


def test_credits_are_capped_at_max_credits(srv) -> None:  # type: ignore[no-untyped-def]
    with Client(srv.endpoints["control"], follow_state=False) as c:
        st = c.open_stream(width=32, height=24)
        st.inner.max_credits = 64  # ask for more than the server allows, bypassing the client's own cap
        c._run(
            st.inner.client._send_frames(
                __import__("bridge.protocol", fromlist=["m"]).Credit(stream=st.id, n=10)
            )
        )
        got = 0
        for i in range(10):
            st.request(_pose(i))
            got += len(_drain(st, 0.3))
        assert got == 3


def test_frames_echo_pose_and_carry_every_header_field(srv) -> None:  # type: ignore[no-untyped-def]
    with Client(srv.endpoints["control"], follow_state=False) as c:
        st = c.open_stream(width=80, height=60, near=0.1, far=500.0)
        pose = _pose(1.0)
        f = st.render(pose)
        h = f.header
        assert np.allclose(np.asarray(h.views[0].T_world_camera).reshape(4, 4), pose)
        assert (h.near, h.far) == (0.1, 500.0)
        assert h.seq == 1 and h.stream == st.id and h.protocol.startswith("1.")
        t = h.times
        assert (
            t.t_pose > 0 and t.t_received <= t.t_render_start <= t.t_render_end <= t.t_encode_end <= t.t_send
        )
        assert set(f.latency_ms()) >= {"queue", "render", "encode", "send", "server", "total"}
        assert f.color.shape == (60, 80, 4) and f.depth.shape == (60, 80)


def test_state_change_rerenders_the_last_pose_for_streams_with_credit(srv) -> None:  # type: ignore[no-untyped-def]
    with Client(srv.endpoints["control"], role="director") as c:
        st = c.open_stream(width=32, height=24)
        first = st.render(_pose(0.0))
        st.grant(1)
        c.set_params({"look": "noir"})
        again = st.next_frame(timeout=5)
        assert again.pose_id == first.pose_id and again.header.look == "noir"


def test_encodings_rgb8_jpeg_and_no_depth(srv) -> None:  # type: ignore[no-untyped-def]
    with Client(srv.endpoints["control"], follow_state=False) as c:
        rgb = c.open_stream(width=64, height=48, color="rgb8", depth="none").render(_pose(0))
        assert rgb.color.shape == (48, 64, 3) and rgb.depth is None
        jpg = c.open_stream(width=64, height=48, color="jpeg", jpeg_quality=90).render(_pose(0))
        assert jpg.color.shape == (48, 64, 3)
        assert np.abs(jpg.color.astype(int) - rgb.color.astype(int)).mean() < 8


def test_stereo_eyes_give_two_views_with_their_own_poses(srv) -> None:  # type: ignore[no-untyped-def]
    from bridge.protocol import EyeView, Fov

    fov = Fov(left=-0.7, right=0.6, up=0.6, down=-0.7)
    left, right = _pose(-0.032), _pose(0.032)
    with Client(srv.endpoints["control"], follow_state=False) as c:
        st = c.open_stream(width=40, height=30, projection="stereo")
        f = st.render(left, eyes=[EyeView(T_world_camera=tuple(left.ravel()), fov=fov),
                                  EyeView(T_world_camera=tuple(right.ravel()), fov=fov)])  # fmt: skip
        assert len(f.views) == 2
        assert np.allclose(f.views[1].T_world_camera, right)
        assert f.header.views[0].fov == fov
        assert not np.array_equal(f.views[0].color, f.views[1].color)


def test_pipelined_credits_keep_several_frames_in_flight(srv) -> None:  # type: ignore[no-untyped-def]
    with Client(srv.endpoints["control"], follow_state=False) as c:
        st = c.open_stream(width=32, height=24)
        st.grant(3)
        t0 = time.monotonic()
        received = 0
        for i in range(30):
            st.request(_pose(i * 0.01))
            if st.inner.outstanding < 3:
                st.grant(1)
            received += len(_drain(st, 0.05))
        received += len(_drain(st, 0.5))
        assert received >= 10, f"only {received} frames in {time.monotonic() - t0:.1f} s"
