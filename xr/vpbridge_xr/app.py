"""`vpbridge xr ENDPOINT`: the headset viewer — connect, pick a mode, run the OpenXR frame loop.

Threading: everything GL and OpenXR runs on the calling thread (the EGL context is current there);
the client's network I/O runs on its own loop thread; slow server calls made by tools (a still
capture, a bookmark, a time-of-day change, the presence report) go through `ServerCalls`, a small
worker thread, so the frame loop never waits on the network.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bridge.errors import ConfigError

__all__ = ["ServerCalls", "Viewer", "ViewerOptions"]

log = logging.getLogger("vpbridge.xr")


@dataclass
class ViewerOptions:
    endpoint: str
    keys: str | None = None
    role: str = "director"
    """Asked for in the handshake: a scout changes the time of day. With CURVE keys the key decides."""
    mode: str = "local"
    """local | stream | holo."""
    frames: int | None = None
    """Stop (politely: xrRequestExitSession) after this many frames; None = until the runtime ends it."""
    resolution_scale: float = 1.0
    stream_scale: float = 1.0
    """Stream mode: the server renders at this fraction of the swapchain size."""
    stream_credits: int = 1
    """Stream mode: frames in flight. 1 keeps the pose→photon latency at about one render (the
    runtime reprojects in between); 2 keeps the server busy for more frames/s but a pose then waits
    behind the frame being rendered (bench/xr.py: 1.12x vs 2.1x the render time)."""
    reproject: str = "runtime"
    """Stream mode: "runtime" submits each frame with its render pose; "viewer" reprojects itself."""
    holo_at: str | None = None
    """Holographic review centre: a bookmark name or "x,y,z" (default: the spawn bookmark)."""
    holo_width: int = 2048
    stills_dir: Path = Path("stills")
    summary_json: Path | None = None
    name: str = "vpbridge-xr"
    timeout: float = 20.0
    tools: bool = True


class ServerCalls:
    """Runs server requests on a worker thread; results and errors come back as messages to show."""

    def __init__(self) -> None:
        self._q: queue.Queue[tuple[str, Callable[[], Any]] | None] = queue.Queue(maxsize=64)
        self.messages: queue.Queue[str] = queue.Queue()
        self.done: list[tuple[str, Any]] = []
        self._t = threading.Thread(target=self._run, name="vpbridge-xr-calls", daemon=True)
        self._t.start()

    def submit(self, label: str, fn: Callable[[], Any]) -> bool:
        try:
            self._q.put_nowait((label, fn))
            return True
        except queue.Full:
            self.messages.put(f"{label}: busy, try again")
            return False

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            label, fn = item
            try:
                result = fn()
                self.done.append((label, result))
            except Exception as exc:  # shown in the headset, never fatal
                self.messages.put(f"{label}: {exc}")
                log.warning("%s failed: %s", label, exc)
            finally:
                self._q.task_done()

    def drain(self, timeout: float = 10.0) -> None:
        """Wait for queued calls (at exit, so a still being captured is not lost)."""
        end = time.monotonic() + timeout
        while self._q.unfinished_tasks and time.monotonic() < end:
            time.sleep(0.01)

    def close(self) -> None:
        self.drain()
        self._q.put(None)
        self._t.join(timeout=2.0)


@dataclass
class Viewer:
    """The headset viewer. `run()` returns a summary (frames, timings, what the tools did)."""

    options: ViewerOptions
    log_lines: list[str] = field(default_factory=list)

    def run(self) -> dict[str, Any]:
        from bridge.client_sync import Client
        from bridge.render.renderer import create_context
        from vpbridge_xr.compositor import Compositor
        from vpbridge_xr.modes import HoloMode, LocalMode, Mode, StreamMode, Timings
        from vpbridge_xr.session import XrSession

        opts = self.options
        if opts.mode not in ("local", "stream", "holo"):
            raise ConfigError(f"--mode must be local, stream or holo, got {opts.mode!r}")
        ctx = create_context()
        client = Client(
            opts.endpoint,
            name=opts.name,
            keys=opts.keys,
            role=opts.role,
            timeout=opts.timeout,
            follow_state=True,
        )
        client.connect()
        calls = ServerCalls()
        timings = Timings()
        session: XrSession | None = None
        mode: Mode | None = None
        scouting: Any = None
        try:
            import vpbridge_xr.tools as tools_mod

            session = XrSession(
                ctx,
                app_name=opts.name,
                actions=tools_mod.action_specs() if opts.tools else (),
                bindings=tools_mod.bindings() if opts.tools else None,
                resolution_scale=opts.resolution_scale,
            )
            compositor = Compositor(ctx)
            local = None
            if opts.mode == "local" or opts.tools:
                from vpbridge_xr.local_scene import LocalScene

                local = LocalScene.fetch(client)
            if opts.mode == "local":
                from bridge.render.renderer import SceneRenderer

                assert local is not None
                renderer = SceneRenderer(local.scene, ctx)
                mode = LocalMode(ctx, renderer, compositor, timings)
            elif opts.mode == "stream":
                mode = StreamMode(
                    ctx,
                    client,
                    compositor,
                    timings,
                    session.sizes,
                    reproject=opts.reproject,
                    scale=opts.stream_scale,
                    credits=opts.stream_credits,
                )
            else:
                centre = tools_mod.resolve_point(opts.holo_at, local.scene if local else None)
                mode = HoloMode(ctx, client, compositor, timings, centre=centre, width=opts.holo_width)
            if opts.tools:
                scouting = tools_mod.Scouting(
                    ctx, session, client, calls, local.scene if local else None, stills_dir=opts.stills_dir
                )
            t_start = time.perf_counter()
            t_prev = [time.perf_counter()]
            frame_ms: list[float] = []

            def render(frame: Any) -> None:
                now = time.perf_counter()
                frame_ms.append((now - t_prev[0]) * 1e3)
                t_prev[0] = now
                params = local.params(client) if local is not None else dict(client.state)
                if scouting is not None:
                    scouting.before_render(frame, params)
                assert mode is not None
                mode.render(frame, params)
                if scouting is not None:
                    scouting.after_render(frame)

            frames = session.run(render, max_frames=opts.frames)
            calls.drain()
            wall = time.perf_counter() - t_start
            summary: dict[str, Any] = {
                "runtime": session.runtime_name,
                "mode": opts.mode,
                "frames": frames,
                "eye_size": list(session.sizes[0]),
                "depth_layer": session.depth_layer,
                "wall_s": wall,
                "frame_ms_mean": float(np.mean(frame_ms[1:])) if len(frame_ms) > 1 else 0.0,
                "frame_ms_p50": float(np.median(frame_ms[1:])) if len(frame_ms) > 1 else 0.0,
                "stages": timings.summary(),
                "states_end": session.state,
                "messages": list(self.log_lines),
            }
            if scouting is not None:
                summary["tools"] = scouting.summary()
            while not calls.messages.empty():
                summary["messages"].append(calls.messages.get_nowait())
            if opts.summary_json is not None:
                opts.summary_json.parent.mkdir(parents=True, exist_ok=True)
                opts.summary_json.write_text(json.dumps(summary, indent=2, default=str))
            return summary
        finally:
            if mode is not None:
                mode.close()
            if scouting is not None:
                scouting.close()
            calls.close()
            if session is not None:
                session.close()
            client.close()
