"""Control-plane dispatch: one `match` over the typed requests, role checks, and request validation
beyond what the schema's types and bounds already enforce."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, cast

from bridge import __version__
from bridge.errors import ProtocolError
from bridge.protocol import messages as m
from bridge.protocol.versioning import check_compatible
from bridge.server import framing
from bridge.server.session import Session, Stream

if TYPE_CHECKING:
    from bridge.server.app import Server

__all__ = ["check_pose", "error", "handle"]

DIRECTOR_ONLY = (
    m.SetParams,
    m.Generate,
    m.Edit,
    m.Undo,
    m.Redo,
    m.Branch,
    m.Checkout,
    m.SavePreset,
    m.ApplyPreset,
)
STUDIO = (*DIRECTOR_ONLY[2:], m.GetHistory, m.Diff, m.ListPresets, m.GetSchema)


def error(rid: int, code: m.ErrorCode, message: str, field: str | None = None, hint: str = "") -> m.Error:
    return m.Error(rid=rid, code=code, message=message, field=field, hint=hint)


def handle(server: Server, ident: bytes, req: Any, user_key: str) -> Any:
    """Answer one decoded control request (None = no reply)."""
    if isinstance(req, m.Hello):
        return _hello(server, ident, req, user_key)
    if isinstance(req, m.Ping):
        s = server.sessions.get(ident)
        if s is not None:
            s.touch()
        return m.Pong(
            rid=req.rid, t_client_ns=req.t_client_ns, t_server_ns=time.monotonic_ns(), session=s is not None
        )
    session = server.sessions.get(ident)
    if session is None:
        return error(
            req.rid,
            m.ErrorCode.UNAUTHORIZED,
            "no session: send Hello first",
            hint="the server may have restarted; handshake again",
        )
    session.touch()
    if isinstance(req, DIRECTOR_ONLY) and session.role != "director":
        return error(
            req.rid,
            m.ErrorCode.FORBIDDEN,
            f"{m.tag_of(type(req))} needs the director role; this session is a {session.role}",
            hint="connect with a director key (see `vpbridge keys`)",
        )
    match req:
        case m.Bye(rid=rid):
            server.drop_session(session, "said bye")
            return m.Ok(rid=rid, detail="bye")
        case m.OpenStream():
            return _open_stream(server, session, req)
        case m.CloseStream(rid=rid, stream=sid):
            st = session.streams.get(sid)
            if st is None:
                return error(
                    rid, m.ErrorCode.NOT_FOUND, f"stream {sid} is not open in this session", "$.stream"
                )
            server.close_stream(st, "closed by client", notify=False)
            return m.Ok(rid=rid, detail=f"stream {sid} closed")
        case m.GetState(rid=rid):
            return server.state.snapshot(rid)
        case m.SetParams():
            return server.studio.handle(session, req)
        case m.GetScene():
            return server.scenes.info(req)
        case m.GetSceneChunk():
            return server.scenes.chunk(req)
        case m.GetPerspectives():
            return server.perspectives.info(session, req)
        case m.ChoosePerspective():
            return server.perspectives.choose(session, req)
        case m.CameraReport():
            return _camera_report(server, session, req)
        case m.SaveBookmark():  # any role: scouts (viewers) bookmark where they stand
            return server.bookmarks.save(session, req)
        case m.DeleteBookmark():
            return server.bookmarks.delete(session, req)
        case m.Generate():
            if not (req.prompt or req.spec or req.spec_toml):
                return error(
                    req.rid,
                    m.ErrorCode.BAD_REQUEST,
                    "Generate needs `prompt`, `spec` or `spec_toml`",
                    "$.prompt",
                )
            return server.scenes.generate(req, session.name, server.state_changed)
    if isinstance(req, STUDIO):
        return server.studio.handle(session, req)
    return error(req.rid, m.ErrorCode.UNSUPPORTED, f"{type(req).__name__} is not handled by this server")


def _hello(server: Server, ident: bytes, req: m.Hello, user_key: str) -> Any:
    try:
        warning = check_compatible(m.PROTOCOL_VERSION, req.protocol)
    except ProtocolError as exc:
        return error(req.rid, m.ErrorCode(exc.code), exc.message, exc.field, exc.hint)
    warnings = [warning] if warning else []
    role, name = req.role, req.client
    if server.keys is not None:
        key_role = server.keys.role_of(user_key)
        if key_role is None:  # ZAP already refuses unknown keys; this guards a misconfiguration
            return error(req.rid, m.ErrorCode.UNAUTHORIZED, "this connection has no known key")
        if key_role != req.role:
            warnings.append(f"asked for role {req.role!r}; this key grants {key_role!r}")
        role = key_role
        name = server.keys.name_of(user_key) or name
    if len(server.sessions) >= server.limits.max_sessions and ident not in server.sessions:
        return error(
            req.rid,
            m.ErrorCode.UNAVAILABLE,
            f"the server is full ({server.limits.max_sessions} sessions)",
            hint="try again later or raise Limits.max_sessions",
        )
    session = Session(control_id=ident, role=role, name=name, key=user_key)
    server.add_session(session)
    lim = server.limits
    return m.Welcome(
        rid=req.rid,
        protocol=m.PROTOCOL_VERSION,
        server=server.config.name,
        server_version=__version__,
        session=session.token,
        role=cast(Any, role),
        limits=m.Limits(
            max_message_bytes=lim.max_message_bytes,
            max_width=lim.max_width,
            max_height=lim.max_height,
            max_credits=lim.max_credits,
            max_streams=lim.max_streams,
            heartbeat_ms=lim.heartbeat_ms,
            session_timeout_ms=lim.session_timeout_ms,
        ),
        endpoints=m.Endpoints(state=server.endpoints["state"], frames=server.endpoints["frames"]),
        warnings=warnings,
    )


def _check_size(server: Server, rid: int, w: int | None, h: int | None) -> m.Error | None:
    lim = server.limits
    if w is not None and w > lim.max_width:
        return error(
            rid,
            m.ErrorCode.TOO_LARGE,
            f"`width` {w} exceeds the server's limit of {lim.max_width}",
            "$.width",
        )
    if h is not None and h > lim.max_height:
        return error(
            rid,
            m.ErrorCode.TOO_LARGE,
            f"`height` {h} exceeds the server's limit of {lim.max_height}",
            "$.height",
        )
    return None


def _check_fov(rid: int, cam: m.Fov | m.Intrinsics | None, field: str) -> m.Error | None:
    if isinstance(cam, m.Fov) and not (cam.left < cam.right and cam.down < cam.up):
        return error(
            rid,
            m.ErrorCode.BAD_REQUEST,
            "`fov` must have left < right and down < up (radians, OpenXR convention)",
            field,
            "e.g. left=-0.6, right=0.6, up=0.4, down=-0.4",
        )
    return None


def _open_stream(server: Server, session: Session, req: m.OpenStream) -> Any:
    if len(session.streams) >= server.limits.max_streams:
        return error(
            req.rid,
            m.ErrorCode.RATE_LIMITED,
            f"this session already has {len(session.streams)} streams open",
            hint="close one with CloseStream first",
        )
    err = _check_size(server, req.rid, req.width, req.height) or _check_fov(req.rid, req.fov, "$.fov")
    if err is not None:
        return err
    if req.far <= req.near:
        return error(
            req.rid,
            m.ErrorCode.BAD_REQUEST,
            f"`far` ({req.far}) must be greater than `near` ({req.near})",
            "$.far",
        )
    st = server.open_stream(session, framing.StreamSpec.from_open(req))
    return m.StreamOpened(rid=req.rid, stream=st.id, max_credits=st.max_credits)


def _check_pose_matrix(rid: int, mat: tuple[float, ...], field: str) -> m.Error | None:
    """Finite, rigid (last row 0 0 0 1 within 1e-6, R·Rᵀ = I within 1e-3, as `np.allclose` with its
    default rtol) and within 10,000 km. Plain float arithmetic: it runs for every pose request, and numpy
    on 16 numbers costs ~100 µs where this costs a few."""
    if not all(map(math.isfinite, mat)):
        return error(rid, m.ErrorCode.BAD_REQUEST, f"`{field[2:]}` has a NaN or infinite entry", field)
    a = mat
    rigid = (
        abs(a[12]) <= 1e-6 and abs(a[13]) <= 1e-6 and abs(a[14]) <= 1e-6 and abs(a[15] - 1.0) <= 1e-6 + 1e-5
    )
    if rigid:
        rows = (a[0:3], a[4:7], a[8:11])
        for i in range(3):
            ri = rows[i]
            for j in range(i, 3):
                rj = rows[j]
                dot = ri[0] * rj[0] + ri[1] * rj[1] + ri[2] * rj[2]
                if not abs(dot - (i == j)) <= 1e-3 + (1e-5 if i == j else 0.0):  # `not <=`: NaN fails
                    rigid = False
    if not rigid:
        return error(
            rid,
            m.ErrorCode.BAD_REQUEST,
            f"`{field[2:]}` must be a rigid transform (orthonormal rotation, last row 0 0 0 1)",
            field,
            "16 floats, row-major; see docs/protocol.md#poses",
        )
    if max(abs(a[3]), abs(a[7]), abs(a[11])) > 1e7:
        return error(rid, m.ErrorCode.BAD_REQUEST, f"`{field[2:]}` translation is beyond 10,000 km", field)
    return None


def check_pose(server: Server, st: Stream, req: m.PoseRequest) -> m.Error | None:
    """Validate what the schema cannot: rigid poses, sizes within limits, FOV ordering, near < far."""
    rid = req.pose_id
    mat = req.T_world_camera
    err = (
        (None if mat == st.rigid_ok else _check_pose_matrix(rid, mat, "$.T_world_camera"))
        or _check_size(server, rid, req.width, req.height)
        or _check_fov(rid, req.fov, "$.fov")
    )
    for i, eye in enumerate(req.eyes):
        err = (
            err
            or _check_pose_matrix(rid, eye.T_world_camera, f"$.eyes[{i}].T_world_camera")
            or _check_fov(rid, eye.fov, f"$.eyes[{i}].fov")
        )
    near = req.near or st.spec.near
    far = req.far or st.spec.far
    if err is None and far <= near:
        err = error(
            rid, m.ErrorCode.BAD_REQUEST, f"`far` ({far}) must be greater than `near` ({near})", "$.far"
        )
    if err is None:
        st.rigid_ok = mat
    return err


def camera_key(session: Session) -> str:
    """The state key under which a session's reported camera is published."""
    return f"camera.{session.token[:8]}"


def _camera_report(server: Server, session: Session, req: m.CameraReport) -> Any:
    """Publish an engine's camera + lens in the shared state (no re-render: it is presence, not a look)."""
    err = _check_pose_matrix(req.rid, req.T_world_camera, "$.T_world_camera")
    if err is not None:
        return err
    lens = (
        req.focal_length_mm,
        req.aperture_f,
        req.focus_distance_m,
        req.sensor_width_mm,
        req.sensor_height_mm,
    )
    value = [float(x) for x in (*req.T_world_camera, *lens)]
    delta = server.state.update({camera_key(session): value}, author=session.name)
    return m.Ok(rid=req.rid, detail=str(delta.seq))
