"""Camera motion: collision-aware planning (fly and walk), comfort-limited time parametrisation,
interruptions that replan from the current pose and velocity, named moves (orbit, dolly, crane),
and keyframe paths. `Planner(scene).plan(start, goal)` returns a `CameraPath`.
"""

from bridge.motion.keyframes import keyframe_path
from bridge.motion.path import CameraPath
from bridge.motion.planner import Endpoint, Planner, PlanningError
from bridge.motion.presets import PRESETS, Preset, preset_from_name
from bridge.motion.primitives import crane, dolly, orbit
from bridge.motion.walk import Body

__all__ = [
    "PRESETS",
    "Body",
    "CameraPath",
    "Endpoint",
    "Planner",
    "PlanningError",
    "Preset",
    "crane",
    "dolly",
    "keyframe_path",
    "orbit",
    "preset_from_name",
]
