"""Seeded gradient noise on grids: fBm, ridged multifractal and an erosion-like variant whose
octaves are damped on steep slopes (so valleys stay smooth and ridges stay sharp).
Pure numpy and deterministic for a seed.
"""

from __future__ import annotations

import numpy as np

__all__ = ["eroded", "fbm", "gradient_noise", "ridged"]


def _fade(t: np.ndarray) -> np.ndarray:
    return np.asarray(t * t * t * (t * (t * 6 - 15) + 10))


def gradient_noise(x: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """Perlin-style gradient noise in about -1..1 at points (x, y)."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(256)
    perm = np.concatenate([perm, perm])
    ang = rng.uniform(0, 2 * np.pi, 256)
    grads = np.stack([np.cos(ang), np.sin(ang)], -1)
    xi, yi = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    xf, yf = x - xi, y - yi
    xi &= 255
    yi &= 255

    def corner(dx: int, dy: int) -> np.ndarray:
        h = perm[perm[xi + dx] + yi + dy]
        g = grads[h]
        return np.asarray(g[..., 0] * (xf - dx) + g[..., 1] * (yf - dy))

    u, v = _fade(xf), _fade(yf)
    n00, n10, n01, n11 = corner(0, 0), corner(1, 0), corner(0, 1), corner(1, 1)
    nx0 = n00 + u * (n10 - n00)
    nx1 = n01 + u * (n11 - n01)
    return np.asarray((nx0 + v * (nx1 - nx0)) * 1.41)


def fbm(
    x: np.ndarray, y: np.ndarray, seed: int, octaves: int = 6, lacunarity: float = 2.0, gain: float = 0.5
) -> np.ndarray:
    """Fractal Brownian motion, normalised to about -1..1."""
    total, amp, norm = np.zeros_like(x, dtype=np.float64), 1.0, 0.0
    f = 1.0
    for o in range(octaves):
        total += amp * gradient_noise(x * f, y * f, seed + 101 * o)
        norm += amp
        amp *= gain
        f *= lacunarity
    return total / norm


def ridged(
    x: np.ndarray, y: np.ndarray, seed: int, octaves: int = 6, lacunarity: float = 2.0, gain: float = 0.5
) -> np.ndarray:
    """Ridged multifractal in 0..1: sharp crests where the noise crosses zero."""
    total, amp, norm, weight = np.zeros_like(x, dtype=np.float64), 1.0, 0.0, np.ones_like(x, dtype=np.float64)
    f = 1.0
    for o in range(octaves):
        n = 1.0 - np.abs(gradient_noise(x * f, y * f, seed + 211 * o))
        n = n * n
        total += amp * n * weight
        weight = np.clip(n * 2.0, 0.0, 1.0)
        norm += amp
        amp *= gain
        f *= lacunarity
    return total / norm


def eroded(
    heights: np.ndarray, cell_m: float, seed: int, strength: float = 1.0, octaves: int = 5
) -> np.ndarray:
    """Add detail octaves damped by the accumulated slope: gullies on slopes, smooth flats (erosion-like)."""
    n = heights.shape[0]
    ys, xs = np.mgrid[0:n, 0:n].astype(np.float64) / n
    out = heights.astype(np.float64).copy()
    gy, gx = np.gradient(out, cell_m)
    acc = np.zeros_like(out)
    amp, f = strength, 8.0
    for o in range(octaves):
        acc += gx * gx + gy * gy
        detail = gradient_noise(xs * f, ys * f, seed + 307 * o)
        out += amp * detail / (1.0 + 4.0 * acc)
        amp *= 0.45
        f *= 2.1
    return out
