"""Comfort presets: the limits a camera path keeps (speed, acceleration, jerk, yaw rate) and the walk
body (eye height, step, slope). A typed table; `preset_from_name` resolves a name with a clear error."""

from __future__ import annotations

from dataclasses import dataclass

from bridge.errors import ConfigError

__all__ = ["PRESETS", "Preset", "preset_from_name"]


@dataclass(frozen=True)
class Preset:
    """Limits a path keeps everywhere (checked with numerical derivatives in the tests)."""

    name: str
    max_speed: float
    """Metres per second along the path (fly mode)."""
    max_accel: float
    """Metres per second squared, total (along the path and sideways in curves)."""
    max_jerk: float
    """Metres per second cubed."""
    max_yaw_rate_deg: float
    """Degrees per second of turning about world Y (pitch changes keep the same limit)."""
    walk_speed: float = 1.4
    """Metres per second in walk mode (capped by `max_speed`)."""
    description: str = ""


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "comfortable",
            3.0,
            1.0,
            2.0,
            30.0,
            1.2,
            "VR-safe: slow, gentle starts, slow turns; the headset default",
        ),
        Preset("cinematic", 6.0, 2.0, 4.0, 45.0, 1.4, "smooth camera-operator moves for screen output"),
        Preset("fast", 15.0, 6.0, 15.0, 120.0, 2.0, "quick repositioning when comfort does not matter"),
    )
}
"""The shipped presets by name; `comfortable` is the default (made for VR)."""


def preset_from_name(preset: str | Preset) -> Preset:
    """A `Preset` as given, or the shipped one with that name."""
    if isinstance(preset, Preset):
        return preset
    try:
        return PRESETS[preset]
    except KeyError:
        raise ConfigError(
            f"`preset` must be one of {', '.join(PRESETS)} (or a Preset), got {preset!r}"
        ) from None
