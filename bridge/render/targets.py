"""Render targets and stall-free readback: an HDR + ids + depth framebuffer for the scene pass, and
an output framebuffer (sRGB colour, linear depth, ids) whose attachments are copied into pixel buffer
objects, then into numpy arrays from a pool that writes an array again only once nothing references it.
"""

from __future__ import annotations

import sys

import moderngl
import numpy as np

from bridge.render.source import RenderedView

__all__ = ["ArrayPool", "OutputTargets", "SceneTargets"]


def _refcount(arrays: list[np.ndarray], i: int) -> int:
    return sys.getrefcount(arrays[i])


_UNREFERENCED = _refcount([np.empty(0)], 0)
"""`_refcount` of an array that only its pool's list holds (measured, not assumed, per interpreter)."""


class ArrayPool:
    """Arrays of one shape and dtype that are fresh to whoever receives them: an array is written again
    only once nothing but the pool references it — not the caller, not the server's frame cache, not
    ZeroMQ, which keeps a reference to every buffer it sends zero-copy until libzmq is done with it. Any
    numpy view, memoryview or zmq.Frame of an array counts, since each holds a reference to it.

    Up to `cap` arrays are tracked; beyond that `take` allocates untracked ones. At most `spare` free
    arrays are kept: the rest are released the next time one is taken."""

    def __init__(
        self, shape: tuple[int, ...], dtype: type[np.generic], *, spare: int = 2, cap: int = 64
    ) -> None:
        self.shape = shape
        self.dtype = np.dtype(dtype)
        self.spare = spare
        self.cap = cap
        self._arrays: list[np.ndarray] = []
        self.allocated = 0
        """Arrays allocated so far (tracked or not): grows only while every tracked one is in use."""

    def take(self) -> np.ndarray:
        """An array nobody else references (contents undefined)."""
        arrays = self._arrays
        free = [i for i in range(len(arrays)) if _refcount(arrays, i) <= _UNREFERENCED]
        if free:
            # Nothing can gain a reference to an array only the pool holds, so `free` stays free.
            for i in reversed(free[1 + self.spare :]):
                del arrays[i]
            return arrays[free[0]]
        self.allocated += 1
        a = np.empty(self.shape, self.dtype)
        if len(arrays) < self.cap:
            arrays.append(a)
        return a

    @property
    def nbytes_each(self) -> int:
        return int(np.prod(self.shape)) * self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes of the tracked arrays (in use or spare)."""
        return len(self._arrays) * self.nbytes_each

    def clear(self) -> None:
        self._arrays.clear()


class SceneTargets:
    """Scene-pass framebuffer. Bare floor: RGBA16F radiance + R16UI ids + 24-bit depth. Deferred
    (full shading): a G-buffer of RGBA16F normal, RG16UI (id, material), RGBA8 albedo, 24-bit depth;
    `radiance_fbo()` adds an RGBA16F radiance target for cube atlases, which are lit before resampling."""

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int], *, deferred: bool = False) -> None:
        self.ctx = ctx
        self.size = size
        self.deferred = deferred
        self.ids = ctx.texture(size, 2 if deferred else 1, dtype="u2")
        self.ids.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self.depth = ctx.depth_texture(size)
        self.depth.compare_func = ""  # sampled as plain depth by the post pass
        self.depth.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self.hdr: moderngl.Texture | None = None
        self.normal: moderngl.Texture | None = None
        self.albedo: moderngl.Texture | None = None
        self._resolve: moderngl.Framebuffer | None = None
        if deferred:
            self.normal = ctx.texture(size, 4, dtype="f2")
            self.albedo = ctx.texture(size, 4, dtype="f1")
            for t in (self.normal, self.albedo):
                t.filter = (moderngl.NEAREST, moderngl.NEAREST)
            self.fbo = ctx.framebuffer([self.normal, self.ids, self.albedo], self.depth)
            self.nbytes = size[0] * size[1] * (8 + 4 + 4 + 4)
        else:
            self.hdr = self._radiance()
            self.fbo = ctx.framebuffer([self.hdr, self.ids], self.depth)
            self.nbytes = size[0] * size[1] * (8 + 2 + 4)

    def _radiance(self) -> moderngl.Texture:
        hdr = self.ctx.texture(self.size, 4, dtype="f2")
        hdr.filter = (moderngl.LINEAR, moderngl.LINEAR)
        return hdr

    def radiance_fbo(self) -> moderngl.Framebuffer:
        """A framebuffer on `hdr` (created on first use) that the deferred lighting writes into."""
        if self._resolve is None:
            if self.hdr is None:
                self.hdr = self._radiance()
                self.nbytes += self.size[0] * self.size[1] * 8
            self._resolve = self.ctx.framebuffer([self.hdr])
        return self._resolve

    def release(self) -> None:
        for r in (self._resolve, self.fbo, self.hdr, self.normal, self.albedo, self.ids, self.depth):
            if r is not None:
                r.release()


class OutputTargets:
    """Post-pass framebuffer plus, per view slot, PBOs; the arrays handed to the server come from pools.
    Depth is R32F, or R16F with `depth_dtype="float16"` (GL writes half floats; readback is a copy)."""

    def __init__(
        self, ctx: moderngl.Context, size: tuple[int, int], slots: int = 2, depth_dtype: str = "float32"
    ) -> None:
        self.ctx = ctx
        self.size = size
        w, h = size
        half = depth_dtype == "float16"
        self.parts = (
            ("color", 4, "f1", np.uint8),
            ("depth", 1, "f2" if half else "f4", np.float16 if half else np.float32),
            ("ids", 1, "u2", np.uint16),
        )
        self.color = ctx.texture(size, 4, dtype="f1")
        self.depth = ctx.texture(size, 1, dtype=self.parts[1][2])
        self.ids = ctx.texture(size, 1, dtype="u2")
        self.fbo = ctx.framebuffer([self.color, self.depth, self.ids])
        self.pbos: list[dict[str, moderngl.Buffer]] = []
        self.pools: dict[str, ArrayPool] = {}
        for name, comps, _, np_dtype in self.parts:
            self.pools[name] = ArrayPool((h, w, comps) if comps > 1 else (h, w), np_dtype)
        for _ in range(slots):
            self.pbos.append({name: ctx.buffer(reserve=self.pools[name].nbytes_each) for name in self.pools})
        per_pixel = 4 + (2 if half else 4) + 2
        self.gl_nbytes = w * h * per_pixel * (1 + slots)

    @property
    def cpu_nbytes(self) -> int:
        return sum(p.nbytes for p in self.pools.values())

    def start_read(self, slot: int, color: bool, depth: bool, ids: bool) -> None:
        """Queue GPU-side copies of the wanted attachments into this slot's PBOs (no CPU wait)."""
        want = {"color": color, "depth": depth, "ids": ids}
        for att, (name, comps, dtype, _) in enumerate(self.parts):
            if want[name]:
                self.fbo.read_into(self.pbos[slot][name], components=comps, attachment=att, dtype=dtype)

    def finish_read(self, slot: int, color: bool, depth: bool, ids: bool) -> RenderedView:
        """Copy this slot's PBOs into pooled arrays (the only CPU copy) and wrap them."""
        pb = self.pbos[slot]
        out: dict[str, np.ndarray | None] = {}
        for name, want in (("color", color), ("depth", depth), ("ids", ids)):
            out[name] = None
            if want:
                a = self.pools[name].take()
                pb[name].read_into(a)
                out[name] = a
        return RenderedView(out["color"], out["depth"], out["ids"])

    def release(self) -> None:
        for slot in self.pbos:
            for b in slot.values():
                b.release()
        for r in (self.fbo, self.color, self.depth, self.ids):
            r.release()
        for p in self.pools.values():
            p.clear()
