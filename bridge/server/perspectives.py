"""Perspectives (semi-live interactive video): the scene's offered shots, per-stream drives that stream a
planned transition at the stream's fps and then hold at the target, and predictive start: from where
each stream rests, its transitions to every shot are planned ahead, and their first frames rendered
ahead into the frame cache, so a choice streams its first frame at once.

Planning runs in a one-thread pool; the loop only samples splines and hands poses to the scheduler.
A scene switch (another scene, or a new version of it) drops the planner, every plan and prerendered
frame bookkeeping, and every stream's drive: nothing moves through the old scene's geometry.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from bridge.errors import ConfigError, VPBridgeError
from bridge.protocol import messages as m
from bridge.server import framing
from bridge.server.control import error
from bridge.server.session import Session, Stream
from bridge.studio import nbytes_of
from bridge.world.scene import Bookmark, Scene

if TYPE_CHECKING:
    from bridge.motion import Planner
    from bridge.server.app import Server

__all__ = ["PerspectiveService"]

log = logging.getLogger("vpbridge.perspectives")
LOOKAHEAD_S = 0.25
"""A mid-transition choice replans from this far ahead on the running path, so the new path is ready
before the camera gets there (planning takes a few ms to ~100 ms) and the switch is seamless."""
SETTLE_S = 0.25
"""A stream whose pose has not changed for this long gets its transitions planned ahead."""
MAX_PLANS = 512
DEFAULT_FPS = 24.0
"""The fps a stream's first frames are rendered ahead for until it has chosen with another."""
MAX_PRERENDER = 12
"""At most this many perspectives get their first frame rendered ahead per stream at rest."""


class _Path(Protocol):
    @property
    def duration(self) -> float: ...

    def sample(self, t: float) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass
