"""Version history of the live parameters: an append-only DAG of versions in SQLite (WAL), named
branches, a HEAD, undo/redo as new versions, presets, and live-drag transactions.

Every write is one SQLite transaction with `synchronous=FULL`, so a version is on disk before
`commit` returns: acknowledged means durable, across kill -9 and power loss (see docs/studio.md).
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import msgspec

from bridge.errors import ConfigError, ProtocolError
from bridge.protocol.messages import ParamValue
from bridge.studio.params import defaults, validate
from bridge.studio.version import (
    COLUMNS,
    DDL,
    SCHEMA_VERSION,
    Kind,
    StoredBookmark,
    Values,
    Version,
    decode_values,
    encode,
    version_from_row,
)

_REF_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/]{0,63}")

__all__ = ["History"]


class History:
    """Parameter history in one SQLite file. One writer (call it from one thread); any number of
    readers, also in other processes (`readonly=True`), see every committed version (WAL)."""

    def __init__(
        self,
        path: str | Path,
        *,
        readonly: bool = False,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        initial: Mapping[str, object] | None = None,
    ) -> None:
        """Open (or create) the history at `path`. `synchronous="NORMAL"` exists for benchmarks only:
        it can lose acknowledged versions on power failure. `initial` seeds a new file's root version."""
        self.path = Path(path)
        self.readonly = readonly
        if synchronous not in ("FULL", "NORMAL"):
            raise ConfigError(
                f"`synchronous` must be 'FULL' (durable) or 'NORMAL' (benchmarks), got {synchronous!r}"
            )
        if readonly and not self.path.is_file():
            raise ConfigError(f"no history at {self.path}; a writer creates it with History(path)")
        self._lock = threading.RLock()
        self._txns: dict[str, Values] = {}
        if readonly:
            uri = f"file:{self.path.resolve()}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            self._db.execute("PRAGMA busy_timeout = 5000")
            if not readonly:
                self._setup(synchronous, initial)
            self._check_schema()
        except BaseException:
            self._db.close()
            raise

    # -- opening ------------------------------------------------------------------------------

    def _setup(self, synchronous: str, initial: Mapping[str, object] | None) -> None:
        mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise ConfigError(f"{self.path}: SQLite refused WAL mode (got {mode!r}); use a local disk")
        # Per connection, not stored in the file: set on every open. FULL syncs the WAL at every
        # commit, so an acknowledged version survives power loss; NORMAL only survives process crashes.
        self._db.execute(f"PRAGMA synchronous = {synchronous}")
        self._db.execute("PRAGMA fullfsync = ON")  # macOS: a real flush, not just to the drive cache
        self._db.execute("PRAGMA foreign_keys = ON")
        with self._write():
            for statement in DDL.split(";"):  # (no ";" in comments) executescript would COMMIT
                if statement.strip():
                    self._db.execute(statement)
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            if self._db.execute("SELECT 1 FROM versions LIMIT 1").fetchone() is None:
                values = {**defaults(), **validate(initial or {})}
                self._insert(None, values, values, "", "initial values", "init", "main", base=None, redo=None)
                self._db.execute("INSERT INTO refs VALUES ('main', 1)")
                self._db.execute("INSERT INTO meta VALUES ('head', 'ref:main')")

    def _check_schema(self) -> None:
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"{self.path} is not a vpbridge history database: {exc}") from exc
        found = int(row[0]) if row else 0
        if found != SCHEMA_VERSION:
            raise ConfigError(
                f"{self.path} has history schema {found}; this vpbridge reads schema {SCHEMA_VERSION}"
                + (" (upgrade vpbridge)" if found > SCHEMA_VERSION else "")
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One durable SQLite transaction (BEGIN IMMEDIATE: a second writer waits, never interleaves)."""
        if self.readonly:
            raise ConfigError(f"{self.path} was opened read-only; open History(path) to write")
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- reading ------------------------------------------------------------------------------

    @property
    def head(self) -> Version:
        """The version HEAD points at."""
        with self._lock:
            return self.get(self._head_id())

    @property
    def values(self) -> Values:
        """Every parameter as of HEAD."""
        return self.head.values

    @property
    def current_branch(self) -> str | None:
        """The branch HEAD is on, or None when HEAD is detached (after checkout of a version id)."""
        head = self._meta_head()
        return head[4:] if head.startswith("ref:") else None

    def settings(self) -> dict[str, str]:
        """The durability settings in force: journal_mode (``wal``) and synchronous (``FULL``)."""
        with self._lock:
            mode = self._db.execute("PRAGMA journal_mode").fetchone()[0]
            sync = self._db.execute("PRAGMA synchronous").fetchone()[0]
        return {
            "journal_mode": str(mode),
            "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[sync],
        }

    def branches(self) -> dict[str, int]:
        """Every branch name and the version id it points at."""
        with self._lock:
            return dict(self._db.execute("SELECT name, version FROM refs ORDER BY name").fetchall())

    def get(self, version: int) -> Version:
        """One version by id; ProtocolError NOT_FOUND when there is none."""
        with self._lock:
            row = self._db.execute(f"SELECT {COLUMNS} FROM versions WHERE id = ?", (version,)).fetchone()
        if row is None:
            raise ProtocolError("NOT_FOUND", f"there is no version {version}", field="$.version")
        return version_from_row(row)

    def resolve(self, ref_or_version: str | int) -> int:
        """The version id a branch name, a version id, or a string of digits stands for."""
        if isinstance(ref_or_version, int) or ref_or_version.isdigit():
            return self.get(int(ref_or_version)).id
        with self._lock:
            row = self._db.execute("SELECT version FROM refs WHERE name = ?", (ref_or_version,)).fetchone()
        if row is None:
            raise ProtocolError(
                "NOT_FOUND",
                f"there is no branch {ref_or_version!r}",
                field="$.ref",
                hint="branches: " + ", ".join(self.branches()),
            )
        return int(row[0])

    def log(self, ref: str | int | None = None, limit: int = 50) -> list[Version]:
        """Versions from `ref` (default HEAD) back along first parents, newest first."""
        start = self._head_id() if ref is None else self.resolve(ref)
        query = f"""WITH RECURSIVE chain(id, n) AS (
                        SELECT ?, 0 UNION ALL
                        SELECT v.parent, chain.n + 1 FROM versions v JOIN chain ON v.id = chain.id
                        WHERE v.parent IS NOT NULL AND chain.n + 1 < ?)
                    SELECT {COLUMNS} FROM chain CROSS JOIN versions USING (id) ORDER BY chain.n"""
        with self._lock:
            rows = self._db.execute(query, (start, limit)).fetchall()
        return [version_from_row(r) for r in rows]

    def diff(self, a: str | int, b: str | int) -> dict[str, tuple[ParamValue, ParamValue]]:
        """Parameters whose values differ between `a` and `b`: name → (value in a, value in b)."""
        va, vb = self.get(self.resolve(a)).values, self.get(self.resolve(b)).values
        return {k: (va.get(k), vb.get(k)) for k in {**va, **vb} if va.get(k) != vb.get(k)}

    # -- writing ------------------------------------------------------------------------------

    def commit(
        self,
        values_changed: Mapping[str, object],
        author: str,
        message: str = "",
        *,
        base: int | None = None,
        kind: Kind = "commit",
    ) -> Version:
        """Commit changed values on top of HEAD and return the new version, durable on return.

        `base` (optimistic concurrency): when given and HEAD has moved past it, ProtocolError
        CONFLICT naming the current version. A change that changes nothing makes no version; HEAD
        is returned.
        """
        checked = validate(values_changed)
        with self._write():
            head = self._head_version()
            if base is not None and base != head.id:
                raise ProtocolError(
                    "CONFLICT",
                    f"history is at version {head.id}, not {base}",
                    field="$.base_version",
                    hint=f"fetch the current values and re-apply your change on version {head.id}",
                )
            return self._advance(head, {**head.values, **checked}, author, message, kind, base=None)

    def branch(self, name: str, from_version: str | int | None = None) -> Version:
        """Create branch `name` at `from_version` (a branch, a version id; default HEAD). HEAD stays."""
        if not _REF_RE.fullmatch(name):
            raise ProtocolError(
                "BAD_REQUEST",
                f"branch name {name!r} must start with a letter or _ and use only letters, digits, "
                "_ . - / (at most 64)",
                field="$.name",
            )
        with self._write():
            target = self._head_id() if from_version is None else self.resolve(from_version)
            if self._db.execute("SELECT 1 FROM refs WHERE name = ?", (name,)).fetchone():
                raise ProtocolError("CONFLICT", f"branch {name!r} already exists", field="$.name")
            self._db.execute("INSERT INTO refs VALUES (?, ?)", (name, target))
        return self.get(target)

    def delete_branch(self, name: str) -> None:
        """Remove branch `name` (its versions stay in the DAG). The current branch cannot be removed."""
        with self._write():
            self.resolve(name)
            if self.current_branch == name:
                raise ProtocolError("CONFLICT", f"{name!r} is checked out; check out another first")
            self._db.execute("DELETE FROM refs WHERE name = ?", (name,))

    def checkout(self, ref_or_version: str | int) -> Values:
        """Move HEAD to a branch (later commits advance it) or to a version id (detached: commits
        advance HEAD only). Returns the values to apply. Open transactions are kept."""
        with self._write():
            version = self.resolve(ref_or_version)
            by_ref = isinstance(ref_or_version, str) and not ref_or_version.isdigit()
            head = f"ref:{ref_or_version}" if by_ref else f"version:{version}"
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'head'", (head,))
        return self.get(version).values

    def undo(self, author: str) -> Version:
        """Revert the latest change on HEAD not yet undone, as a new version (history stays append-only).
        Repeated undos walk further back; ProtocolError CONFLICT when nothing is left to undo."""
        with self._write():
            head = self._head_version()
            target = self.get(head.base)
            if target.parent is None:
                raise ProtocolError("CONFLICT", f"nothing to undo: version {target.id} is the first")
            before = self.get(target.parent)
            message = f"undo {target.id}" + (f": {target.message}" if target.message else "")
            return self._advance(head, before.values, author, message, "undo", base=before.base)

    def redo(self, author: str) -> Version:
        """Re-apply the change the latest undo reverted, as a new version; redo is possible until a
        new change is committed on HEAD. ProtocolError CONFLICT when there is nothing to redo."""
        with self._write():
            head = self._head_version()
            if head.redo is None:
                raise ProtocolError("CONFLICT", "nothing to redo: no undo since the last change")
            before_undo = self.get(self.get(head.redo).parents[0])
            target = self.get(before_undo.base)
            message = f"redo {target.id}" + (f": {target.message}" if target.message else "")
            return self._advance(
                head, target.values, author, message, "redo", base=target.id, redo=before_undo.redo
            )

    # -- transactions (a slider drag: many live updates, one version) ---------------------------

    def begin(self, author: str) -> None:
        """Open `author`'s transaction (no-op when open). Updates render live; `end` commits them once."""
        self._txns.setdefault(author, {})

    def update(self, author: str, values: Mapping[str, object]) -> Values:
        """Validate and record an update in `author`'s open transaction; returns the checked values for
        the caller to apply live. Nothing is written to history until `end`."""
        if author not in self._txns:
            raise ProtocolError("CONFLICT", f"{author!r} has no open transaction", hint="send begin first")
        checked = validate(values)
        self._txns[author].update(checked)
        return checked

    def end(self, author: str, message: str = "") -> Version:
        """Close `author`'s transaction and commit its net change as one version (HEAD if none)."""
        pending = self._txns.pop(author, None)
        if pending is None:
            raise ProtocolError("CONFLICT", f"{author!r} has no open transaction", hint="send begin first")
        return self.commit(pending, author, message, kind="transaction")

    def abort(self, author: str) -> Values:
        """Drop `author`'s transaction; returns HEAD's values of the keys it touched, to apply live."""
        pending = self._txns.pop(author, {})
        current = self.values
        return {k: current.get(k) for k in pending}

    def in_transaction(self, author: str) -> bool:
        return author in self._txns

    # -- presets ------------------------------------------------------------------------------

    def save_preset(self, name: str, values: Mapping[str, object] | None = None, author: str = "") -> None:
        """Store `values` (a partial set is fine; default every value at HEAD) as preset `name`."""
        checked = self.values if values is None else validate(values)
        with self._write():
            self._db.execute(
                "INSERT OR REPLACE INTO presets VALUES (?, ?, ?, ?)",
                (name, encode(checked).decode(), author, time.time_ns()),
            )

    def load_preset(self, name: str) -> Values:
        """The values of preset `name`; ProtocolError NOT_FOUND naming the presets there are."""
        with self._lock:
            row = self._db.execute("SELECT snapshot FROM presets WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise ProtocolError(
                "NOT_FOUND",
                f"there is no preset {name!r}",
                field="$.name",
                hint="presets: " + (", ".join(self.presets()) or "none saved yet"),
            )
        return decode_values(row[0])

    def presets(self) -> dict[str, Values]:
        """Every preset by name."""
        with self._lock:
            rows = self._db.execute("SELECT name, snapshot FROM presets ORDER BY name").fetchall()
        return {name: decode_values(snap) for name, snap in rows}

    def delete_preset(self, name: str) -> None:
        self.load_preset(name)
        with self._write():
            self._db.execute("DELETE FROM presets WHERE name = ?", (name,))

    def apply_preset(self, name: str, author: str) -> Version:
        """Commit preset `name`'s values on HEAD as one version."""
        return self.commit(self.load_preset(name), author, f"preset {name}", kind="preset")

    # -- shared bookmarks (named camera poses per scene; not versioned) -------------------------

    def save_bookmark(self, scene: str, bookmark: StoredBookmark) -> None:
        """Store (or replace) `bookmark` under scene `scene`; durable on return."""
        b = bookmark
        with self._write():
            self._db.execute(
                "INSERT OR REPLACE INTO bookmarks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (scene, b.name, encode([float(x) for x in b.T_world_camera]).decode(), float(b.fov_y_deg),
                 b.note, b.kind, b.author, b.time_ns or time.time_ns()),
            )  # fmt: skip

    def delete_bookmark(self, scene: str, name: str) -> bool:
        """Remove bookmark `name` of `scene`; False when there was none. Durable on return."""
        with self._write():
            cur = self._db.execute("DELETE FROM bookmarks WHERE scene = ? AND name = ?", (scene, name))
            return cur.rowcount > 0

    def bookmarks(self, scene: str) -> dict[str, StoredBookmark]:
        """The bookmarks of `scene` by name (a file written before bookmarks existed has none)."""
        query = (
            "SELECT name, pose, fov_y_deg, note, kind, author, time_ns FROM bookmarks "
            "WHERE scene = ? ORDER BY name"
        )
        with self._lock:
            try:
                rows = self._db.execute(query, (scene,)).fetchall()
            except sqlite3.OperationalError:  # read-only open of a file from before the table
                return {}
        return {
            name: StoredBookmark(name, tuple(msgspec.json.decode(pose)), fov, note, kind, author, t)
            for name, pose, fov, note, kind, author, t in rows
        }

    # -- internals ----------------------------------------------------------------------------

    def _meta_head(self) -> str:
        with self._lock:
            return str(self._db.execute("SELECT value FROM meta WHERE key = 'head'").fetchone()[0])

    def _head_id(self) -> int:
        head = self._meta_head()
        return int(head[8:]) if head.startswith("version:") else self.resolve(head[4:])

    def _head_version(self) -> Version:
        return self.get(self._head_id())

    def _advance(
        self, head: Version, values: Values, author: str, message: str, kind: Kind, *, base: int | None,
        redo: int | None = None,
    ) -> Version:  # fmt: skip
        """Insert a child of `head` with `values` and move HEAD (inside a `_write`)."""
        changes = {k: v for k, v in values.items() if head.values.get(k) != v or k not in head.values}
        if not changes and kind not in ("undo", "redo"):
            return head
        branch = self.current_branch
        version = self._insert(head.id, values, changes, author, message, kind, branch, base=base, redo=redo)
        if branch is None:
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'head'", (f"version:{version.id}",))
        else:
            self._db.execute("UPDATE refs SET version = ? WHERE name = ?", (version.id, branch))
        return version

    def _insert(
        self, parent: int | None, values: Values, changes: Values, author: str, message: str, kind: Kind,
        branch: str | None, *, base: int | None, redo: int | None = None,
    ) -> Version:  # fmt: skip
        """Insert one version row (inside a `_write`); `base` None: the version is its own undo position."""
        parents = () if parent is None else (parent,)
        now = time.time_ns()
        cur = self._db.execute(
            "INSERT INTO versions (parent, parents, author, time_ns, message, kind, branch, changes, "
            "snapshot, base, redo) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (parent, encode(parents).decode(), author, now, message, kind, branch,
             encode(changes).decode(), encode(values).decode(), base, redo),
        )  # fmt: skip
        vid = int(cur.lastrowid or 0)
        return Version(
            id=vid, parents=parents, author=author, time_ns=now, message=message, kind=kind, branch=branch,
            changes=changes, values=values, base=vid if base is None else base,
            redo=vid if kind == "undo" else redo,
        )  # fmt: skip
