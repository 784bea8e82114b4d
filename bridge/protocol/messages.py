"""Every message of protocol v1: typed msgspec Structs in one tagged union per plane.

This module is the single source of truth for the wire schema: docs/protocol.md describes it and
the C++ header is generated from it. Rules (docs/protocol.md, "Schema evolution"): schemas only
grow, new fields have defaults, a field's type never changes, unknown fields are ignored.
"""

from __future__ import annotations

import enum
import re
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

# The schema's public names; `bridge.protocol` re-exports exactly these.
__all__ = [
    "ALL_MESSAGES",
    "MAX_CREDITS",
    "PROTOCOL_VERSION",
    "ApplyPreset",
    "Attach",
    "Branch",
    "Bye",
    "CameraModel",
    "CameraReport",
    "ChoosePerspective",
    "Checkout",
    "CloseStream",
    "ColorEncoding",
    "ControlReply",
    "ControlRequest",
    "Credit",
    "DeleteBookmark",
    "DepthEncoding",
    "Diff",
    "Edit",
    "Endpoints",
    "Error",
    "ErrorCode",
    "EyeView",
    "Fov",
    "FrameHeader",
    "FramesEvent",
    "FramesRequest",
    "Generate",
    "GetHistory",
    "GetPerspectives",
    "GetScene",
    "GetSceneChunk",
    "GetSchema",
    "GetState",
    "Hello",
    "HistoryDiff",
    "HistoryLog",
    "IdsEncoding",
    "Intrinsics",
    "Limits",
    "ListPresets",
    "Mat4",
    "Metres",
    "Name",
    "Nanoseconds",
    "Ok",
    "OpenStream",
    "ParamSchema",
    "ParamValue",
    "PartInfo",
    "PerspectiveInfo",
    "Perspectives",
    "Ping",
    "Pixels",
    "Pong",
    "PoseRequest",
    "Presets",
    "Projection",
    "Redo",
    "RequestId",
    "Role",
    "SaveBookmark",
    "SavePreset",
    "SceneChunk",
    "SceneInfo",
    "ServerBye",
    "SetParams",
    "StageTimes",
    "StateDelta",
    "StateHeartbeat",
    "StateMessage",
    "StateSnapshot",
    "StreamClosed",
    "StreamId",
    "StreamOpened",
    "Text",
    "Undo",
    "VersionInfo",
    "ViewInfo",
    "Welcome",
    "tag_of",
]

PROTOCOL_VERSION = "1.1.0"
"""The protocol version this code speaks (semver; see bridge.protocol.versioning)."""

MAX_CREDITS = 64
"""Most frames a stream may have in flight: the bound of a grant (`Credit.n`, `PoseRequest.credits`)
and of a server's `max_credits`."""

# -- bounded primitive types -------------------------------------------------------------------

RequestId = Annotated[int, Meta(ge=0, le=2**53)]
StreamId = Annotated[int, Meta(ge=0, le=2**31)]
Name = Annotated[str, Meta(max_length=128)]
Text = Annotated[str, Meta(max_length=4096)]
Pixels = Annotated[int, Meta(ge=1, le=8192)]
Metres = Annotated[float, Meta(gt=0.0, le=1.0e7)]
Nanoseconds = Annotated[int, Meta(ge=0)]
Mat4 = Annotated[tuple[float, ...], Meta(min_length=16, max_length=16)]
"""A 4×4 rigid transform, 16 floats in row-major order (``np.array(m).reshape(4, 4)``)."""
ParamValue = bool | int | float | str | list[float] | None
"""A live-parameter value: a scalar, a string, or a short vector of floats."""


class ErrorCode(str, enum.Enum):
    """The fixed list of error codes; clients branch on these, never on message text."""

    BAD_REQUEST = "BAD_REQUEST"
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    UNSUPPORTED_VERSION = "UNSUPPORTED_VERSION"
    UNSUPPORTED = "UNSUPPORTED"
    TOO_LARGE = "TOO_LARGE"
    RATE_LIMITED = "RATE_LIMITED"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"