class Cut:
    """A zero-length transition (already there, or no clear path): the target at once."""

    pose: np.ndarray
    duration: float = 0.0

    def sample(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        return self.pose, np.zeros(3)


@dataclass
class Drive:
    """A stream moving to (or holding at) a perspective."""

    stream: Stream
    name: str
    path: _Path
    target: np.ndarray
    fps: float
    preset: str
    t0: float
    """Monotonic time at which the path's t = 0 is (or was) shown."""
    lead: tuple[_Path, float] | None = None
    """The interrupted path and its t0, followed until this path's t = 0 (a replan that came early)."""
    first: float | None = None
    """The t of the first pose issued, exactly (a choice at rest: one frame interval in, see `first_pose`)."""
    arrived: bool = False
    issued: tuple[m.PoseRequest, float] | None = None
    dispatched: tuple[m.PoseRequest, float] | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    def now(self) -> tuple[np.ndarray, float]:
        """(pose, t on the path) at this instant."""
        t = time.monotonic() - self.t0
        if self.arrived or t >= self.path.duration:
            return self.target, self.path.duration
        if t < 0 and self.lead is not None:
            return self.lead[0].sample(time.monotonic() - self.lead[1])[0], 0.0
        return self.path.sample(max(t, 0.0))[0], max(t, 0.0)


def first_pose(path: _Path, target: np.ndarray, fps: float) -> tuple[np.ndarray, float]:
    """(pose, t) of a transition's first frame: the path one frame interval in (the viewer already sees
    t = 0, where it rests), or the target when the path is shorter. The drive issues exactly this pose
    and prerendering renders exactly this pose, so the frame cache finds it."""
    t = min(1.0 / fps, path.duration)
    if t >= path.duration:
        return target, path.duration
    return path.sample(t)[0], t


def offered(scene: Scene | None) -> list[Bookmark]:
    """The perspectives a scene offers: its shots, else every bookmark (so any scene can be toured)."""
    if scene is None:
        return []
    shots = [b for b in scene.bookmarks if b.kind == "shot"]
    return shots or list(scene.bookmarks)


def _pose_key(T: np.ndarray) -> bytes:
    return np.round(np.asarray(T, np.float64), 4).tobytes()


def _plan(planner: Planner, start: np.ndarray, goal: Bookmark, preset: str) -> _Path:
    """On the planning thread: a collision-aware path, or a cut when none keeps the clearance."""
    if np.abs(start - goal.T_world_camera).max() < 1e-3:
        return Cut(goal.T_world_camera)
    try:
        return planner.plan(start, goal, "fly", preset)
    except VPBridgeError as exc:  # a start inside the clearance, or no route: cut instead of failing
        log.info("no transition to %s (%s); cutting", goal.name, exc)
        return Cut(goal.T_world_camera)


class PerspectiveService:
    """Owns the planner of the current scene, the plan cache, prerendered first frames and every
    stream's drive."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vpbridge-plan")
        self._planner: asyncio.Future[Planner] | None = None
        self._scene: Scene | None = None
        self._version = -1
        self.plans: OrderedDict[tuple[bytes, str, str], asyncio.Future[_Path]] = OrderedDict()
        """Planned transitions by (start pose, perspective, preset), done or in flight."""
        self.drives: dict[int, Drive] = {}
        self._gen: dict[int, int] = {}
        """Per stream, bumped by every choice, take-over and scene switch: a plan that finishes late
        is not started."""
        self._seen: dict[int, tuple[bytes, float]] = {}
        self._preset: dict[int, str] = {}
        self._fps: dict[int, float] = {}
        self.prerender = True
        """Render the first frame of every predicted transition ahead (needs the frame cache)."""
        self._warm: dict[int, tuple[tuple[Any, ...], dict[str, tuple[Any, int]]]] = {}
        """Per stream at rest: (what the frames depend on, {perspective: (frame-cache key, renders)})."""
        self._warming: asyncio.Future[Any] | None = None
        self.stats = {"prerendered": 0, "scene_resets": 0}

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        for d in self.drives.values():
            if d.task is not None:
                d.task.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def run(self) -> None:
        """Plan ahead (and render first frames ahead) for every stream that has come to rest: opened,
        arrived, or the client stopped moving."""
        while True:
            await asyncio.sleep(0.1)
            if not self._check_scene():
                continue
            now = time.monotonic()
            for st in list(self.server.streams.values()):
                d = self.drives.get(st.id)
                if d is not None and not d.arrived:
                    continue
                pose = self.pose_now(st)
                if pose is None:
                    continue
                key = _pose_key(pose)
                seen = self._seen.get(st.id)
                if seen is None or seen[0] != key:
                    self._seen[st.id] = (key, now)
                elif now - seen[1] >= SETTLE_S:  # cheap when planned: one dict lookup per perspective
                    self.predict(pose, self._preset.get(st.id, "cinematic"))
            self._prerender_next()

    def _check_scene(self) -> bool:
        """On a scene switch (another scene, or its version changed) drop the planner, every plan,
        prerendered-frame record and drive, and void plans in flight; False without perspectives."""
        scene = self.server.scenes.scene
        version = -1 if scene is None else scene.version
        if scene is not self._scene or version != self._version:
            if self._version != -1 or self._scene is not None:
                self.stats["scene_resets"] += 1
            self._scene, self._version = scene, version
            self._planner = None
            self.plans.clear()
            self._seen.clear()
            self._warm.clear()
            for sid in set(self.drives) | set(self._gen):
                self.forget(sid)
        return bool(offered(scene))

    def forget(self, stream: int) -> None:
        """The stream closed, a client pose took over, or the scene changed: stop driving it, and let
        no plan in flight start."""
        d = self.drives.pop(stream, None)
        if d is not None and d.task is not None:
            d.task.cancel()
        self._gen[stream] = self._gen.get(stream, 0) + 1
        if stream not in self.server.streams:  # closed: nothing of it is kept
            for table in (self._gen, self._seen, self._preset, self._fps, self._warm):
                table.pop(stream, None)

    def client_pose(self, st: Stream) -> None:
        if st.id in self.drives:
            self.forget(st.id)

    # -- planning -----------------------------------------------------------------------------

    def _planner_future(self) -> asyncio.Future[Planner]:
        if self._planner is None:
            from bridge.motion import Planner

            scene = self.server.scenes.scene
            assert scene is not None
            loop = asyncio.get_running_loop()
            self._planner = asyncio.ensure_future(loop.run_in_executor(self._pool, Planner, scene))
        return self._planner

    def plan(self, start: np.ndarray, goal: Bookmark, preset: str) -> asyncio.Future[_Path]:
        """The transition from `start` to `goal`, from the cache or planned now in the pool."""
        key = (_pose_key(start), goal.name, preset)
        fut = self.plans.get(key)
        if fut is not None and not (fut.done() and fut.exception() is not None):
            self.plans.move_to_end(key)
            return fut
        planner = self._planner_future()
        loop = asyncio.get_running_loop()

        async def go() -> _Path:
            p = await planner
            return await loop.run_in_executor(self._pool, _plan, p, start.copy(), goal, preset)

        fut = asyncio.ensure_future(go())
        fut.add_done_callback(lambda f: f.cancelled() or f.exception())  # never "exception never retrieved"
        self.plans[key] = fut
        while len(self.plans) > MAX_PLANS:
            self.plans.popitem(last=False)
        return fut

    def predict(self, start: np.ndarray, preset: str) -> None:
        """Plan ahead from `start` to every offered perspective (predictive start)."""
        for shot in offered(self.server.scenes.scene):
            self.plan(start, shot, preset)

    def _planned(self, start: np.ndarray, name: str, preset: str) -> _Path | None:
        fut = self.plans.get((_pose_key(start), name, preset))
        if fut is None or not fut.done() or fut.cancelled() or fut.exception() is not None:
            return None
        return fut.result()

    def ready(self, st: Stream) -> list[str]:
        pose = self.pose_now(st)
        if pose is None:
            return []
        preset = self._preset.get(st.id, "cinematic")
        return [
            shot.name
            for shot in offered(self.server.scenes.scene)
            if self._planned(pose, shot.name, preset) is not None
        ]

    def pose_now(self, st: Stream) -> np.ndarray | None:
        """Where the stream's viewer is: its drive's pose, its newest pose, or the scene's spawn."""
        d = self.drives.get(st.id)
        if d is not None:
            return d.now()[0]
        req = st.pending or st.last_pose
        if req is not None:
            return np.asarray(req.T_world_camera, np.float64).reshape(4, 4)
        scene = self.server.scenes.scene
        if scene is None or not scene.bookmarks:
            return None
        spawn = next((b for b in scene.bookmarks if b.kind == "spawn"), scene.bookmarks[0])
        return np.asarray(spawn.T_world_camera, np.float64)

    # -- first frames rendered ahead -------------------------------------------------------------

    def _prerender_next(self) -> None:
        """Render one more first transition frame ahead, for a stream at rest whose transitions are
        planned: with its own size and encodings (the frame the drive will ask for), into the frame
        cache, so the choice's first frame is sent from there under a credit like any other. Only
        while no live frame waits or renders (one job at a time, so a live frame waits for at most
        one), and only for streams with a frames socket; what is rendered is keyed by the scene
        version, the parameters, the stream's pose, preset and fps, and redone when any changes."""
        server = self.server
        if not self.prerender or server.studio.cache.max_bytes == 0 or server._stopping:
            return
        if self._warming is not None and not self._warming.done():
            return
        if server._in_flight or any(
            st.pending is not None and st.credits > 0 for st in server.streams.values()
        ):
            return  # live frames first; the next pass (every 0.1 s) tries again
        now = time.monotonic()
        for st in list(server.streams.values()):
            d = self.drives.get(st.id)
            seen = self._seen.get(st.id)
            if st.session.frames_id is None or (d is not None and not d.arrived) or seen is None:
                continue
            pose = self.pose_now(st)
            if pose is None or seen[0] != _pose_key(pose) or now - seen[1] < SETTLE_S:
                continue
            preset, fps = self._preset.get(st.id, "cinematic"), self._fps.get(st.id, DEFAULT_FPS)
            deps = self._deps(st, pose)
            warm = self._warm.get(st.id)
            if warm is None or warm[0] != deps:  # the pose, scene or parameters changed: start over
                warm = self._warm[st.id] = (deps, {})
            for shot in offered(self.server.scenes.scene)[:MAX_PRERENDER]:
                key, renders = warm[1].get(shot.name, (None, 0))
                if renders >= 2 or (renders and key in server.studio.cache):
                    continue  # there (or evicted twice already: the cache is too full to keep it)
                path = self._planned(pose, shot.name, preset)
                if path is None:
                    continue
                first, _ = first_pose(path, np.asarray(shot.T_world_camera, np.float64), fps)
                fj = framing.build_job(st.spec, _request(st, first), server.state.render_params(), 0)
                key = server._cache_key(fj)
                if key is None:
                    return
                warm[1][shot.name] = (key, renders + 1)
                if key not in server.studio.cache:
                    self._render_ahead(fj, key)
                    return

    def _render_ahead(self, fj: framing.FrameJob, key: Any) -> None:
        cache = self.server.studio.cache

        def render(source: Any) -> None:
            header, parts = framing.encode_frame(fj, source.render(fj.job), 0)
            cache.put(key, (header, parts), nbytes_of(parts))

        self.stats["prerendered"] += 1
        self._warming = fut = self.server.worker.submit(render)

        def done(f: asyncio.Future[Any]) -> None:
            if not f.cancelled() and f.exception() is not None:
                log.warning("rendering a first frame ahead failed: %s", f.exception())
            self._prerender_next()

        fut.add_done_callback(done)

    def _deps(self, st: Stream, pose: np.ndarray) -> tuple[Any, ...]:
        """What a stream's first frames rendered ahead depend on: its pose, preset and fps, the scene
        version and the render parameters (its size and encodings are fixed for the stream)."""
        server = self.server
        return (
            _pose_key(pose),
            self._preset.get(st.id, "cinematic"),
            self._fps.get(st.id, DEFAULT_FPS),
            server.state.scene_version,
            server.studio.render_hash(),
        )

    def prerendered(self, stream: int) -> list[str]:
        """Perspectives whose first transition frame for `stream`, as it rests now (pose, scene,
        parameters), is in the frame cache (for tests and tools)."""
        st = self.server.streams.get(stream)
        warm = self._warm.get(stream)
        pose = None if st is None else self.pose_now(st)
        if st is None or warm is None or pose is None or warm[0] != self._deps(st, pose):
            return []
        return [name for name, (key, _) in warm[1].items() if key in self.server.studio.cache]

    # -- requests -------------------------------------------------------------------------------

    def info(self, session: Session, req: m.GetPerspectives) -> Any:
        self._check_scene()
        shots = [
            m.PerspectiveInfo(
                name=b.name,
                T_world_camera=tuple(float(x) for x in np.asarray(b.T_world_camera).ravel()),
                fov_y_deg=float(b.fov_y_deg),
                description=b.description[:4096],
                at_s=b.at_s,
            )
            for b in offered(self.server.scenes.scene)
        ]
        if req.stream == 0:
            return m.Perspectives(rid=req.rid, perspectives=shots)
        st = session.streams.get(req.stream)
        if st is None:
            return error(
                req.rid, m.ErrorCode.NOT_FOUND, f"stream {req.stream} is not open in this session", "$.stream"
            )
        d = self.drives.get(st.id)
        return m.Perspectives(
            rid=req.rid,
            perspectives=shots,
            current=d.name if d is not None else "",
            moving=d is not None and not d.arrived,
            ready=self.ready(st),
        )

    def choose(self, session: Session, req: m.ChoosePerspective) -> Any:
        """Start (or redirect) the stream's transition; a reply now when the plan is ready, else later."""
        st = session.streams.get(req.stream)
        if st is None:
            return error(
                req.rid, m.ErrorCode.NOT_FOUND, f"stream {req.stream} is not open in this session", "$.stream"
            )
        self._check_scene()
        shots = {b.name: b for b in offered(self.server.scenes.scene)}
        goal = shots.get(req.name)
        if goal is None:
            names = ", ".join(shots) or "none (the server has no scene)"
            return error(
                req.rid,
                m.ErrorCode.NOT_FOUND,
                f"no perspective named {req.name!r}; offered: {names}",
                "$.name",
                "list them with GetPerspectives",
            )
        try:
            from bridge.motion.presets import preset_from_name

            preset_from_name(req.preset)
        except ConfigError as exc:
            return error(req.rid, m.ErrorCode.BAD_REQUEST, str(exc), "$.preset")
        self._preset[st.id], self._fps[st.id] = req.preset, req.fps
        gen = self._gen.get(st.id, 0) + 1
        self._gen[st.id] = gen
        d = self.drives.get(st.id)
        if d is not None and not d.arrived and not isinstance(d.path, Cut):
            return self._replan(st, d, goal, req, gen)
        start = self.pose_now(st)
        assert start is not None  # a scene with perspectives has bookmarks, hence a spawn
        fut = self.plan(start, goal, req.preset)
        if fut.done() and fut.exception() is None:  # predictive start: no planning delay
            path = fut.result()
            self._start(st, goal, path, req)
            return m.Ok(rid=req.rid, detail=str(float(path.duration)))
        return self._answer_when_planned(st, goal, fut, req, gen)

    def _current(self, st: Stream, gen: int) -> bool:
        """Whether a plan finishing now may still start: same choice, stream open, same scene."""
        self._check_scene()  # a switch while planning voids the plan (bumps every generation)
        return self._gen.get(st.id) == gen and st.id in self.server.streams

    async def _answer_when_planned(
        self, st: Stream, goal: Bookmark, fut: asyncio.Future[_Path], req: m.ChoosePerspective, gen: int
    ) -> Any:
        path = await fut
        if not self._current(st, gen):
            return m.Ok(rid=req.rid, detail="superseded")
        self._start(st, goal, path, req)
        return m.Ok(rid=req.rid, detail=str(float(path.duration)))

    def _replan(
        self, st: Stream, d: Drive, goal: Bookmark, req: m.ChoosePerspective, gen: int
    ) -> Coroutine[Any, Any, Any]:
        t_switch = min(time.monotonic() - d.t0 + LOOKAHEAD_S, d.path.duration)
        old, old_t0 = d.path, d.t0
        planner = self._planner_future()
        loop = asyncio.get_running_loop()

        def replan(p: Planner) -> _Path:
            try:  # brakes along the old track (or turns on the move) with every limit kept: no crawl
                path: _Path = p.replan(old, t_switch, goal, req.preset)  # type: ignore[arg-type]
            except VPBridgeError as exc:
                log.info("replan to %s failed (%s); planning from the switch pose", goal.name, exc)
                return _plan(p, old.sample(t_switch)[0], goal, req.preset)
            return path

        async def go() -> Any:
            p = await planner
            path = await loop.run_in_executor(self._pool, replan, p)
            if not self._current(st, gen):
                return m.Ok(rid=req.rid, detail="superseded")
            self._start(st, goal, path, req, old_t0 + t_switch, lead=(old, old_t0))
            return m.Ok(rid=req.rid, detail=str(float(path.duration)))

        return go()

    # -- driving --------------------------------------------------------------------------------

    def _start(
        self,
        st: Stream,
        goal: Bookmark,
        path: _Path,
        req: m.ChoosePerspective,
        t0: float | None = None,
        lead: tuple[_Path, float] | None = None,
    ) -> None:
        """Drive `st` along `path`. From rest (`t0` None) the first frame is `first_pose`, issued now:
        the path's t = 0 is one frame interval ago."""
        old = self.drives.pop(st.id, None)
        if old is not None and old.task is not None:
            old.task.cancel()
        self._warm.pop(st.id, None)  # it leaves its rest: wherever it rests next is rendered ahead anew
        target = np.asarray(goal.T_world_camera, np.float64)
        first = None
        if t0 is None:
            first = first_pose(path, target, req.fps)[1]
            t0 = time.monotonic() - first
        d = Drive(st, goal.name, path, target, req.fps, req.preset, t0, lead, first)
        if old is not None:
            d.dispatched = old.dispatched  # a state change may still re-render the last driven pose
        self.drives[st.id] = d
        d.task = asyncio.get_running_loop().create_task(self._drive(d), name=f"vpbridge-drive-{st.id}")

    async def _drive(self, d: Drive) -> None:
        """Issue the path's pose at each tick of the stream's fps (newest wins), then the target once."""
        period = 1.0 / d.fps
        if d.first is not None and d.first < d.path.duration:
            self._issue(d, first_pose(d.path, d.target, d.fps)[0], d.first)  # maybe rendered ahead
            await asyncio.sleep(max(0.0, d.t0 + 2 * period - time.monotonic()))
        while True:
            if not self._check_scene() or self.drives.get(d.stream.id) is not d:
                return  # the scene changed under the drive (it was forgotten)
            pose, t = d.now()
            if t >= d.path.duration:
                break
            self._issue(d, pose, t)
            k = math.floor((time.monotonic() - d.t0) / period) + 1
            await asyncio.sleep(max(0.0, d.t0 + k * period - time.monotonic()))
        d.arrived = True
        self._issue(d, d.target, d.path.duration)
        self.predict(d.target, d.preset)

    def _issue(self, d: Drive, pose: np.ndarray, t: float) -> None:
        st = d.stream
        if st.id not in self.server.streams:
            return
        req = _request(st, pose)
        if st.pending is not None:
            st.replaced += 1
        st.pending, st.t_pending = req, req.t_pose_ns
        d.issued = (req, t)
        self.server._pump()

    def tag(self, st: Stream, req: m.PoseRequest) -> tuple[str, float] | None:
        """(perspective, t on its path) of a pose the server drove, when `req` is one; else None."""
        self._check_scene()  # a frame re-rendered for a new scene is no longer part of a transition
        d = self.drives.get(st.id)
        if d is None:
            return None
        if d.issued is not None and d.issued[0] is req:
            d.dispatched = d.issued
            return d.name, d.issued[1]
        if d.dispatched is not None and d.dispatched[0] is req:
            return d.name, d.dispatched[1]
        return None


def _request(st: Stream, pose: np.ndarray) -> m.PoseRequest:
    """The pose request the server makes for a driven (or rendered-ahead) frame of `st`."""
    return m.PoseRequest(
        stream=st.id,
        pose_id=0,
        T_world_camera=tuple(float(x) for x in np.asarray(pose, np.float64).ravel()),
        t_pose_ns=time.monotonic_ns(),
    )
