"""Procedural builders (the embedded default: no weights, no network): city, terrain, coast and
interior sets built deterministically from a `WorldSpec` and its seed.
"""

from bridge.world.procedural.build import build_scene, default_scene

__all__ = ["build_scene", "default_scene"]