Role = Literal["director", "viewer", "engine"]
ColorEncoding = Literal["rgba8", "rgb8", "jpeg", "none"]
DepthEncoding = Literal["f16", "none"]
IdsEncoding = Literal["u16", "none"]
Projection = Literal["mono", "stereo", "equirect", "equirect_stereo"]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class _Msg(Struct, tag_field="type", tag=_snake, frozen=True, kw_only=True, omit_defaults=True):
    """Base of every message: a map tagged by ``type``, the snake_case class name (``open_stream``)."""


class _Part(Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Base of nested (untagged) structs."""


# -- camera models -----------------------------------------------------------------------------


class Fov(_Msg, kw_only=True, frozen=True):
    """Field of view as four angles in radians, OpenXR convention (left and down are negative)."""

    left: Annotated[float, Meta(ge=-1.57, le=1.57)]
    right: Annotated[float, Meta(ge=-1.57, le=1.57)]
    up: Annotated[float, Meta(ge=-1.57, le=1.57)]
    down: Annotated[float, Meta(ge=-1.57, le=1.57)]


class Intrinsics(_Msg, kw_only=True, frozen=True):
    """Pinhole intrinsics in pixels of the requested image size; (cx, cy) from the top-left corner."""

    fx: Annotated[float, Meta(gt=0.0, le=1.0e6)]
    fy: Annotated[float, Meta(gt=0.0, le=1.0e6)]
    cx: Annotated[float, Meta(ge=-1.0e6, le=1.0e6)]
    cy: Annotated[float, Meta(ge=-1.0e6, le=1.0e6)]


CameraModel = Fov | Intrinsics


class EyeView(_Part, kw_only=True, frozen=True):
    """One view of a multi-view request (an XR eye): its own pose and field of view."""

    T_world_camera: Mat4
    """Pose of this eye's camera in the world, OpenGL convention, −Z forward, Y up, metres."""
    fov: Fov


# -- control plane: handshake, errors, liveness ----------------------------------------------


class Limits(_Part, kw_only=True, frozen=True):
    """What the server accepts; a client sizes its requests by these."""

    max_message_bytes: int
    max_width: int
    max_height: int
    max_credits: int
    max_streams: int
    heartbeat_ms: int
    session_timeout_ms: int


class Endpoints(_Part, kw_only=True, frozen=True):
    """Where the other two planes are; a client connects to these after the handshake."""

    state: str
    frames: str


class Hello(_Msg, kw_only=True, frozen=True):
    """First message on the control plane. Answered by `Welcome` or `Error`."""

    rid: RequestId
    protocol: Name
    """The client's protocol semver (e.g. "1.0.0"); same major is accepted."""
    client: Name = "unknown"
    """A human-readable client name, shown in presence and logs."""
    client_version: Name = ""
    role: Role = "viewer"
    """The role asked for. With keys configured, the key's role wins."""


class Welcome(_Msg, kw_only=True, frozen=True):
    """Handshake accepted."""

    rid: RequestId
    protocol: Name
    server: Name
    server_version: Name
    session: Name
    """Opaque session token; the frames socket sends it in `Attach`."""
    role: Role
    """The role granted (may differ from the one asked for)."""
    limits: Limits
    endpoints: Endpoints
    warnings: list[Text] = []


class Error(_Msg, kw_only=True, frozen=True):
    """A request failed. `rid` names it (0 when the request could not be decoded)."""

    rid: RequestId = 0
    code: ErrorCode
    message: Text
    field: Name | None = None
    """Path of the bad field, e.g. "$.width", when one is known."""
    hint: Text = ""


class Ok(_Msg, kw_only=True, frozen=True):
    """A request succeeded and has nothing else to say."""

    rid: RequestId
    detail: Text = ""
    version: int = 0
    """For studio requests (SetParams, Edit end, Undo, Redo, Checkout, ApplyPreset): the history
    version HEAD is at afterwards, durable on disk. 0 for other requests."""


class Ping(_Msg, kw_only=True, frozen=True):
    """Liveness and clock probe; any role may send it."""

    rid: RequestId
    t_client_ns: Nanoseconds = 0


class Pong(_Msg, kw_only=True, frozen=True):
    rid: RequestId
    t_client_ns: Nanoseconds = 0
    """Echo of the ping's timestamp, for round-trip time."""
    t_server_ns: Nanoseconds = 0
    session: bool = False
    """Whether the pinging connection has a session (False after a server restart: handshake again)."""


class Bye(_Msg, kw_only=True, frozen=True):
    """The client is leaving; the server frees its streams at once. Answered by `Ok`."""

    rid: RequestId


# -- control plane: streams ---------------------------------------------------------------------


class OpenStream(_Msg, kw_only=True, frozen=True):
    """Open a frame stream with defaults every pose request may override."""

    rid: RequestId
    width: Pixels = 1280
    height: Pixels = 720
    fov: CameraModel | None = None
    """Defaults to a 60° vertical, aspect-correct symmetric FOV."""
    near: Metres = 0.05
    far: Metres = 2000.0
    color: ColorEncoding = "rgba8"
    depth: DepthEncoding = "f16"
    ids: IdsEncoding = "none"
    jpeg_quality: Annotated[int, Meta(ge=1, le=100)] = 85
    projection: Projection = "mono"
    ipd_m: Annotated[float, Meta(ge=0.0, le=1.0)] = 0.064
    """Eye separation for "stereo" and "equirect_stereo" when no per-eye views are sent."""


class StreamOpened(_Msg, kw_only=True, frozen=True):
    rid: RequestId
    stream: StreamId
    max_credits: int


class CloseStream(_Msg, kw_only=True, frozen=True):
    rid: RequestId
    stream: StreamId


# -- control plane: state ---------------------------------------------------------------------


class GetState(_Msg, kw_only=True, frozen=True):
    """Ask for a snapshot of the shared state. Answered by `StateSnapshot`."""

    rid: RequestId


class StateSnapshot(_Msg, kw_only=True, frozen=True):
    """All shared state as of sequence number `seq`; deltas with a larger seq follow on the state plane."""

    rid: RequestId
    seq: int
    values: dict[str, ParamValue] = {}
    scene_version: int = 0


class SetParams(_Msg, kw_only=True, frozen=True):
    """Change live parameters (directors only). Answered by `Ok` with the new state seq in `detail`."""

    rid: RequestId
    values: Annotated[dict[Name, ParamValue], Meta(max_length=256)]
    base_seq: int | None = None
    """When set, the change is refused with CONFLICT unless the state is still at this seq."""
    base_version: int | None = None
    """When set, the change is refused with CONFLICT (naming the current version) unless the history's
    HEAD is still this version (optimistic concurrency between directors)."""
    message: Text = ""
    """The history message of the version this change commits."""


class CameraReport(_Msg, kw_only=True, frozen=True):
    """An engine's live camera with its lens (any role). Answered by `Ok`; the server publishes it in
    the shared state as `camera.<session8>` = 16 pose floats + the five lens values (21 floats)."""

    rid: RequestId
    T_world_camera: Mat4
    """Pose of the engine's camera in the world, OpenGL convention, −Z forward, Y up, metres."""
    focal_length_mm: Annotated[float, Meta(gt=0.0, le=1.0e4)] = 35.0
    aperture_f: Annotated[float, Meta(gt=0.0, le=1.0e3)] = 2.8
    """The f-number (f/2.8 is 2.8)."""
    focus_distance_m: Metres = 10.0
    sensor_width_mm: Annotated[float, Meta(gt=0.0, le=1.0e3)] = 36.0
    sensor_height_mm: Annotated[float, Meta(gt=0.0, le=1.0e3)] = 24.0
    t_ns: Nanoseconds = 0
    """When the engine sampled the camera, in the engine's clock."""


# -- control plane: studio (history, transactions, presets) ------------------------------------


class Edit(_Msg, kw_only=True, frozen=True):
    """A live-edit transaction (directors only): `begin`, any number of `update`s (each validated,
    applied and rendered live, none written to history), then `end` (one version with the net change,
    `Ok.version`) or `abort` (the touched values return to HEAD's). Answered by `Ok`."""

    rid: RequestId
    action: Literal["begin", "update", "end", "abort"]
    values: Annotated[dict[Name, ParamValue], Meta(max_length=256)] = {}
    """The values of an `update`; ignored by the other actions."""
    message: Text = ""
    """The history message of the version `end` commits."""


class Undo(_Msg, kw_only=True, frozen=True):
    """Revert the latest change on HEAD not yet undone, as a new version (directors only). `Ok.version`;
    CONFLICT when there is nothing to undo."""

    rid: RequestId


class Redo(_Msg, kw_only=True, frozen=True):
    """Re-apply what the latest undo reverted, as a new version (directors only). `Ok.version`;
    CONFLICT when there is nothing to redo."""

    rid: RequestId


class Branch(_Msg, kw_only=True, frozen=True):
    """Create branch `name` at `start` (a branch or version id; empty = HEAD) without moving HEAD
    (directors only). Answered by `Ok` with the version it points at in `version`."""

    rid: RequestId
    name: Name
    start: Name = ""


class Checkout(_Msg, kw_only=True, frozen=True):
    """Move HEAD to a branch, or to a version id (detached), and apply its values live (directors
    only). Answered by `Ok` with the version in `version`."""

    rid: RequestId
    ref: Name


class GetHistory(_Msg, kw_only=True, frozen=True):
    """The log: versions from `ref` (empty = HEAD) back along first parents, newest first. Any role.
    Answered by `HistoryLog`."""

    rid: RequestId
    ref: Name = ""
    limit: Annotated[int, Meta(ge=1, le=10_000)] = 50


class VersionInfo(_Part, kw_only=True, frozen=True):
    """One committed version, as the log shows it."""

    id: int
    parents: list[int] = []
    author: Name = ""
    time_ns: Nanoseconds = 0
    """Wall-clock time of the commit (ns since the Unix epoch)."""
    message: Text = ""
    kind: Name = "commit"
    """init | commit | transaction | undo | redo | preset."""
    branch: Name = ""
    """The branch it was committed on; empty when HEAD was detached."""
    changes: dict[str, ParamValue] = {}
    """The values that differ from its first parent."""


class HistoryLog(_Msg, kw_only=True, frozen=True):
    rid: RequestId
    head: int
    """The version HEAD is at."""
    branch: Name = ""
    """The branch HEAD is on; empty when detached."""
    branches: dict[str, int] = {}
    """Every branch and the version it points at."""
    versions: list[VersionInfo] = []


class Diff(_Msg, kw_only=True, frozen=True):
    """Which parameters differ between two refs (branch names or version ids). Any role. Answered by
    `HistoryDiff`."""

    rid: RequestId
    a: Name
    b: Name


class HistoryDiff(_Msg, kw_only=True, frozen=True):
    rid: RequestId
    a: int
    """The version `a` resolved to."""
    b: int
    before: dict[str, ParamValue] = {}
    """Each differing parameter's value in `a`."""
    after: dict[str, ParamValue] = {}
    """The same parameters' values in `b`."""


class SavePreset(_Msg, kw_only=True, frozen=True):
    """Store `values` (empty = every value at HEAD) as preset `name` (directors only). Answered by `Ok`."""

    rid: RequestId
    name: Name
    values: Annotated[dict[Name, ParamValue], Meta(max_length=256)] = {}


class ApplyPreset(_Msg, kw_only=True, frozen=True):
    """Commit preset `name`'s values on HEAD as one version (directors only). `Ok.version`."""

    rid: RequestId
    name: Name


class ListPresets(_Msg, kw_only=True, frozen=True):
    """Every preset. Any role. Answered by `Presets`."""

    rid: RequestId


class Presets(_Msg, kw_only=True, frozen=True):
    rid: RequestId
    presets: dict[str, dict[str, ParamValue]] = {}


class GetSchema(_Msg, kw_only=True, frozen=True):
    """The typed schema of the live parameters (for sliders). Any role. Answered by `ParamSchema`."""

    rid: RequestId


class ParamSchema(_Msg, kw_only=True, frozen=True):
    rid: RequestId
    schema_json: str
    """JSON list of records: name, type, unit, min, max, choices, nullable, default, description
    (`bridge.studio.schema_records()`)."""


# -- control plane: the scene ------------------------------------------------------------------


class GetScene(_Msg, kw_only=True, frozen=True):
    """Ask for the current scene as GLB + manifest. Answered by `SceneInfo`; then pull chunks."""

    rid: RequestId
    chunk_bytes: Annotated[int, Meta(ge=4096, le=4 << 20)] = 1 << 20


class SceneInfo(_Msg, kw_only=True, frozen=True):
    """The scene's GLB (size, hash, chunking) and its manifest (JSON text, docs/world.md)."""

    rid: RequestId
    scene_version: int
    name: Name
    nbytes: int
    sha256: Name
    chunk_bytes: int
    chunks: int
    manifest: str
    """JSON: objects, labels, bounds, bookmarks, lights, environment, provenance."""


class GetSceneChunk(_Msg, kw_only=True, frozen=True):
    """Pull chunk `index` of the GLB of `scene_version`. CONFLICT if the scene changed meanwhile."""

    rid: RequestId
    scene_version: int
    index: Annotated[int, Meta(ge=0, le=1 << 20)]
    chunk_bytes: Annotated[int, Meta(ge=4096, le=4 << 20)] = 1 << 20


class SceneChunk(_Msg, kw_only=True, frozen=True):
    rid: RequestId
    scene_version: int
    index: int
    data: bytes


class Generate(_Msg, kw_only=True, frozen=True):
    """Build a new scene (directors only) and switch to it when done. Answered at once by `Ok` with
    the job id in `detail`; progress arrives on the state plane as `job.<id>.progress` / `.stage`."""

    rid: RequestId
    prompt: Text = ""
    spec: Name = ""
    """A shipped scene name (see `vpbridge scenes`); used when `prompt` is empty."""
    spec_toml: Annotated[str, Meta(max_length=65536)] = ""
    """A full WorldSpec as TOML text; wins over `spec` and `prompt`."""
    seed: Annotated[int, Meta(ge=0, le=2**31)] = 0


# -- control plane: perspectives (semi-live interactive video) ----------------------------------


class GetPerspectives(_Msg, kw_only=True, frozen=True):
    """The perspectives the scene offers (its shots) and what `stream` shows now. Any role. Answered
    by `Perspectives`."""

    rid: RequestId
    stream: StreamId = 0
    """A stream of this session (0 = none: only the offered list)."""


class PerspectiveInfo(_Part, kw_only=True, frozen=True):
    """One offered perspective: a named camera pose of the scene."""

    name: Name
    T_world_camera: Mat4
    """Pose of the perspective's camera in the world, OpenGL convention, −Z forward, Y up, metres."""
    fov_y_deg: float = 60.0
    description: Text = ""
    at_s: float | None = None
    """Its time on the scene's timeline in seconds, when the scene has one."""


class Perspectives(_Msg, kw_only=True, frozen=True):
    rid: RequestId
    perspectives: list[PerspectiveInfo] = []
    current: Name = ""
    """The perspective the stream is moving to or holding; empty when the client drives its poses."""
    moving: bool = False
    """Whether a transition is being streamed now."""
    ready: list[Name] = []
    """Perspectives whose transition from where the stream is now is already planned (predictive start)."""


class ChoosePerspective(_Msg, kw_only=True, frozen=True):
    """Move `stream` to perspective `name`: the server plans the transition from where the stream is
    now (its current pose and velocity), streams its frames live at `fps` (newest time wins, under the
    stream's credits), then holds at the target. A PoseRequest on the stream cancels it. Answered by
    `Ok` (detail: the transition's duration in seconds) or NOT_FOUND naming the offered ones."""

    rid: RequestId
    stream: StreamId
    name: Name
    preset: Name = "cinematic"
    """Motion preset: comfortable | cinematic | fast (docs/motion.md)."""
    fps: Annotated[float, Meta(gt=0.0, le=240.0)] = 24.0


# -- control plane: shared bookmarks -------------------------------------------------------------


class SaveBookmark(_Msg, kw_only=True, frozen=True):
    """Save (or replace) a shared bookmark of the current scene: a named camera pose every client sees
    (any role; a scout in a headset is a viewer). Durable (the studio's SQLite, keyed by scene) before
    the `Ok` (detail: the new state seq); published as `bookmark.<name>` (16 pose floats row-major +
    `fov_y_deg`) and `bookmark_info.<name>` (JSON text: kind, note, author, time_ns). BAD_REQUEST for a
    bad name, kind or pose; CONFLICT for a name of the scene's own (read-only) bookmarks."""

    rid: RequestId
    name: Name
    """1–64 characters: letters, digits, space, `_ . -`; starts with a letter or digit, no trailing space."""
    T_world_camera: Mat4
    """The bookmarked camera's pose in the world, OpenGL convention, −Z forward, Y up, metres."""
    fov_y_deg: Annotated[float, Meta(gt=0.0, le=179.0)] = 60.0
    """Vertical field of view in degrees."""
    note: Text = ""
    """Free text for people (why this spot)."""
    kind: Name = "bookmark"
    """A short label: lowercase letters, digits and `_`, starting with a letter (≤ 32)."""


class DeleteBookmark(_Msg, kw_only=True, frozen=True):
    """Delete shared bookmark `name` of the current scene (any role). Answered by `Ok` (detail: the new
    state seq); NOT_FOUND when there is none; CONFLICT for one of the scene's own bookmarks."""

    rid: RequestId
    name: Name


# -- state plane (PUB → SUB) ---------------------------------------------------------------------


class StateDelta(_Msg, kw_only=True, frozen=True):
    """A change to shared state. A client that sees seq jump by more than one re-snapshots."""

    seq: int
    values: dict[str, ParamValue] = {}
    removed: list[str] = []
    scene_version: int = 0
    author: Name = ""
    t_server_ns: Nanoseconds = 0


class StateHeartbeat(_Msg, kw_only=True, frozen=True):
    """Published every heartbeat interval with the current seq: a client behind it re-snapshots."""

    seq: int
    scene_version: int = 0


# -- frames plane (DEALER → ROUTER) -------------------------------------------------------------


class Attach(_Msg, kw_only=True, frozen=True):
    """First message on the frames socket: binds it to a handshaken session. Answered by `Ok`."""

    rid: RequestId
    session: Name


class Credit(_Msg, kw_only=True, frozen=True):
    """Grant `n` more frames on a stream. Credits held are capped at the stream's max_credits."""

    stream: StreamId
    n: Annotated[int, Meta(ge=1, le=MAX_CREDITS)] = 1


class PoseRequest(_Msg, kw_only=True, frozen=True):
    """Render the stream from this pose. Only the newest request per stream is kept."""

    stream: StreamId
    pose_id: RequestId
    """Echoed in the frame header so the client can match frames to requests."""
    T_world_camera: Mat4
    """Pose of the camera in the world, OpenGL convention, −Z forward, Y up, metres."""
    t_pose_ns: Nanoseconds = 0
    """When the client sampled the pose, in the client's clock (echoed for latency accounting)."""
    fov: CameraModel | None = None
    width: Pixels | None = None
    height: Pixels | None = None
    near: Metres | None = None
    far: Metres | None = None
    color: ColorEncoding | None = None
    depth: DepthEncoding | None = None
    eyes: Annotated[list[EyeView], Meta(max_length=2)] = []
    """Per-eye poses and FOVs (XR). When given, they replace T_world_camera/fov for rendering."""
    credits: Annotated[int, Meta(ge=0, le=MAX_CREDITS)] = 0
    """Since 1.1.0: frames granted with this request, applied before it as a `Credit` sent first would
    be (capped the same way), so a client that asks for one frame per pose sends one message, not two.
    A 1.0 server ignores the field: send `Credit` to those (`Welcome.protocol` says which)."""


# -- frames plane (ROUTER → DEALER): header of a multipart frame ---------------------------------


class StageTimes(_Part, kw_only=True, frozen=True):
    """Per-stage timestamps. t_pose is the client's clock; the others are the server's monotonic clock."""

    t_pose: Nanoseconds = 0
    t_received: Nanoseconds = 0
    t_render_start: Nanoseconds = 0
    t_render_end: Nanoseconds = 0
    t_encode_end: Nanoseconds = 0
    t_send: Nanoseconds = 0


class ViewInfo(_Part, kw_only=True, frozen=True):
    """The camera one view was rendered with: enough to reproject it."""

    T_world_camera: Mat4
    fov: Fov
    intrinsics: Intrinsics


class PartInfo(_Part, kw_only=True, frozen=True):
    """Describes one payload part that follows the header, in order."""

    kind: Literal["color", "depth", "ids"]
    view: int = 0
    encoding: Name
    """rgba8 | rgb8 | jpeg (colour), f16 (depth in metres, +inf = sky), u16 (object ids, 0 = none)."""
    width: int
    height: int
    nbytes: int


class FrameHeader(_Msg, kw_only=True, frozen=True):
    """The typed header of a frame; payload parts follow it as raw bytes."""

    protocol: Name = PROTOCOL_VERSION
    stream: StreamId
    seq: int
    """Per-stream frame counter, from 1."""
    pose_id: RequestId
    projection: Projection = "mono"
    near: float
    far: float
    views: list[ViewInfo]
    parts: list[PartInfo]
    times: StageTimes
    scene_version: int = 0
    look: Name = ""
    provenance: Text = ""
    """One line: which builder, seed and source produced the scene."""
    perspective: Name = ""
    """For a frame the server drove (`ChoosePerspective`): the perspective being moved to or held;
    empty for frames of the client's own pose requests."""
    t_path: float = 0.0
    """For a driven frame: seconds along the planned transition (its duration once holding)."""


class StreamClosed(_Msg, kw_only=True, frozen=True):
    """Sent on the frames plane when the server closes a stream (stall, scene gone, shutdown)."""

    stream: StreamId
    reason: Text


class ServerBye(_Msg, kw_only=True, frozen=True):
    """Sent on the control plane (and published) when the server shuts down."""

    reason: Text = "server shutting down"


# -- unions, one per direction and plane --------------------------------------------------------

ControlRequest = (
    Hello
    | Ping
    | Bye
    | OpenStream
    | CloseStream
    | GetState
    | SetParams
    | GetScene
    | GetSceneChunk
    | Generate
    | CameraReport
    | Edit
    | Undo
    | Redo
    | Branch
    | Checkout
    | GetHistory
    | Diff
    | SavePreset
    | ApplyPreset
    | ListPresets
    | GetSchema
    | GetPerspectives
    | ChoosePerspective
    | SaveBookmark
    | DeleteBookmark
)
ControlReply = (
    Welcome
    | Error
    | Ok
    | Pong
    | StreamOpened
    | StateSnapshot
    | ServerBye
    | SceneInfo
    | SceneChunk
    | HistoryLog
    | HistoryDiff
    | Presets
    | ParamSchema
    | Perspectives
)
FramesRequest = Attach | Credit | PoseRequest
FramesEvent = Ok | Error | StreamClosed | ServerBye
StateMessage = StateDelta | StateHeartbeat | ServerBye

ALL_MESSAGES: tuple[type[Any], ...] = (
    Hello,
    Welcome,
    Error,
    Ok,
    Ping,
    Pong,
    Bye,
    OpenStream,
    StreamOpened,
    CloseStream,
    GetState,
    StateSnapshot,
    SetParams,
    GetScene,
    SceneInfo,
    GetSceneChunk,
    SceneChunk,
    Generate,
    CameraReport,
    Edit,
    Undo,
    Redo,
    Branch,
    Checkout,
    GetHistory,
    HistoryLog,
    Diff,
    HistoryDiff,
    SavePreset,
    ApplyPreset,
    ListPresets,
    Presets,
    GetSchema,
    ParamSchema,
    GetPerspectives,
    Perspectives,
    ChoosePerspective,
    SaveBookmark,
    DeleteBookmark,
    StateDelta,
    StateHeartbeat,
    Attach,
    Credit,
    PoseRequest,
    FrameHeader,
    StreamClosed,
    ServerBye,
)


def tag_of(cls: type[Any]) -> str:
    """The wire tag (``type`` field value) of a message class."""
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)
    return str(info.tag)
