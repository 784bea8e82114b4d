"""Shared bookmarks: named camera poses any client saves (a scout in a headset, a director's tool, an
engine) and every client sees live, stored per scene in the studio's SQLite so they survive restarts.

State entries (docs/protocol.md §9), both set or removed in the same delta:

- `bookmark.<name>`: 17 floats, the 16 of `T_world_camera` (row-major, like `camera.<session8>`) then
  `fov_y_deg`;
- `bookmark_info.<name>`: JSON text `{"kind", "note", "author", "time_ns"}`.

Only the current scene's bookmarks are published; a scene switch removes the old scene's entries and
publishes the new scene's in the delta that switches. The scene's own bookmarks (`Scene.bookmarks`,
listed in the `SceneInfo` manifest) are read-only: a shared one may not take their names.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from bridge.protocol import messages as m
from bridge.server.control import _check_pose_matrix, error
from bridge.studio import StoredBookmark
from bridge.world.scene import Scene

if TYPE_CHECKING:
    from bridge.server.app import Server
    from bridge.server.session import Session

__all__ = ["INFO_PREFIX", "MAX_PER_SCENE", "PREFIX", "BookmarkService", "check_name"]

log = logging.getLogger("vpbridge.bookmarks")

PREFIX = "bookmark."
"""State key prefix of a shared bookmark's pose + FOV (17 floats)."""
INFO_PREFIX = "bookmark_info."
"""State key prefix of a shared bookmark's metadata (JSON text)."""
MAX_PER_SCENE = 256
"""Shared bookmarks one scene may hold; a save beyond it is RATE_LIMITED."""

_NAME_RE = re.compile(r"[^\W_][\w .\-]{0,63}")
_KIND_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")


def check_name(rid: int, name: str) -> m.Error | None:
    """BAD_REQUEST on `$.name` unless `name` is 1–64 letters (any script), digits, space, `_ . -`,
    starting with a letter or digit and not ending with a space."""
    if _NAME_RE.fullmatch(name) and not name.endswith(" "):
        return None
    return error(
        rid,
        m.ErrorCode.BAD_REQUEST,
        f"bookmark name {name!r} must be 1-64 letters, digits, spaces or _ . -, "
        "starting with a letter or digit and not ending with a space",
        "$.name",
        'e.g. "north balcony" or "cam-3_wide"',
    )


def entries(b: StoredBookmark) -> dict[str, m.ParamValue]:
    """The two state entries of one shared bookmark."""
    info = {"kind": b.kind, "note": b.note, "author": b.author, "time_ns": b.time_ns}
    return {
        PREFIX + b.name: [float(x) for x in (*b.T_world_camera, b.fov_y_deg)],
        INFO_PREFIX + b.name: json.dumps(info, ensure_ascii=False, sort_keys=True),
    }


class BookmarkService:
    """Answers SaveBookmark / DeleteBookmark and keeps the state's `bookmark.*` entries the current
    scene's. Runs on the event loop; each write is one durable SQLite transaction (as commits are)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.history = server.studio.history

    @property
    def scene_key(self) -> str:
        """The current scene's key in the `bookmarks` table."""
        return _scene_key(self.server.scenes.scene)

    def publish_current(self) -> None:
        """Publish the current scene's stored bookmarks (on start: they survive restarts)."""
        values = self._entries_for(self.server.scenes.scene)
        if values:
            self.server.state.update(values, author="bookmarks")

    def scene_switched(self, scene: Scene) -> tuple[dict[str, m.ParamValue], tuple[str, ...]]:
        """The state change that goes with switching to `scene`: its bookmarks set, the old ones removed
        (merged into the scene switch's own delta by SceneService)."""
        values = self._entries_for(scene)
        old = [k for k in self.server.state.values if k.startswith((PREFIX, INFO_PREFIX))]
        return values, tuple(k for k in old if k not in values)

    def save(self, session: Session, req: m.SaveBookmark) -> Any:
        rid = req.rid
        err = check_name(rid, req.name) or _check_pose_matrix(rid, req.T_world_camera, "$.T_world_camera")
        if err is not None:
            return err
        if not _KIND_RE.fullmatch(req.kind):
            return error(
                rid,
                m.ErrorCode.BAD_REQUEST,
                f"bookmark kind {req.kind!r} must be lowercase letters, digits and _, "
                "starting with a letter (at most 32)",
                "$.kind",
                'e.g. "bookmark", "location", "shot"',
            )
        err = self._check_not_the_scenes(rid, req.name)
        if err is not None:
            return err
        stored = self.history.bookmarks(self.scene_key)
        if req.name not in stored and len(stored) >= MAX_PER_SCENE:
            return error(
                rid,
                m.ErrorCode.RATE_LIMITED,
                f"this scene already has {len(stored)} shared bookmarks (the most it may hold)",
                "$.name",
                "delete some with DeleteBookmark first",
            )
        b = StoredBookmark(
            name=req.name,
            T_world_camera=tuple(float(x) for x in req.T_world_camera),
            fov_y_deg=float(req.fov_y_deg),
            note=req.note,
            kind=req.kind,
            author=session.name,
            time_ns=time.time_ns(),
        )
        self.history.save_bookmark(self.scene_key, b)  # durable before it is published and acknowledged
        delta = self.server.state.update(entries(b), author=session.name)
        return m.Ok(rid=rid, detail=str(delta.seq))

    def delete(self, session: Session, req: m.DeleteBookmark) -> Any:
        err = check_name(req.rid, req.name) or self._check_not_the_scenes(req.rid, req.name)
        if err is not None:
            return err
        if not self.history.delete_bookmark(self.scene_key, req.name):
            names = ", ".join(sorted(self.history.bookmarks(self.scene_key))) or "none"
            return error(
                req.rid,
                m.ErrorCode.NOT_FOUND,
                f"there is no shared bookmark {req.name!r} in this scene",
                "$.name",
                f"shared bookmarks: {names}"[:4096],
            )
        keys = (PREFIX + req.name, INFO_PREFIX + req.name)
        delta = self.server.state.update({}, removed=keys, author=session.name)
        return m.Ok(rid=req.rid, detail=str(delta.seq))

    def _check_not_the_scenes(self, rid: int, name: str) -> m.Error | None:
        scene = self.server.scenes.scene
        if scene is None or all(b.name != name for b in scene.bookmarks):
            return None
        return error(
            rid,
            m.ErrorCode.CONFLICT,
            f"{name!r} is one of the scene's own bookmarks, which are read-only",
            "$.name",
            "choose another name (the scene's bookmarks are in the GetScene manifest)",
        )

    def _entries_for(self, scene: Scene | None) -> dict[str, m.ParamValue]:
        own = {b.name for b in scene.bookmarks} if scene is not None else set()
        values: dict[str, m.ParamValue] = {}
        for name, b in self.history.bookmarks(_scene_key(scene)).items():
            if name in own:  # the scene gained a bookmark of that name since: the scene's wins
                log.warning("shared bookmark %r is hidden by the scene's own bookmark of that name", name)
                continue
            values |= entries(b)
        return values


def _scene_key(scene: Scene | None) -> str:
    """Shared bookmarks belong to a scene by name ('' for a server without a scene: the test pattern)."""
    return scene.name if scene is not None else ""
