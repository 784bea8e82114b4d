"""Keep received frame buffers for reuse (glibc): a process-wide allocator setting for frame receivers.

libzmq allocates every large incoming message part with `malloc` on its I/O thread, and a 1080p
RGBA8 + float16 frame is two such parts (8.3 + 4.1 MB). glibc gives freed memory at the top of a heap
back to the OS once more than `M_TRIM_THRESHOLD` is free there (by default twice the largest block it
has freed, ~16 MB here), and a receiver whose frames come and go in bursts (credits: 1–3 in flight)
crosses that often: the next frames land on pages the kernel must fault in and zero again, 200–400
faults and ~0.5 ms of CPU per 1080p frame, the largest single cost of receiving one. Raising the trim
threshold keeps that memory for the next frames.

Setting any glibc threshold turns off glibc's dynamic mmap threshold, so `M_MMAP_THRESHOLD` is set too:
to its maximum (32 MiB on 64-bit), which is also where the dynamic threshold ends; blocks below it come
from the heap and are reused, larger ones (a 4K RGBA part) are mapped and unmapped as before. The cost:
up to `trim_bytes` of freed memory stays with the process instead of going back to the OS.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["MMAP_THRESHOLD_BYTES", "TRIM_THRESHOLD_BYTES", "keep_frame_buffers"]

TRIM_THRESHOLD_BYTES = 128 << 20
"""Free memory a heap keeps before glibc trims it: ten 1080p frames."""
MMAP_THRESHOLD_BYTES = 32 << 20
"""glibc's largest mmap threshold on 64-bit (HEAP_MAX_SIZE / 2)."""
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

_applied: bool | None = None


def keep_frame_buffers() -> bool:
    """Apply the setting once per process (later calls return the first result). True when applied;
    False where the C library is not glibc (other allocators are left alone) or `mallopt` refused."""
    global _applied
    if _applied is None:
        _applied = _apply()
    return _applied


def _apply() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, ValueError, AttributeError):  # no glibc (musl), or no confstr name
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success, 0 on error.
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    )
