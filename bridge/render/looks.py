"""Named colour grades ("looks") applied by the post pass, and their default grain and vignette.

A grade is a handful of uniforms, so switching looks never touches the scene. Grades act in display
space after the filmic tone map: contrast, lift/gamma/gain (ASC-CDL-like), then saturation.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.errors import ConfigError

__all__ = ["LOOKS", "Grade", "grade"]


@dataclass(frozen=True)
class Grade:
    """One look. Lift/gamma/gain are per-channel; grey values keep a grade neutral in hue."""

    saturation: float = 1.0
    contrast: float = 1.0
    lift: tuple[float, float, float] = (0.0, 0.0, 0.0)
    gamma: tuple[float, float, float] = (1.0, 1.0, 1.0)
    gain: tuple[float, float, float] = (1.0, 1.0, 1.0)
    exposure_ev: float = 0.0
    """Added to the scene's exposure (noir prints a little darker)."""
    vignette: float = 0.0
    """Default vignette amount (0..1) when the job's params do not give one."""
    grain: float = 0.0
    """Default film grain amount (0..1) when the job's params do not give one."""


_GRADES: dict[str, Grade] = {
    "neutral": Grade(),
    # Black and white, crushed blacks, bright highlights, heavy vignette and grain: saturation is
    # exactly zero, so R = G = B in every pixel.
    "noir": Grade(
        saturation=0.0,
        contrast=1.35,
        lift=(-0.03, -0.03, -0.03),
        gamma=(0.95, 0.95, 0.95),
        gain=(1.08, 1.08, 1.08),
        exposure_ev=-0.2,
        vignette=0.45,
        grain=0.35,
    ),
    # Punchy commercial look: more saturation and contrast, a warm push in the highlights.
    "vibrant": Grade(
        saturation=1.45,
        contrast=1.12,
        gamma=(1.03, 1.0, 0.98),
        gain=(1.04, 1.01, 0.97),
        exposure_ev=0.1,
        vignette=0.15,
    ),
    # Natural, slightly flat and cool, lifted shadows, like ungraded documentary footage.
    "documentary": Grade(
        saturation=0.78,
        contrast=0.9,
        lift=(0.025, 0.028, 0.032),
        gain=(0.97, 0.99, 1.02),
        vignette=0.1,
        grain=0.12,
    ),
}

LOOKS: tuple[str, ...] = tuple(_GRADES)
"""The look names the renderer accepts, in display order."""


def grade(name: str) -> Grade:
    """The grade for a look name; raises ConfigError naming the valid looks."""
    try:
        return _GRADES[name]
    except KeyError:
        raise ConfigError(f"`look` must be one of {', '.join(LOOKS)}, got {name!r}") from None
