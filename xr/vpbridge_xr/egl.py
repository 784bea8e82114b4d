"""The EGL handles of the current GL context, for OpenXR's `XR_MNDX_egl_enable` graphics binding.

The viewer renders with moderngl on a headless EGL context (`bridge.render.renderer.create_context`);
the runtime needs that context's display, config and context handles, and `eglGetProcAddress`, to
create swapchain images in it. moderngl does not expose them, so they are read back from libEGL for
the context current on this thread.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

from bridge.errors import ConfigError

__all__ = ["EglHandles", "current_handles"]

_EGL_CONFIG_ID = 0x3028
_EGL_NONE = 0x3038


@dataclass(frozen=True)
class EglHandles:
    display: int
    config: int
    context: int
    get_proc_address: int
    """The address of `eglGetProcAddress` (the binding's `getProcAddress`)."""


def _lib() -> ctypes.CDLL:
    try:
        return ctypes.CDLL("libEGL.so.1")
    except OSError as exc:
        raise ConfigError(f"cannot load libEGL.so.1 ({exc}); install `libegl1 libgl1-mesa-dri`") from exc


def current_handles() -> EglHandles:
    """Handles of the EGL context current on this thread (make the moderngl context current first)."""
    egl = _lib()
    egl.eglGetCurrentDisplay.restype = ctypes.c_void_p
    egl.eglGetCurrentContext.restype = ctypes.c_void_p
    egl.eglQueryContext.argtypes = [
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_int32,
        ctypes.POINTER(ctypes.c_int32),
    ]
    egl.eglQueryContext.restype = ctypes.c_uint32
    egl.eglChooseConfig.argtypes = [
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_int32),
        ctypes.POINTER(ctypes.c_void_p),
        ctypes.c_int32,
        ctypes.POINTER(ctypes.c_int32),
    ]
    egl.eglChooseConfig.restype = ctypes.c_uint32
    display = egl.eglGetCurrentDisplay()
    context = egl.eglGetCurrentContext()
    if not display or not context:
        raise ConfigError(
            "no current EGL context on this thread: create the GL context (moderngl, EGL) first"
        )
    config_id = ctypes.c_int32(0)
    if not egl.eglQueryContext(display, context, _EGL_CONFIG_ID, ctypes.byref(config_id)):
        raise ConfigError("eglQueryContext(EGL_CONFIG_ID) failed for the current context")
    attribs = (ctypes.c_int32 * 3)(_EGL_CONFIG_ID, config_id.value, _EGL_NONE)
    config = ctypes.c_void_p(0)
    n = ctypes.c_int32(0)
    if not egl.eglChooseConfig(display, attribs, ctypes.byref(config), 1, ctypes.byref(n)) or n.value < 1:
        # A surfaceless context may have been made with EGL_NO_CONFIG_KHR (config id 0).
        config = ctypes.c_void_p(0)
    gpa = ctypes.cast(egl.eglGetProcAddress, ctypes.c_void_p).value
    assert gpa is not None
    return EglHandles(int(display), int(config.value or 0), int(context), int(gpa))
