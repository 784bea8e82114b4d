"""The server's scene: serving it as GLB chunks + manifest, and building new ones in a worker pool
with progress on the state plane, then switching every stream to the new scene live."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bridge.errors import ConfigError, VPBridgeError
from bridge.protocol import messages as m
from bridge.server.control import error
from bridge.server.state import StateStore
from bridge.world.scene import Scene

__all__ = ["SceneService"]

log = logging.getLogger("vpbridge.scenes")


@dataclass(frozen=True)
class _Export:
    version: int
    glb: bytes
    sha256: str
    manifest: str


class SceneService:
    """Owns the current scene. Exports and builds run in a one-thread pool, never on the event loop."""

    def __init__(
        self, state: StateStore, scene: Scene | None, switch_source: Callable[[Scene], None]
    ) -> None:
        self.state = state
        self.scene = scene
        self._switch_source = switch_source
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vpbridge-build")
        self._export: asyncio.Future[_Export] | None = None
        self._jobs = itertools.count(1)
        self.on_new_scene: Callable[[Scene], tuple[dict[str, m.ParamValue], tuple[str, ...]]] | None = None
        """State values to set and keys to remove along with a scene switch, in its delta (bookmarks)."""
        if scene is not None:
            state.update(scene_params(scene), scene_version=scene.version)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _exported(self) -> asyncio.Future[_Export]:
        scene = self.scene
        assert scene is not None
        if self._export is None or (
            self._export.done()
            and not self._export.cancelled()
            and self._export.exception() is None
            and self._export.result().version != scene.version
        ):
            self._export = asyncio.ensure_future(
                asyncio.get_running_loop().run_in_executor(self._pool, _export, scene)
            )
        return self._export

    async def info(self, req: m.GetScene) -> Any:
        if self.scene is None:
            return error(
                req.rid,
                m.ErrorCode.NOT_FOUND,
                "this server has no scene (it serves the test pattern)",
                hint="start the server with `vpbridge serve --scene NAME`",
            )
        try:
            ex = await self._exported()
        except VPBridgeError as exc:
            return error(req.rid, m.ErrorCode.INTERNAL, f"exporting the scene failed: {exc}")
        chunks = (len(ex.glb) + req.chunk_bytes - 1) // req.chunk_bytes
        return m.SceneInfo(
            rid=req.rid,
            scene_version=ex.version,
            name=self.scene.name,
            nbytes=len(ex.glb),
            sha256=ex.sha256,
            chunk_bytes=req.chunk_bytes,
            chunks=chunks,
            manifest=ex.manifest,
        )

    async def chunk(self, req: m.GetSceneChunk) -> Any:
        if self.scene is None:
            return error(req.rid, m.ErrorCode.NOT_FOUND, "this server has no scene")
        if req.scene_version != self.scene.version:
            return error(
                req.rid,
                m.ErrorCode.CONFLICT,
                f"the scene is now version {self.scene.version}, not {req.scene_version}",
                "$.scene_version",
                "call GetScene again and restart the download",
            )
        ex = await self._exported()
        start = req.index * req.chunk_bytes
        if start >= len(ex.glb):
            return error(
                req.rid,
                m.ErrorCode.NOT_FOUND,
                f"chunk {req.index} is past the end ({len(ex.glb)} bytes)",
                "$.index",
            )
        return m.SceneChunk(
            rid=req.rid,
            scene_version=ex.version,
            index=req.index,
            data=ex.glb[start : start + req.chunk_bytes],
        )

    def generate(self, req: m.Generate, author: str, on_switched: Callable[[], None]) -> m.Ok:
        job = next(self._jobs)
        key = f"job.{job}"
        loop = asyncio.get_running_loop()
        last = [0.0, 0.0]

        def progress(fraction: float, stage: str) -> None:  # on the build thread
            now = time.monotonic()
            if fraction < 1.0 and fraction - last[0] < 0.05 and now - last[1] < 0.5:
                return  # throttle: at most every 5% or 0.5 s
            last[0], last[1] = fraction, now
            # "done" and 1.0 are published only once the scene is switched (in _finish), never by the builder.
            values: dict[str, m.ParamValue] = {
                f"{key}.progress": min(round(fraction, 3), 0.99),
                f"{key}.stage": f"building: {stage}",
            }
            loop.call_soon_threadsafe(lambda: self.state.update(values, author=author))

        self.state.update(
            {f"{key}.progress": 0.0, f"{key}.stage": "queued", f"{key}.author": author}, author=author
        )
        fut = loop.run_in_executor(self._pool, _build, req, progress)
        fut.add_done_callback(lambda f: self._finish(f, key, author, on_switched))
        return m.Ok(rid=req.rid, detail=str(job))

    def _finish(
        self, fut: asyncio.Future[Scene], key: str, author: str, on_switched: Callable[[], None]
    ) -> None:
        if fut.cancelled():
            return
        exc = fut.exception()
        if exc is not None:
            log.warning("generate failed: %s", exc)
            self.state.update({f"{key}.stage": f"failed: {exc}"[:4000]}, author=author)
            return
        scene = fut.result()
        scene.version = (self.scene.version if self.scene is not None else 0) + 1
        self.scene = scene
        self._switch_source(scene)
        extra, removed = self.on_new_scene(scene) if self.on_new_scene is not None else ({}, ())
        self.state.update(
            {**scene_params(scene), **extra, f"{key}.progress": 1.0, f"{key}.stage": "done"},
            removed=removed,
            author=author,
            scene_version=scene.version,
        )
        on_switched()


def scene_params(scene: Scene) -> dict[str, m.ParamValue]:
    """Live parameters a scene starts with: its own time of day, fog and exposure (a night set stays night)."""
    env = scene.environment
    return {
        "scene.name": scene.name,
        "time_of_day": float(env.time_of_day_h),
        "fog_density": float(env.fog_density),
        "exposure_ev": float(env.exposure_ev),
    }


def _export(scene: Scene) -> _Export:
    from bridge.world import export_glb, manifest

    glb = export_glb(scene)
    return _Export(scene.version, glb, hashlib.sha256(glb).hexdigest(), json.dumps(manifest(scene)))


def _build(req: m.Generate, progress: Callable[[float, str], None]) -> Scene:
    import msgspec

    import bridge.world as world
    from bridge.world.spec import spec_from_toml

    if req.spec_toml:
        spec = spec_from_toml(req.spec_toml, "`spec_toml`")
        if spec.sketch or spec.sky_panorama:
            raise ConfigError(
                "`spec_toml` may not name files (sketch, sky_panorama) on the server; use a shipped spec"
            )
        return world.build_scene(spec, progress=progress)
    if req.prompt:
        spec, unused = world.spec_from_prompt(req.prompt, seed=req.seed)
        return world.build_scene(spec, progress=progress, unused_words=unused)
    if req.spec:
        spec = world.load_spec(req.spec)
        if req.seed:
            spec = msgspec.structs.replace(spec, seed=req.seed)
        return world.build_scene(spec, progress=progress)
    raise VPBridgeError("Generate needs `prompt`, `spec` or `spec_toml`")
