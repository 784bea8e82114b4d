"""Render targets and stall-free readback: an HDR + ids + depth framebuffer for the scene pass, and
an output framebuffer (sRGB colour, linear depth, ids) whose attachments are copied into pixel buffer
objects, then into numpy arrays that are allocated once per size and reused frame after frame.
"""

from __future__ import annotations

import moderngl
import numpy as np

from bridge.render.source import RenderedView

__all__ = ["OutputTargets", "SceneTargets"]


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
    """Post-pass framebuffer plus, per view slot, PBOs and the numpy arrays handed to the server."""

    _PARTS = (("color", 4, "f1", np.uint8), ("depth", 1, "f4", np.float32), ("ids", 1, "u2", np.uint16))

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int], slots: int = 2) -> None:
        self.ctx = ctx
        self.size = size
        w, h = size
        self.color = ctx.texture(size, 4, dtype="f1")
        self.depth = ctx.texture(size, 1, dtype="f4")
        self.ids = ctx.texture(size, 1, dtype="u2")
        self.fbo = ctx.framebuffer([self.color, self.depth, self.ids])
        self.pbos: list[dict[str, moderngl.Buffer]] = []
        self.arrays: list[dict[str, np.ndarray]] = []
        for _ in range(slots):
            pb, ar = {}, {}
            for name, comps, _, np_dtype in self._PARTS:
                shape = (h, w, comps) if comps > 1 else (h, w)
                ar[name] = np.empty(shape, np_dtype)
                pb[name] = ctx.buffer(reserve=ar[name].nbytes)
            self.pbos.append(pb)
            self.arrays.append(ar)
        per_slot = w * h * (4 + 4 + 2)
        self.gl_nbytes = w * h * (4 + 4 + 2) + per_slot * slots
        self.cpu_nbytes = per_slot * slots

    def start_read(self, slot: int, color: bool, depth: bool, ids: bool) -> None:
        """Queue GPU-side copies of the wanted attachments into this slot's PBOs (no CPU wait)."""
        want = {"color": color, "depth": depth, "ids": ids}
        for att, (name, comps, dtype, _) in enumerate(self._PARTS):
            if want[name]:
                self.fbo.read_into(self.pbos[slot][name], components=comps, attachment=att, dtype=dtype)

    def finish_read(self, slot: int, color: bool, depth: bool, ids: bool) -> RenderedView:
        """Copy this slot's PBOs into its reused arrays (the only CPU copy) and wrap them."""
        pb, ar = self.pbos[slot], self.arrays[slot]
        for name, want in (("color", color), ("depth", depth), ("ids", ids)):
            if want:
                pb[name].read_into(ar[name])
        return RenderedView(
            ar["color"] if color else None, ar["depth"] if depth else None, ar["ids"] if ids else None
        )

    def release(self) -> None:
        for slot in self.pbos:
            for b in slot.values():
                b.release()
        for r in (self.fbo, self.color, self.depth, self.ids):
            r.release()
