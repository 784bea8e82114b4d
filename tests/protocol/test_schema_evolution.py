"""Schema evolution: every fixture of every released version decodes with today's schema, a newer peer's
extra fields are ignored, and the schema only grows (no field removed, retyped, or added without a default).

Fixtures are written once per release by tests/protocol/make_fixtures.py and never regenerated.
"""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

import msgpack
import msgspec
import pytest

from bridge.protocol import (
    ALL_MESSAGES,
    decode,
    decode_control_reply,
    decode_control_request,
    decode_frames_event,
    decode_frames_request,
    decode_header,
    decode_state,
)
from bridge.protocol import messages as m

FIXTURES = Path(__file__).parent / "fixtures"
RELEASES = sorted(p for p in FIXTURES.iterdir() if p.is_dir())
FIXTURE_FILES = sorted(f for d in RELEASES for f in d.glob("*.msgpack"))
CLASS_FROM_TAG = {m.tag_of(cls): cls for cls in ALL_MESSAGES}
PLANES = [
    (decode_control_request, m.ControlRequest),
    (decode_control_reply, m.ControlReply),
    (decode_frames_request, m.FramesRequest),
    (decode_frames_event, m.FramesEvent),
    (decode_state, m.StateMessage),
]


def fixture_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def raw_of(path: Path) -> dict[str, Any]:
    raw = msgpack.unpackb(path.read_bytes(), raw=False)
    assert isinstance(raw, dict)
    return raw


def lists(value: Any) -> Any:
    """Builtins with tuples as lists, as MessagePack has only arrays."""
    if isinstance(value, (list, tuple)):
        return [lists(v) for v in value]
    if isinstance(value, dict):
        return {k: lists(v) for k, v in value.items()}
    return value


def strip_docs(schema: Any) -> Any:
    """A JSON schema without descriptions and titles: docstrings may improve, the wire may not change."""
    if isinstance(schema, dict):
        return {k: strip_docs(v) for k, v in schema.items() if k not in ("description", "title")}
    if isinstance(schema, list):
        return [strip_docs(v) for v in schema]
    return schema


def test_there_is_a_fixture_release_for_protocol_1_0_0() -> None:
    assert FIXTURES / "v1.0.0" in RELEASES
    assert (FIXTURES / "v1.0.0" / "schema.json").exists()


@pytest.mark.parametrize("cls", ALL_MESSAGES, ids=lambda c: c.__name__)
def test_every_message_type_has_minimal_and_full_fixtures(cls: type[Any]) -> None:
    stems = {f.stem for f in FIXTURE_FILES}
    tag = m.tag_of(cls)
    assert {f"{tag}.minimal", f"{tag}.full"} <= stems, (
        f"{cls.__name__} has no wire fixtures: add examples to MINIMAL and FULL in tests/protocol/make_fixtures.py "
        "and run it (it writes only missing files, under the current PROTOCOL_VERSION)"
    )


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=fixture_id)
def test_released_fixture_decodes_with_todays_schema_keeping_every_field(path: Path) -> None:
    raw = raw_of(path)
    cls = CLASS_FROM_TAG[path.stem.split(".")[0]]
    assert raw["type"] == m.tag_of(cls)
    msg = decode(path.read_bytes(), cls)
    # every field the old peer sent has the same value today (fields are never renamed or retyped)
    now = lists(msgspec.to_builtins(msg, builtin_types=(bytes,)))
    for key, value in raw.items():
        assert now[key] == value, f"{path.name}: field {key!r} changed meaning"
    # and the plane decoders a peer uses accept it too
    for decoder, union in PLANES:
        if cls in typing.get_args(union):
            assert decoder(path.read_bytes()) == msg
    if cls is m.FrameHeader:
        assert decode_header(path.read_bytes()) == msg


