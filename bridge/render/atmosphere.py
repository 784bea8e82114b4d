"""Sun, sky and fog for one frame, from the scene's Environment and the job's live parameters.

A cheap analytic model: the sun is attenuated by air mass (Kasten-Young) so it reddens at the horizon;
sky zenith/horizon colours, ground bounce and Mie glow follow sun elevation and weather; below the
horizon a dim moon takes over as key light and the night factor turns emissive windows on.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from bridge.world.scene import Environment

__all__ = ["Lighting", "lighting"]

_CLOUD = {"clear": 0.0, "overcast": 0.85, "rain": 0.9, "fog": 0.7, "snow": 0.8}
Vec3 = tuple[float, float, float]


@dataclass(frozen=True)
class Lighting:
    """Uniform values shared by the scene, point and post passes."""

    key_dir: Vec3
    """Unit vector towards the key light: the sun by day, the moon at night."""
    key_radiance: Vec3
    sky_zenith: Vec3
    sky_horizon: Vec3
    ground: Vec3
    glow: Vec3
    ambient: Vec3
    """Extra hemispheric light at night: city glow bounced off clouds and walls."""
    night: float
    """0 by day .. 1 at night; scales night-only emissives and lights."""
    shadows: bool
    """Whether the key light is strong enough to be worth a shadow map."""
    fog_density: float
    exposure: float
    """Linear multiplier before the tone map."""


def _smooth(e0: float, e1: float, x: float) -> float:
    t = min(1.0, max(0.0, (x - e0) / (e1 - e0)))
    return t * t * (3.0 - 2.0 * t)


def _v(a: np.ndarray) -> Vec3:
    return (float(a[0]), float(a[1]), float(a[2]))


def _num(params: dict[str, object], key: str) -> float | None:
    v = params.get(key)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def environment_for(env: Environment, params: dict[str, object]) -> Environment:
    """The environment with the live time of day / sun angles applied (the scene is not modified)."""
    changes: dict[str, object] = {}
    tod = _num(params, "time_of_day")
    if tod is not None:
        changes["time_of_day_h"] = tod % 24.0
        changes["sun_azimuth_deg"] = None
        changes["sun_elevation_deg"] = None
    az, el = _num(params, "sun_azimuth"), _num(params, "sun_elevation")
    if az is not None:
        changes["sun_azimuth_deg"] = az
    if el is not None:
        changes["sun_elevation_deg"] = el
    return dataclasses.replace(env, **changes) if changes else env  # type: ignore[arg-type]


def lighting(env: Environment, params: dict[str, object], exposure_bias_ev: float = 0.0) -> Lighting:
    env = environment_for(env, params)
    sun = env.sun_direction()
    s = float(sun[1])
    deg = math.degrees(math.asin(max(-1.0, min(1.0, s))))
    cloud = _CLOUD.get(env.weather, 0.0)
    day = _smooth(-0.10, 0.25, s)
    night = 1.0 - _smooth(-0.21, 0.02, s)
    # Air mass and a Rayleigh-heavy extinction: blue is lost first, so low suns go orange then red.
    airmass = 1.0 / (max(s, 0.0) + 0.15 * max(deg + 3.885, 0.1) ** -1.253) if deg > -3.8 else 40.0
    beta = np.array([0.02, 0.045, 0.11]) * (0.7 + 0.15 * env.turbidity)
    trans = np.exp(-beta * min(airmass, 40.0))
    k_sun = env.sun_intensity / 3.0
    sun_rad = np.array(env.sun_color) * env.sun_intensity * trans * _smooth(-0.02, 0.04, s) * (1.0 - cloud)
    sunset = math.exp(-max(s, 0.0) * 8.0) * day
    zen = np.array([0.10, 0.22, 0.55]) * (0.55 + 0.45 * max(s, 0.0))
    hor = np.array([0.55, 0.65, 0.80])
    hor = hor + (np.array([1.0, 0.5, 0.25]) * 0.9 - hor) * sunset * 0.85
    zen = zen + (np.array([0.14, 0.14, 0.32]) - zen) * sunset * 0.5
    zen, hor = zen * k_sun, hor * k_sun
    if cloud:
        grey = (
            (0.3 * float(zen.mean()) + 0.7 * float(hor.mean()))
            * (1.0 + 0.5 * cloud)
            * np.array([0.95, 0.97, 1.0])
        )
        zen, hor = zen + (grey - zen) * cloud, hor + (grey - hor) * cloud
    # Night: a deep blue zenith and a faint sodium glow of city light low on a cloudy horizon.
    zen_n = np.array([0.0006, 0.0009, 0.0022])
    hor_n = np.array([0.0030, 0.0028, 0.0036]) + np.array([0.0035, 0.0018, 0.0008]) * cloud
    zen = zen * day + zen_n * (1.0 - day)
    hor = hor * day + hor_n * (1.0 - day)
    glow = sun_rad * 0.12 * env.turbidity / 3.0
    ground = 0.2 * (0.5 * (zen + hor) + sun_rad * max(s, 0.0) * 0.35)
    key_dir, key_rad, shadows = sun, sun_rad, bool(sun_rad.max() > 0.02)
    if not shadows:
        # The moon: high in the opposite sky, cool and dim; no shadow map for it.
        moon = np.array([-sun[0], abs(sun[1]) + 0.6, -sun[2]])
        key_dir = moon / np.linalg.norm(moon)
        key_rad = np.array([0.05, 0.06, 0.09]) * _smooth(-0.03, -0.2, s) * (1.0 - 0.7 * cloud)
    fog = _num(params, "fog_density")
    ev = _num(params, "exposure_ev")
    ev_total = (env.exposure_ev if ev is None else ev) + exposure_bias_ev
    # Cameras open up at night: a fixed auto-exposure curve keeps night sets readable.
    auto = 1.0 + 1.0 * night
    return Lighting(
        key_dir=_v(key_dir),
        key_radiance=_v(key_rad),
        sky_zenith=_v(zen),
        sky_horizon=_v(hor),
        ground=_v(ground),
        glow=_v(glow),
        ambient=_v(np.array([0.010, 0.008, 0.007]) * (1.0 + cloud) * night),
        night=night,
        shadows=shadows,
        fog_density=max(0.0, env.fog_density if fog is None else fog),
        exposure=(2.0**ev_total) * auto,
    )
