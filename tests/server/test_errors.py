"""Bad requests get a typed Error naming the problem; the server keeps serving."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.protocol import (
    PROTOCOL_VERSION,
    Attach,
    CloseStream,
    Credit,
    ErrorCode,
    Fov,
    GetState,
    Hello,
    OpenStream,
    PoseRequest,
    SetParams,
    decode_frames_event,
    encode,
)
from bridge.server import Limits

EYE = tuple(float(x) for x in np.eye(4).ravel())


@pytest.fixture
def session(srv, raw):  # type: ignore[no-untyped-def]
    ctl = raw(srv.endpoints["control"])
    ctl.send(Hello(rid=1, protocol="1.0.0", client="t", role="director"))
    welcome = ctl.recv_control()
    fr = raw(srv.endpoints["frames"])
    fr.send(Attach(rid=2, session=welcome.session))
    assert fr.recv_parts() is not None
    return ctl, fr


def _frames_error(fr):  # type: ignore[no-untyped-def]
    parts = fr.recv_parts()
    assert parts is not None and parts[0] == b"vpb.event"
    return decode_frames_event(parts[1])


def test_requests_before_hello_are_unauthorized(srv, raw) -> None:  # type: ignore[no-untyped-def]
    ctl = raw(srv.endpoints["control"])
    ctl.send(GetState(rid=5))
    err = ctl.recv_control()
    assert (err.code, err.rid) == (ErrorCode.UNAUTHORIZED, 5)
    assert "Hello" in err.message


def test_other_major_version_is_refused_naming_both_versions(srv, raw) -> None:  # type: ignore[no-untyped-def]
    ctl = raw(srv.endpoints["control"])
    ctl.send(Hello(rid=1, protocol="2.3.0"))
    err = ctl.recv_control()
    assert err.code == ErrorCode.UNSUPPORTED_VERSION and err.field == "$.protocol"
    assert "2.3.0" in err.message and PROTOCOL_VERSION in err.message


def test_newer_minor_version_is_accepted_with_a_warning(srv, raw) -> None:  # type: ignore[no-untyped-def]
    ctl = raw(srv.endpoints["control"])
    ctl.send(Hello(rid=1, protocol="1.7.2"))
    welcome = ctl.recv_control()
    assert welcome.warnings and "1.7.2" in welcome.warnings[0]


@pytest.mark.parametrize(
    ("request_", "code", "field"),
    [
        (OpenStream(rid=9, width=64, height=48, near=5.0, far=1.0), ErrorCode.BAD_REQUEST, "$.far"),
        (OpenStream(rid=9, fov=Fov(left=0.5, right=-0.5, up=0.4, down=-0.4)), ErrorCode.BAD_REQUEST, "$.fov"),
        (CloseStream(rid=9, stream=12345), ErrorCode.NOT_FOUND, "$.stream"),
        (SetParams(rid=9, values={"look": "noir"}, base_seq=999), ErrorCode.CONFLICT, "$.base_seq"),
        (SetParams(rid=9, values={"presence.x": "me"}), ErrorCode.FORBIDDEN, "$.values.presence.x"),
        (
            SetParams(rid=9, values={"exposure_ev": float("nan")}),
            ErrorCode.BAD_REQUEST,
            "$.values.exposure_ev",
        ),
    ],
)
def test_invalid_control_requests_name_the_field(session, request_, code, field) -> None:  # type: ignore[no-untyped-def]
    ctl, _ = session
    ctl.send(request_)
    err = ctl.recv_control()
    assert (err.code, err.field, err.rid) == (code, field, 9)
    assert err.message


def test_sizes_beyond_the_servers_limits_are_too_large(make_server, raw) -> None:  # type: ignore[no-untyped-def]
    srv = make_server(Limits(max_width=1024, max_height=1024))
    ctl = raw(srv.endpoints["control"])
    ctl.send(Hello(rid=1, protocol="1.0.0"))
    assert ctl.recv_control().limits.max_width == 1024
    ctl.send(OpenStream(rid=2, width=2000, height=100))
    err = ctl.recv_control()
    assert (err.code, err.field) == (ErrorCode.TOO_LARGE, "$.width")


@pytest.mark.parametrize(
    ("pose", "field"),
    [
        ((1.0,) * 16, "$.T_world_camera"),
        ((float("nan"),) + EYE[1:], "$.T_world_camera"),
        (tuple(2.0 * x for x in EYE[:15]) + (1.0,), "$.T_world_camera"),
    ],
)
def test_bad_poses_are_rejected_on_the_frames_plane(session, pose, field) -> None:  # type: ignore[no-untyped-def]
    ctl, fr = session
    ctl.send(OpenStream(rid=3, width=16, height=16))
    sid = ctl.recv_control().stream
    fr.send(PoseRequest(stream=sid, pose_id=77, T_world_camera=pose))
    err = _frames_error(fr)
    assert (err.code, err.field, err.rid) == (ErrorCode.BAD_REQUEST, field, 77)


def test_credit_for_a_stream_not_open_is_not_found(session) -> None:  # type: ignore[no-untyped-def]
    _, fr = session
    fr.send(Credit(stream=4242, n=1))
    err = _frames_error(fr)
    assert (err.code, err.field) == (ErrorCode.NOT_FOUND, "$.stream")


def test_unattached_frames_socket_is_unauthorized(srv, raw) -> None:  # type: ignore[no-untyped-def]
    fr = raw(srv.endpoints["frames"])
    fr.send(PoseRequest(stream=1, pose_id=3, T_world_camera=EYE))
    err = _frames_error(fr)
    assert err.code == ErrorCode.UNAUTHORIZED and "Attach" in err.hint


def test_extra_message_parts_and_undecodable_bytes_get_bad_request(session) -> None:  # type: ignore[no-untyped-def]
    ctl, _ = session
    ctl.sock.send_multipart([encode(GetState(rid=1)), b"extra"])
    assert ctl.recv_control().code == ErrorCode.BAD_REQUEST
    ctl.sock.send(b"\xc1\xff\x00")
    err = ctl.recv_control()
    assert err.code == ErrorCode.BAD_REQUEST and "MessagePack" in err.message
    ctl.send(GetState(rid=4))
    assert ctl.recv_control().rid == 4, "the server keeps serving after bad input"
