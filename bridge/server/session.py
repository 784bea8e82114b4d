"""Sessions and streams: who is connected, with which role, and each stream's credits and newest pose."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from bridge.protocol import messages as m
from bridge.server.framing import StreamSpec

__all__ = ["Session", "Stream"]


@dataclass
class Stream:
    id: int
    session: Session
    spec: StreamSpec
    max_credits: int
    credits: int = 0
    pending: m.PoseRequest | None = None
    """The newest pose request not yet rendered (older ones are replaced: newest wins)."""
    t_pending: int = 0
    last_pose: m.PoseRequest | None = None
    """The last pose rendered, re-rendered when the shared state changes."""
    in_render: int = 0
    seq: int = 0
    replaced: int = 0
    """Pose requests dropped because a newer one arrived first."""
    starved_since: float | None = None
    """When a pose started waiting without a credit (for stall detection)."""
    key_memo: tuple[tuple[Any, ...], Any] | None = None
    """(camera fields of the last request + state seq, its frame-cache key): see `Server._dispatch`."""
    rigid_ok: tuple[float, ...] = ()
    """The last pose matrix that passed `check_pose` (a camera that holds still is not checked again)."""


@dataclass
class Session:
    control_id: bytes
    role: str
    name: str
    token: str = field(default_factory=lambda: secrets.token_hex(12))
    frames_id: bytes | None = None
    key: str = ""
    last_seen: float = field(default_factory=time.monotonic)
    streams: dict[int, Stream] = field(default_factory=dict)

    def touch(self) -> None:
        self.last_seen = time.monotonic()
