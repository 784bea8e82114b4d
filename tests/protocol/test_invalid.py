"""Invalid input is refused with a `ProtocolError` naming the code and, where one exists, the bad field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.errors import ProtocolError
from bridge.protocol import (
    decode,
    decode_control_reply,
    decode_control_request,
    decode_frames_event,
    decode_frames_request,
    decode_header,
    decode_state,
)
from bridge.protocol import messages as m

EYE = [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0]
FOV = {"type": "fov", "left": -0.6, "right": 0.6, "up": 0.4, "down": -0.4}
ALL_DECODERS = [
    decode_control_request,
    decode_control_reply,
    decode_frames_request,
    decode_frames_event,
    decode_state,
    decode_header,
]


def pack(obj: Any) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


def refused(decoder: Callable[[bytes], Any], data: bytes) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        decoder(data)
    return info.value


def open_stream(**fields: Any) -> bytes:
    return pack({"type": "open_stream", "rid": 1, **fields})


def pose(**fields: Any) -> bytes:
    return pack({"type": "pose_request", "stream": 1, "pose_id": 1, "T_world_camera": EYE, **fields})


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (open_stream(width="640"), "$.width"),
        (open_stream(width=640.0), "$.width"),
        (open_stream(near="close"), "$.near"),
        (open_stream(color="png"), "$.color"),
        (open_stream(fov=[0.1, 0.2, 0.3, 0.4]), "$.fov"),
        (pack({"type": "hello", "rid": "1", "protocol": "1.0.0"}), "$.rid"),
        (pack({"type": "hello", "rid": 1, "protocol": 1}), "$.protocol"),
        (pack({"type": "hello", "rid": 1, "protocol": "1.0.0", "role": "admin"}), "$.role"),
        (pack({"type": "set_params", "rid": 1, "values": {"a": {"nested": 1}}}), "$.values[...]"),
        (pack({"type": "set_params", "rid": 1, "values": [1, 2]}), "$.values"),
        (pack({"type": 7, "rid": 1}), "$.type"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_wrong_type_is_bad_request_naming_the_field(data: bytes, field: str) -> None:
    err = refused(decode_control_request, data)
    assert (err.code, err.field) == ("BAD_REQUEST", field)
    assert field in err.message
    assert err.hint


@pytest.mark.parametrize(
    ("decoder", "data", "field"),
    [
        (decode_control_request, open_stream(width=0), "$.width"),
        (decode_control_request, open_stream(width=9000), "$.width"),
        (decode_control_request, open_stream(height=-1), "$.height"),
        (decode_control_request, open_stream(near=0.0), "$.near"),
        (decode_control_request, open_stream(jpeg_quality=101), "$.jpeg_quality"),
        (decode_control_request, open_stream(ipd_m=1.5), "$.ipd_m"),
        (decode_control_request, open_stream(fov={**FOV, "left": -1.58}), "$.fov.left"),
        (decode_control_request, open_stream(fov={**FOV, "up": 2.0}), "$.fov.up"),
        (
            decode_control_request,
            open_stream(fov={"type": "intrinsics", "fx": 0.0, "fy": 1, "cx": 0, "cy": 0}),
            "$.fov.fx",
        ),
        (decode_control_request, pack({"type": "ping", "rid": -1}), "$.rid"),
        (decode_control_request, pack({"type": "ping", "rid": 2**53 + 1}), "$.rid"),
        (decode_control_request, pack({"type": "hello", "rid": 1, "protocol": "1" * 129}), "$.protocol"),
        (decode_frames_request, pack({"type": "credit", "stream": 1, "n": 0}), "$.n"),
        (decode_frames_request, pack({"type": "credit", "stream": 1, "n": 65}), "$.n"),
        (decode_frames_request, pack({"type": "credit", "stream": 2**31 + 1}), "$.stream"),
        (decode_frames_request, pose(T_world_camera=EYE[:15]), "$.T_world_camera"),
        (decode_frames_request, pose(T_world_camera=[*EYE, 1.0]), "$.T_world_camera"),
        (decode_frames_request, pose(T_world_camera=["x"] * 16), "$.T_world_camera[0]"),
        (decode_frames_request, pose(eyes=[{"T_world_camera": EYE, "fov": FOV}] * 3), "$.eyes"),
        (
            decode_frames_request,
            pose(eyes=[{"T_world_camera": EYE, "fov": {**FOV, "right": 1.6}}]),
            "$.eyes[0].fov.right",
        ),
        (decode_frames_request, pose(t_pose_ns=-5), "$.t_pose_ns"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_out_of_range_value_is_bad_request_naming_the_field(
    decoder: Callable[[bytes], Any], data: bytes, field: str
) -> None:
    err = refused(decoder, data)
    assert (err.code, err.field) == ("BAD_REQUEST", field)


@pytest.mark.parametrize(
    ("decoder", "data", "field"),
    [
        (decode_control_request, pack({"type": "hello", "rid": 1}), "$.protocol"),
        (decode_control_request, pack({"type": "hello", "protocol": "1.0.0"}), "$.rid"),
        (decode_control_request, pack({"rid": 1, "protocol": "1.0.0"}), "$.type"),
        (
            decode_frames_request,
            pack({"type": "pose_request", "stream": 1, "pose_id": 1}),
            "$.T_world_camera",
        ),
        (decode_frames_request, pose(eyes=[{"T_world_camera": EYE}]), "$.eyes[0].fov"),
        (decode_control_request, open_stream(fov={"type": "fov", "left": -0.5}), "$.fov.right"),
        (decode_header, pack({"type": "frame_header", "stream": 1}), "$.seq"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_missing_required_field_is_bad_request_naming_it(
    decoder: Callable[[bytes], Any], data: bytes, field: str
) -> None:
    err = refused(decoder, data)
    assert (err.code, err.field) == ("BAD_REQUEST", field)
    assert field in err.message


@pytest.mark.parametrize(
    ("decoder", "tag"),
    [
        (decode_control_request, "teleport"),
        (decode_control_request, "welcome"),  # a reply is not a request
        (decode_control_request, "pose_request"),  # a frames-plane message on the control plane
        (decode_frames_request, "hello"),
        (decode_control_reply, "hello"),
        (decode_frames_event, "frame_header"),
        (decode_state, "state_snapshot"),
        (decode_state, ""),
    ],
)
def test_unknown_message_type_is_unsupported_on_type(decoder: Callable[[bytes], Any], tag: str) -> None:
    err = refused(decoder, pack({"type": tag, "rid": 1}))
    assert (err.code, err.field) == ("UNSUPPORTED", "$.type")
    assert repr(tag) in err.message


@pytest.mark.parametrize("decoder", ALL_DECODERS, ids=lambda d: d.__name__)
@pytest.mark.parametrize("value", [[1, 2, 3], 5, "hello", None, 1.5, True, b"\x00\x01"], ids=repr)
def test_non_map_message_is_bad_request(decoder: Callable[[bytes], Any], value: Any) -> None:
    err = refused(decoder, pack(value))
    assert err.code == "BAD_REQUEST"
    assert err.field is None
    assert "map" in err.message


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xc1",
        b"\x81",
        b"\x82\xa4type",
        b"\xdf\xff\xff\xff\xff",
        b"\xdd\xff\xff\xff\xff",
        b"\xc6\xff\xff\xff\xff",
    ],
    ids=[
        "empty",
        "reserved-byte",
        "truncated-map",
        "truncated-field",
        "huge-map-claim",
        "huge-array-claim",
        "huge-bin",
    ],
)
def test_garbage_bytes_are_bad_request(data: bytes) -> None:
    for decoder in ALL_DECODERS:
        err = refused(decoder, data)
        assert (err.code, err.field) == ("BAD_REQUEST", None)
        assert "MessagePack" in err.message


def test_trailing_bytes_after_a_valid_message_are_bad_request() -> None:
    err = refused(decode_control_request, pack({"type": "ping", "rid": 1}) + b"\x00")
    assert err.code == "BAD_REQUEST"


@given(st.binary(max_size=256))
@settings(max_examples=300, deadline=None)
def test_random_bytes_never_raise_anything_but_protocol_error(data: bytes) -> None:
    for decoder in ALL_DECODERS:
        try:
            decoder(data)
        except ProtocolError as exc:
            assert exc.code in {c.value for c in m.ErrorCode}


@pytest.mark.parametrize("depth", [100, 10_000, 200_000])
@pytest.mark.parametrize("kind", ["array", "map"])
def test_deeply_nested_input_is_bad_request_not_a_crash(depth: int, kind: str) -> None:
    opener = b"\x91" if kind == "array" else b"\x81\xa1k"
    nested = opener * depth + b"\x01"
    for decoder in ALL_DECODERS:
        err = refused(decoder, nested)
        assert err.code == "BAD_REQUEST"
        # a shallow map of maps is refused for a missing field (`type`, or the header's first required one)
        assert err.field is None or err.field.startswith("$.")
    # hidden in an unknown field of an otherwise valid Ping: skipped when shallow, refused when too deep
    hidden = b"\x83\xa4type\xa4ping\xa3rid\x01\xa5extra" + nested
    try:
        assert decode_control_request(hidden) == m.Ping(rid=1)
    except ProtocolError as exc:
        assert (exc.code, exc.field, exc.message) == ("BAD_REQUEST", None, "message is nested too deeply")


def test_decode_into_a_single_type_names_the_field() -> None:
    with pytest.raises(ProtocolError) as info:
        decode(pack({"type": "fov", "left": -0.5, "right": 0.5, "up": 9, "down": -0.5}), m.Fov)
    assert (info.value.code, info.value.field) == ("BAD_REQUEST", "$.up")
