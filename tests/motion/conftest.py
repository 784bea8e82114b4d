"""Fixtures for the motion tests (scenes and checks live in `helpers`)."""

from __future__ import annotations

import pytest

from bridge.motion import Planner

from .helpers import GROUND, box_scene


@pytest.fixture(scope="module")
def gap_planner() -> Planner:
    """A tall wall across z = 0 with a 2.4 m gap at x in (-1.2, 1.2)."""
    return Planner(
        box_scene([GROUND, ((-16.2, 10.0, 0.0), (30.0, 20.0, 0.4)), ((16.2, 10.0, 0.0), (30.0, 20.0, 0.4))])
    )
