"""Shared state (the clone pattern): values with a sequence number; every change is one delta."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from bridge.protocol import messages as m

__all__ = ["StateStore"]

DEFAULT_PARAMS: dict[str, m.ParamValue] = {
    "time_of_day": 14.0,
    "exposure_ev": 0.0,
    "look": "neutral",
    "grain": 0.0,
    "vignette": 0.0,
    "fog_density": 0.002,
}


class StateStore:
    """Values keyed by name; `seq` grows by one per change; `publish` sends each delta on the state plane."""

    def __init__(
        self, publish: Callable[[m.StateDelta], None], initial: Mapping[str, m.ParamValue] | None = None
    ) -> None:
        self.seq = 0
        self.scene_version = 0
        self.values: dict[str, m.ParamValue] = dict(DEFAULT_PARAMS if initial is None else initial)
        self._publish = publish

    def snapshot(self, rid: int) -> m.StateSnapshot:
        return m.StateSnapshot(
            rid=rid, seq=self.seq, values=dict(self.values), scene_version=self.scene_version
        )

    def update(
        self,
        values: Mapping[str, m.ParamValue],
        *,
        removed: tuple[str, ...] = (),
        author: str = "",
        scene_version: int | None = None,
    ) -> m.StateDelta:
        self.values.update(values)
        for k in removed:
            self.values.pop(k, None)
        if scene_version is not None:
            self.scene_version = scene_version
        self.seq += 1
        delta = m.StateDelta(
            seq=self.seq,
            values=dict(values),
            removed=list(removed),
            scene_version=self.scene_version,
            author=author,
            t_server_ns=time.monotonic_ns(),
        )
        self._publish(delta)
        return delta

    def render_params(self) -> dict[str, object]:
        """The values a frame source reads (presence and other bookkeeping keys left out)."""
        return {k: v for k, v in self.values.items() if not k.startswith("presence.")}
