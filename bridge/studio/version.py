"""The stored form of history: the SQLite layout (schema version 1), and `Version`, one committed
state of every parameter, decoded from a row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from bridge.protocol.messages import ParamValue

__all__ = [
    "COLUMNS",
    "DDL",
    "SCHEMA_VERSION",
    "Kind",
    "StoredBookmark",
    "Values",
    "Version",
    "encode",
    "version_from_row",
]

SCHEMA_VERSION = 1
"""Version of the database layout, stored in `meta`; a newer file is refused, older ones migrate."""

Values = dict[str, ParamValue]
Kind = Literal["init", "commit", "transaction", "undo", "redo", "preset"]

DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
    id       INTEGER PRIMARY KEY,
    parent   INTEGER REFERENCES versions(id),  -- first parent, NULL for the root
    parents  TEXT NOT NULL,                    -- JSON list of every parent
    author   TEXT NOT NULL,
    time_ns  INTEGER NOT NULL,
    message  TEXT NOT NULL,
    kind     TEXT NOT NULL,
    branch   TEXT,                             -- branch HEAD was on, NULL when detached
    changes  TEXT NOT NULL,                    -- JSON: values that differ from the first parent
    snapshot TEXT NOT NULL,                    -- JSON: every value
    base     INTEGER,                          -- undo bookkeeping, `Version.base`, NULL = id
    redo     INTEGER                           -- undo bookkeeping, `Version.redo`, NULL for undos = id
);
CREATE TABLE IF NOT EXISTS refs (name TEXT PRIMARY KEY, version INTEGER NOT NULL REFERENCES versions(id));
CREATE TABLE IF NOT EXISTS presets (
    name TEXT PRIMARY KEY, snapshot TEXT NOT NULL, author TEXT NOT NULL, time_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS bookmarks (
    scene  TEXT NOT NULL,                      -- the scene's name: each scene has its own bookmarks
    name   TEXT NOT NULL,
    pose   TEXT NOT NULL,                      -- JSON: 16 floats of T_world_camera, row-major
    fov_y_deg REAL NOT NULL,
    note   TEXT NOT NULL,
    kind   TEXT NOT NULL,
    author TEXT NOT NULL,
    time_ns INTEGER NOT NULL,
    PRIMARY KEY (scene, name)
);
"""
COLUMNS = "id, parents, author, time_ns, message, kind, branch, changes, snapshot, base, redo"
encode = msgspec.json.Encoder(order="sorted").encode
decode_values = msgspec.json.Decoder(dict[str, ParamValue]).decode


@dataclass(frozen=True)
class Version:
    """One committed state of every parameter. Versions are immutable; history only grows."""

    id: int
    parents: tuple[int, ...]
    author: str
    time_ns: int
    """Wall-clock time of the commit (ns since the Unix epoch)."""
    message: str
    kind: Kind
    branch: str | None
    """The branch this version was committed on; None when HEAD was detached."""
    changes: Values
    """The values that differ from the first parent (all values for the root)."""
    values: Values = field(repr=False)
    """Every parameter as of this version."""
    base: int
    """Undo position: the change an `undo` here reverts (self for ordinary changes)."""
    redo: int | None
    """The undo version a `redo` here reverses (None: nothing to redo)."""

    @property
    def parent(self) -> int | None:
        return self.parents[0] if self.parents else None


@dataclass(frozen=True)
class StoredBookmark:
    """A shared bookmark as stored (one row of `bookmarks`): a named camera pose of one scene. Not
    versioned: saving a name again replaces it, deleting removes the row."""

    name: str
    T_world_camera: tuple[float, ...]
    """16 floats, row-major (`np.array(p).reshape(4, 4)`)."""
    fov_y_deg: float = 60.0
    note: str = ""
    kind: str = "bookmark"
    author: str = ""
    time_ns: int = 0
    """Wall-clock time it was saved (ns since the Unix epoch)."""


def version_from_row(row: tuple[Any, ...]) -> Version:
    vid, parents, author, time_ns, message, kind, branch, changes, snapshot, base, redo = row
    return Version(
        id=vid,
        parents=tuple(msgspec.json.decode(parents)),
        author=author,
        time_ns=time_ns,
        message=message,
        kind=kind,
        branch=branch,
        changes=decode_values(changes),
        values=decode_values(snapshot),
        base=vid if base is None else base,
        redo=vid if kind == "undo" else redo,
    )
