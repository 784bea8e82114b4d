"""Studio: the typed schema of live parameters, their version history (SQLite, WAL: branches,
undo/redo, presets, transactions), and the frame cache that makes switching looks instant.
Pure components: no sockets; the server wires them to the control and state planes.
"""

from bridge.studio.cache import (
    CacheStats,
    FrameCache,
    FrameKey,
    frame_key,
    frame_key_for_job,
    nbytes_of,
    params_hash,
)
from bridge.studio.history import History
from bridge.studio.params import LOOKS, PARAMS, ParamSpec, defaults, schema_records, schema_table, validate
from bridge.studio.version import SCHEMA_VERSION, StoredBookmark, Version

__all__ = [
    "LOOKS",
    "PARAMS",
    "SCHEMA_VERSION",
    "CacheStats",
    "FrameCache",
    "FrameKey",
    "History",
    "ParamSpec",
    "StoredBookmark",
    "Version",
    "defaults",
    "frame_key",
    "frame_key_for_job",
    "nbytes_of",
    "params_hash",
    "schema_records",
    "schema_table",
    "validate",
]
