"""Semi-live interactive video: choosing a perspective streams the planned transition live, then holds;
viewers do not disturb each other; a mid-transition choice replans continuously; predictive start."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import bridge.world as world
from bridge.client_sync import Client, Stream
from bridge.errors import RemoteError, Timeout
from bridge.motion import Planner
from bridge.protocol.frames import Frame
from bridge.server import ServerConfig, ServerThread

FPS = 24.0


@pytest.fixture(scope="module")
def studio() -> world.Scene:
    return world.build_scene(world.load_spec("studio_set"))


@pytest.fixture(scope="module")
def planner(studio: world.Scene) -> Planner:
    return Planner(studio)


@pytest.fixture
def served(studio: world.Scene) -> Iterator[ServerThread]:
    with ServerThread(ServerConfig(port=0, history_path=None), scene=studio) as srv:
        yield srv


def pose_of(f: Frame) -> np.ndarray:
    return np.asarray(f.header.views[0].T_world_camera).reshape(4, 4)


def shot(studio: world.Scene, name: str) -> np.ndarray:
    return np.asarray(studio.bookmark(name).T_world_camera, np.float64)


def collect(st: Stream, until: Callable[[Frame], bool], timeout: float = 30.0) -> list[Frame]:
    """Frames of `st` (granting credits as they are used) up to and including the first `until` one."""
    out: list[Frame] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st.grant(3)
        f = st.next_frame(10.0)
        out.append(f)
        if until(f):
            return out
    raise AssertionError(f"condition not met within {timeout} s ({len(out)} frames)")


def wait_ready(st: Stream, names: set[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not names <= set(st.perspectives().ready):
        assert time.monotonic() < deadline, "transitions were not planned ahead in time"
        time.sleep(0.05)


def drive_to(st: Stream, name: str, **kw: Any) -> tuple[float, list[Frame]]:
    duration = st.choose(name, **kw)
    frames = collect(st, lambda f: f.header.perspective == name and abs(f.header.t_path - duration) < 1e-9)
    return duration, frames


def test_choosing_a_perspective_streams_the_planned_path_then_holds(served, studio, planner) -> None:  # type: ignore[no-untyped-def]
    with Client(served.endpoints["control"]) as c:
        st = c.open_stream(width=32, height=24, depth="none")
        info = st.perspectives()
        assert [p.name for p in info.perspectives] == ["sofa_closeup", "dolly_start"]
        assert info.current == "" and not info.moving
        target = shot(studio, "sofa_closeup")
        duration, frames = drive_to(st, "sofa_closeup", preset="fast", fps=FPS)
        path = planner.plan(shot(studio, "spawn"), "sofa_closeup", preset="fast")
        assert duration == pytest.approx(path.duration, abs=1e-3)
        ts = [f.header.t_path for f in frames]
        assert all(f.header.perspective == "sofa_closeup" for f in frames)
        assert ts == sorted(ts) and len(set(ts)) == len(ts)  # monotone progress along the path
        assert len(frames) >= duration * FPS / 3  # streamed live, not a cut
        for f in frames[:-1]:  # every frame is the planned path's pose at its t
            assert np.abs(pose_of(f) - path.sample(f.header.t_path)[0]).max() < 1e-6
        dist = [float(np.linalg.norm(pose_of(f)[:3, 3] - target[:3, 3])) for f in frames]
        assert all(b <= a + 1e-6 for a, b in zip(dist, dist[1:], strict=False))
        assert np.abs(pose_of(frames[-1]) - target).max() < 1e-3
        st.grant(3)  # holds: nothing new without a state change
        with pytest.raises(Timeout):
            st.next_frame(0.4)
        info = st.perspectives()
        assert info.current == "sofa_closeup" and not info.moving


def test_two_viewers_each_stream_only_their_own_choice(served, studio) -> None:  # type: ignore[no-untyped-def]
    ep = served.endpoints["control"]
    with Client(ep, name="a") as a, Client(ep, name="b") as b:
        sa = a.open_stream(width=32, height=24, depth="none")
        sb = b.open_stream(width=32, height=24, depth="none")
        da = sa.choose("sofa_closeup", preset="fast", fps=FPS)
        db = sb.choose("dolly_start", preset="fast", fps=FPS)
        fa = collect(sa, lambda f: abs(f.header.t_path - da) < 1e-9)
        fb = collect(sb, lambda f: abs(f.header.t_path - db) < 1e-9)
        assert {f.header.perspective for f in fa} == {"sofa_closeup"}
        assert {f.header.perspective for f in fb} == {"dolly_start"}
        assert np.abs(pose_of(fa[-1]) - shot(studio, "sofa_closeup")).max() < 1e-3
        assert np.abs(pose_of(fb[-1]) - shot(studio, "dolly_start")).max() < 1e-3
        assert sa.perspectives().current == "sofa_closeup" and sb.perspectives().current == "dolly_start"


def test_a_choice_mid_transition_replans_without_a_jump(served, studio) -> None:  # type: ignore[no-untyped-def]
    with Client(served.endpoints["control"]) as c:
        st = c.open_stream(width=32, height=24, depth="none")
        d1 = st.choose("dolly_start", preset="fast", fps=FPS)
        first = collect(st, lambda f: f.header.t_path > 0.35 * d1)
        assert st.perspectives().moving
        d2 = st.choose("sofa_closeup", preset="fast", fps=FPS)
        rest = collect(
            st, lambda f: f.header.perspective == "sofa_closeup" and abs(f.header.t_path - d2) < 1e-9
        )
        frames = first + rest
        assert {f.header.perspective for f in rest[-3:]} == {"sofa_closeup"}
        max_speed = 15.0  # the fast preset
        for f0, f1 in zip(frames, frames[1:], strict=False):
            dt = (f1.header.times.t_pose - f0.header.times.t_pose) / 1e9
            step = float(np.linalg.norm(pose_of(f1)[:3, 3] - pose_of(f0)[:3, 3]))
            assert step <= max_speed * dt * 1.2 + 0.02, (step, dt)
        assert np.abs(pose_of(frames[-1]) - shot(studio, "sofa_closeup")).max() < 1e-3


def test_unknown_perspective_is_not_found_naming_the_offered_ones(served) -> None:  # type: ignore[no-untyped-def]
    with Client(served.endpoints["control"]) as c:
        st = c.open_stream(width=32, height=24)
        with pytest.raises(RemoteError) as err:
            st.choose("rooftop")
        assert err.value.code == "NOT_FOUND" and err.value.field == "$.name"
        assert "sofa_closeup" in err.value.message and "dolly_start" in err.value.message
        with pytest.raises(RemoteError) as err:
            st.choose("sofa_closeup", preset="warp")
        assert err.value.code == "BAD_REQUEST" and err.value.field == "$.preset"


def test_a_client_pose_takes_over_from_the_drive(served, studio) -> None:  # type: ignore[no-untyped-def]
    with Client(served.endpoints["control"]) as c:
        st = c.open_stream(width=32, height=24, depth="none")
        st.choose("dolly_start", preset="comfortable", fps=FPS)
        collect(st, lambda f: f.header.t_path > 0.2)
        mine = shot(studio, "spawn")
        f = st.render(mine)
        assert f.header.perspective == "" and np.abs(pose_of(f) - mine).max() < 1e-9
        info = st.perspectives()
        assert info.current == "" and not info.moving


def test_predictive_start_streams_the_first_frame_within_a_frame_interval(served) -> None:  # type: ignore[no-untyped-def]
    with Client(served.endpoints["control"]) as c:
        st = c.open_stream(width=32, height=24, depth="none")
        wait_ready(st, {"sofa_closeup", "dolly_start"})
        st.grant(3)
        t0 = time.monotonic_ns()
        st.choose("sofa_closeup", preset="cinematic", fps=FPS)
        f = st.next_frame(5.0)
        latency = (f.t_received_ns - t0) / 1e9
        assert f.header.perspective == "sofa_closeup"
        assert latency < 3.0 / FPS, f"first transition frame after {latency * 1e3:.1f} ms"


def wait_prerendered(srv: ServerThread, st: Stream, names: set[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not names <= set(srv.call(lambda s: s.perspectives.prerendered(st.id))):  # type: ignore[arg-type]
        assert time.monotonic() < deadline, "first frames were not rendered ahead in time"
        time.sleep(0.05)


def test_first_frames_rendered_ahead_are_sent_at_once_from_the_frame_cache(served, studio) -> None:  # type: ignore[no-untyped-def]
    with Client(served.endpoints["control"]) as c:
        st = c.open_stream(width=32, height=24, depth="none")
        wait_prerendered(served, st, {"sofa_closeup", "dolly_start"})
        hits = served.call(lambda s: s.stats["cache_hits"])
        st.grant(3)
        t0 = time.monotonic_ns()
        duration = st.choose("dolly_start", preset="cinematic", fps=FPS)
        f = st.next_frame(5.0)
        latency = (f.t_received_ns - t0) / 1e9
        assert f.header.perspective == "dolly_start" and f.header.t_path == pytest.approx(1.0 / FPS)
        times = f.header.times
        assert times.t_render_start == times.t_render_end  # no render ran: the frame was ready
        assert served.call(lambda s: s.stats["cache_hits"]) == hits + 1
        assert latency < 1.0 / FPS, f"first transition frame after {latency * 1e3:.1f} ms"
        path = Planner(studio).plan(shot(studio, "spawn"), "dolly_start", preset="cinematic")
        assert duration == pytest.approx(path.duration, abs=1e-3)
        assert np.abs(pose_of(f) - path.sample(1.0 / FPS)[0]).max() < 1e-6  # the path one frame in
        rest = collect(st, lambda f: f.header.t_path > 0.5)  # then streamed live along the path
        ts = [f.header.t_path, *(g.header.t_path for g in rest)]
        assert ts == sorted(ts) and len(set(ts)) == len(ts)
        for g in rest:
            assert np.abs(pose_of(g) - path.sample(g.header.t_path)[0]).max() < 1e-6


def test_first_frames_are_rendered_again_when_parameters_or_the_pose_change(served, studio) -> None:  # type: ignore[no-untyped-def]
    names = {"sofa_closeup", "dolly_start"}
    with Client(served.endpoints["control"], role="director") as c:
        st = c.open_stream(width=32, height=24, depth="none")
        wait_prerendered(served, st, names)
        before = served.call(lambda s: dict(s.perspectives._warm[st.id][1]))
        c.set_params({"exposure_ev": 1.5})
        assert served.call(lambda s: s.perspectives.prerendered(st.id)) == []  # stale at once
        wait_prerendered(served, st, names)
        after = served.call(lambda s: dict(s.perspectives._warm[st.id][1]))
        assert all(after[n][0] != before[n][0] for n in names)  # keyed by the new parameters
        st.grant(3)
        f = st.render(shot(studio, "corner"))  # the viewer moves
        assert f.header.perspective == ""
        assert served.call(lambda s: s.perspectives.prerendered(st.id)) == []
        wait_prerendered(served, st, names)
        st.grant(3)
        st.choose("sofa_closeup", preset="cinematic", fps=FPS)  # the preset it was rendered ahead for
        f = st.next_frame(5.0)
        assert f.header.perspective == "sofa_closeup"
        assert f.header.times.t_render_start == f.header.times.t_render_end


def test_a_scene_switch_resets_drives_and_predictive_plans() -> None:
    names = {"sofa_closeup", "dolly_start"}
    scene = world.build_scene(world.load_spec("studio_set"))
    with (
        ServerThread(ServerConfig(port=0, history_path=None), scene=scene) as srv,
        Client(srv.endpoints["control"], role="director") as c,
    ):
        st = c.open_stream(width=32, height=24, depth="none")
        wait_ready(st, names)
        old_plans = srv.call(lambda s: list(s.perspectives.plans.values()))
        st.choose("dolly_start", preset="comfortable", fps=FPS)
        collect(st, lambda f: f.header.t_path > 0.3)
        assert st.perspectives().moving
        c.generate(spec="studio_set", seed=3, timeout=60)  # returns once every stream is switched
        new_scene = srv.call(lambda s: s.scenes.scene)
        assert new_scene is not scene
        info = st.perspectives()
        assert info.current == "" and not info.moving and info.ready == []  # nothing kept
        plans = srv.call(lambda s: list(s.perspectives.plans.values()))
        assert not any(p is q for p in plans for q in old_plans)
        assert srv.call(lambda s: s.perspectives.stats["scene_resets"]) >= 1
        # the drive stopped: whatever was already in flight, no driven frame follows
        st.grant(3)
        late: list[Frame] = []
        with pytest.raises(Timeout):
            while len(late) < 20:  # a drive still going would stream ~24 frames a second
                late.append(st.next_frame(0.5))
                st.grant(1)
        assert len(late) <= 4, [(f.header.perspective, f.header.t_path) for f in late]
        # a new choice is planned in the new scene, from where the viewer stopped
        wait_ready(st, names)
        start = srv.call(lambda s: s.perspectives.pose_now(s.streams[st.id]))
        duration, frames = drive_to(st, "sofa_closeup", preset="fast", fps=FPS)
        fresh = Planner(new_scene).plan(start, "sofa_closeup", preset="fast")
        assert duration == pytest.approx(fresh.duration, abs=1e-3)
        for f in frames[:-1]:
            assert np.abs(pose_of(f) - fresh.sample(f.header.t_path)[0]).max() < 1e-6
        # a new version of the same scene object resets too
        srv.call(lambda s: setattr(s.scenes.scene, "version", s.scenes.scene.version + 1))
        assert st.perspectives().ready == []