def test_key_fields_of_the_1_0_0_fixtures() -> None:
    d = FIXTURES / "v1.0.0"
    hello = decode_control_request((d / "hello.minimal.msgpack").read_bytes())
    assert hello == m.Hello(rid=1, protocol="1.0.0", client="unknown", client_version="", role="viewer")
    welcome = decode_control_reply((d / "welcome.full.msgpack").read_bytes())
    assert isinstance(welcome, m.Welcome)
    assert (welcome.role, welcome.limits.max_credits, welcome.endpoints.frames) == (
        "director",
        3,
        "tcp://127.0.0.1:5557",
    )
    pose = decode_frames_request((d / "pose_request.full.msgpack").read_bytes())
    assert isinstance(pose, m.PoseRequest)
    assert pose.T_world_camera[3] == 0.5 and pose.T_world_camera[7] == 1.7, "row-major translation column"
    assert isinstance(pose.fov, m.Intrinsics) and len(pose.eyes) == 2
    header = decode_header((d / "frame_header.full.msgpack").read_bytes())
    assert [p.kind for p in header.parts] == ["color", "depth"] and header.parts[1].view == 1
    assert header.times.t_send - header.times.t_received == 4_000
    err = decode_control_reply((d / "error.unsupported_version.msgpack").read_bytes())
    assert (
        isinstance(err, m.Error) and err.code is m.ErrorCode.UNSUPPORTED_VERSION and err.field == "$.protocol"
    )
    snap = decode_control_reply((d / "state_snapshot.full.msgpack").read_bytes())
    assert isinstance(snap, m.StateSnapshot)
    assert snap.values == {
        "time_of_day": 18.5,
        "look": "noir",
        "sun_dir": [0.0, -1.0, 0.2],
        "grain": 0,
        "hdr": True,
        "note": None,
    }


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.name)
def test_minimal_fixtures_carry_every_field_todays_schema_requires(release: Path) -> None:
    """A field added after a release must have a default: an old peer's minimal message lacks it."""
    for path in sorted(release.glob("*.minimal.msgpack")):
        cls = CLASS_FROM_TAG[path.stem.split(".")[0]]
        required = {f.name for f in msgspec.structs.fields(cls) if f.required}
        assert required <= set(raw_of(path)), (
            f"{cls.__name__} requires fields a {release.name} peer never sends"
        )
        decode(path.read_bytes(), cls)


VERSION_DEFAULTS = {("FrameHeader", "protocol")}
"""Fields whose default is PROTOCOL_VERSION itself: every release changes it, and that is the point."""


def test_version_defaults_track_the_protocol_version() -> None:
    for cls_name, field in VERSION_DEFAULTS:
        (f,) = [f for f in msgspec.structs.fields(getattr(m, cls_name)) if f.name == field]
        assert f.default == m.PROTOCOL_VERSION


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.name)
def test_schema_only_grows_since_release(release: Path) -> None:
    old = json.loads((release / "schema.json").read_text())
    _, components = msgspec.json.schema_components(ALL_MESSAGES)
    now = strip_docs(components)
    for name, old_schema in strip_docs(old).items():
        assert name in now, f"{name} was removed; messages and nested structs are never removed"
        for field, field_schema in old_schema.get("properties", {}).items():
            got = now[name]["properties"].get(field)
            assert got is not None, f"{name}.{field} was removed"
            if (name, field) in VERSION_DEFAULTS:  # its default is "the sender's version": it moves
                got = {k: v for k, v in got.items() if k != "default"}
                field_schema = {k: v for k, v in field_schema.items() if k != "default"}
            assert got == field_schema, f"{name}.{field} changed type or bounds; add a new field instead"
        added_required = set(now[name].get("required", [])) - set(old_schema.get("required", []))
        assert not added_required, f"{name} gained required fields {added_required}; new fields need defaults"


@pytest.mark.parametrize("cls", ALL_MESSAGES, ids=lambda c: c.__name__)
def test_unknown_fields_from_a_newer_peer_are_ignored(cls: type[Any]) -> None:
    paths = [f for f in FIXTURE_FILES if f.stem == f"{m.tag_of(cls)}.full"]
    if not paths:
        pytest.skip(
            f"{cls.__name__} has no fixture yet (see test_every_message_type_has_minimal_and_full_fixtures)"
        )
    raw = raw_of(paths[-1])
    newer = {**raw, "added_in_1_7": {"nested": [1, 2, {"x": b"\x00"}]}, "z_flag": True, "zz": None}
    data = msgpack.packb(newer, use_bin_type=True)
    assert decode(data, cls) == decode(msgpack.packb(raw), cls)


def test_unknown_fields_inside_nested_structs_are_ignored() -> None:
    raw = raw_of(FIXTURES / "v1.0.0" / "welcome.full.msgpack")
    raw["limits"]["max_bitrate_kbps"] = 50_000
    raw["endpoints"]["video"] = "tcp://127.0.0.1:5558"
    welcome = decode_control_reply(msgpack.packb(raw))
    assert isinstance(welcome, m.Welcome) and welcome.limits.max_width == 8192


def test_every_struct_is_forward_compatible() -> None:
    """No struct forbids unknown fields, or a newer minor version could not talk to us."""
    _, components = msgspec.json.schema_components(ALL_MESSAGES)
    for name, schema in components.items():
        assert schema.get("additionalProperties", True) is not False, name
    for cls in ALL_MESSAGES:
        assert not cls.__struct_config__.forbid_unknown_fields, cls.__name__
