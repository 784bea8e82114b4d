"""Every message of the schema survives encode → decode unchanged, through every decoder that accepts it."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.protocol import (
    ALL_MESSAGES,
    decode,
    decode_control_reply,
    decode_control_request,
    decode_frames_event,
    decode_frames_request,
    decode_header,
    decode_state,
    encode,
)
from bridge.protocol import messages as m

from .strategies import message_strategy

PLANE_DECODERS: dict[Callable[[bytes], Any], Any] = {
    decode_control_request: m.ControlRequest,
    decode_control_reply: m.ControlReply,
    decode_frames_request: m.FramesRequest,
    decode_frames_event: m.FramesEvent,
    decode_state: m.StateMessage,
}


def decoders_for(cls: type[Any]) -> list[Callable[[bytes], Any]]:
    """The plane decoders whose union contains `cls` (Ok, Error and ServerBye travel on several planes)."""
    found = [dec for dec, union in PLANE_DECODERS.items() if cls in typing.get_args(union)]
    if cls is m.FrameHeader:
        found.append(decode_header)
    return found


def test_every_message_is_decodable_on_at_least_one_plane() -> None:
    orphans = [cls.__name__ for cls in ALL_MESSAGES if not decoders_for(cls)]
    assert orphans == [], f"messages no plane decoder accepts: {orphans}"


def test_every_plane_union_member_is_listed_in_all_messages() -> None:
    members = {c for union in PLANE_DECODERS.values() for c in typing.get_args(union)} | {m.FrameHeader}
    assert members == set(ALL_MESSAGES)


@pytest.mark.parametrize("cls", ALL_MESSAGES, ids=lambda c: c.__name__)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_message_round_trips_through_its_plane_decoders(cls: type[Any], data: st.DataObject) -> None:
    msg = data.draw(message_strategy(cls))
    wire = encode(msg)
    assert decode(wire, cls) == msg
    for dec in decoders_for(cls):
        got = dec(wire)
        assert type(got) is cls
        assert got == msg


@pytest.mark.parametrize("cls", ALL_MESSAGES, ids=lambda c: c.__name__)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_encoded_message_is_one_map_tagged_with_the_snake_case_class_name(
    cls: type[Any], data: st.DataObject
) -> None:
    msg = data.draw(message_strategy(cls))
    raw = msgpack.unpackb(encode(msg), raw=False, strict_map_key=False)
    assert isinstance(raw, dict)
    assert raw["type"] == m.tag_of(cls)
    assert m.tag_of(cls) == m._snake(cls.__name__)


def test_tags_are_unique_across_the_schema() -> None:
    tags = [m.tag_of(cls) for cls in ALL_MESSAGES]
    assert len(tags) == len(set(tags))


def test_numpy_pose_encodes_as_16_floats() -> None:
    np = pytest.importorskip("numpy")
    pose = np.eye(4)
    pose[0, 3] = 2.5
    req = m.PoseRequest(stream=1, pose_id=7, T_world_camera=pose.ravel())  # type: ignore[arg-type]
    got = decode_frames_request(encode(req))
    assert isinstance(got, m.PoseRequest)
    assert got.T_world_camera == tuple(pose.ravel().tolist())
    assert got.T_world_camera[3] == 2.5, "row-major: translation x is entry 3"
