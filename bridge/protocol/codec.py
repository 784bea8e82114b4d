"""Encoding and decoding: typed decoders per plane, errors mapped to `ProtocolError` with the bad field,
and the multipart frame layout (topic, header, raw payload parts)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final, TypeVar

import msgspec

from bridge.errors import ProtocolError
from bridge.protocol import messages as m

__all__ = [
    "FRAME_TOPIC",
    "EVENT_TOPIC",
    "STATE_TOPIC",
    "decode",
    "decode_control_reply",
    "decode_control_request",
    "decode_frames_event",
    "decode_frames_request",
    "decode_header",
    "decode_state",
    "encode",
    "encode_into",
]

FRAME_TOPIC: Final = b"vpb.frame"
"""First part of a frame message on the frames plane; then the header, then payload parts."""
EVENT_TOPIC: Final = b"vpb.event"
"""First part of a non-frame message on the frames plane (Ok, Error, StreamClosed, ServerBye)."""
STATE_TOPIC: Final = b"vpb.state"
"""Topic of every message on the state plane (subscribe to this prefix)."""

T = TypeVar("T")


def _enc_hook(obj: Any) -> Any:
    """numpy scalars and small arrays are accepted where the schema wants floats (poses, vectors)."""
    item = getattr(obj, "item", None)
    if item is not None and getattr(obj, "ndim", None) == 0:
        return item()
    tolist = getattr(obj, "tolist", None)
    if tolist is not None and getattr(obj, "size", 1 << 30) <= 4096:
        return tolist()
    raise NotImplementedError(f"cannot encode objects of type {type(obj).__name__}")


_encoder = msgspec.msgpack.Encoder(enc_hook=_enc_hook)
_dec_control_req = msgspec.msgpack.Decoder(m.ControlRequest)
_dec_control_rep = msgspec.msgpack.Decoder(m.ControlReply)
_dec_frames_req = msgspec.msgpack.Decoder(m.FramesRequest)
_dec_frames_evt = msgspec.msgpack.Decoder(m.FramesEvent)
_dec_state = msgspec.msgpack.Decoder(m.StateMessage)
_dec_header = msgspec.msgpack.Decoder(m.FrameHeader)
_dec_any = msgspec.msgpack.Decoder()
_PATH = re.compile(r" - at `([^`]*)`$")
_TAG = re.compile(r"Invalid value '([^']*)' - at `\$\.type`")
_MISSING = re.compile(r"^Object missing required field `([^`]*)`")


def encode(msg: Any) -> bytes:
    """Encode one message (or any msgspec-encodable value) to MessagePack bytes."""
    return _encoder.encode(msg)


def encode_into(msg: Any, buf: bytearray) -> None:
    """Encode into a reusable buffer (the frame loop reuses one per stream)."""
    _encoder.encode_into(msg, buf)


def _decode(decoder: msgspec.msgpack.Decoder[T], data: bytes | memoryview, plane: str) -> T:
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise _validation_error(str(exc), plane) from None
    except msgspec.DecodeError as exc:
        raise ProtocolError(
            "BAD_REQUEST",
            f"message is not valid MessagePack: {exc}",
            hint="encode each message as one MessagePack map with a `type` field (docs/protocol.md)",
        ) from None
    except UnicodeDecodeError as exc:  # msgspec raises this (not DecodeError) for a str that is not UTF-8
        raise ProtocolError(
            "BAD_REQUEST",
            f"a string is not valid UTF-8: {exc.reason} at byte {exc.start} of the string",
            hint="MessagePack str values must be UTF-8; send raw bytes only where the schema says so",
        ) from None
    except RecursionError:  # msgspec raises this (not DecodeError) for arrays/maps nested ~thousands deep
        raise ProtocolError(
            "BAD_REQUEST",
            "message is nested too deeply",
            hint="no field of the protocol nests more than a few levels (docs/protocol.md)",
        ) from None


def _clip(text: str, limit: int = 256) -> str:
    """Shorten peer-supplied text echoed in errors: `Error.message` is bounded (Text, 4096 chars)."""
    return text if len(text) <= limit else f"{text[: limit - 20]}...({len(text) - limit + 20} more)"


def _validation_error(text: str, plane: str) -> ProtocolError:
    tag = _TAG.search(text)
    if tag is not None:
        return ProtocolError(
            "UNSUPPORTED",
            f"unknown message type {_clip(tag.group(1), 64)!r} on the {plane} plane",
            field="$.type",
            hint="the peer may be newer; see docs/protocol.md for the messages of each plane",
        )
    path = _PATH.search(text)
    field = path.group(1) if path else None
    missing = _MISSING.match(text)
    if missing is not None:  # name the missing field itself, not the object that lacks it
        field = f"{field or '$'}.{missing.group(1)}"
        return ProtocolError(
            "BAD_REQUEST",
            f"missing required field `{field}`",
            field=field,
            hint="see docs/protocol.md for the message's required fields",
        )
    if field is None and text.startswith("Expected `object`"):
        return ProtocolError(
            "BAD_REQUEST",
            f"a {plane}-plane message must be a MessagePack map, not {text.split('got ')[-1]}",
            hint="encode each message as one map with a `type` field (docs/protocol.md)",
        )
    message = _clip(_PATH.sub("", text), 1024)
    if field is not None:
        message = f"{message} at `{field}`"
    return ProtocolError(
        "BAD_REQUEST", message, field=field, hint="see docs/protocol.md for the field's type and range"
    )


# The decoders below annotate their result rather than cast it: msgspec's stubs infer the union type in
# newer versions (a cast is then redundant) and `Any` in older ones (an annotation accepts both).


def decode_control_request(data: bytes | memoryview) -> m.ControlRequest:
    msg: m.ControlRequest = _decode(_dec_control_req, data, "control")
    return msg


def decode_control_reply(data: bytes | memoryview) -> m.ControlReply:
    msg: m.ControlReply = _decode(_dec_control_rep, data, "control")
    return msg


def decode_frames_request(data: bytes | memoryview) -> m.FramesRequest:
    msg: m.FramesRequest = _decode(_dec_frames_req, data, "frames")
    return msg


def decode_frames_event(data: bytes | memoryview) -> m.FramesEvent:
    msg: m.FramesEvent = _decode(_dec_frames_evt, data, "frames")
    return msg


def decode_state(data: bytes | memoryview) -> m.StateMessage:
    msg: m.StateMessage = _decode(_dec_state, data, "state")
    return msg


def decode_header(data: bytes | memoryview) -> m.FrameHeader:
    return _decode(_dec_header, data, "frames")


def decode(data: bytes | memoryview, type: type[T]) -> T:
    """Decode into any one message type (fixtures, tools)."""
    return _decode(msgspec.msgpack.Decoder(type), data, "any")


def request_id_of(data: bytes | memoryview) -> int:
    """Best-effort `rid` of an undecodable request, so its Error can still be matched; 0 if none."""
    try:
        obj = _dec_any.decode(data)
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        return 0
    if isinstance(obj, dict):
        rid = obj.get("rid", obj.get("pose_id", 0))
        if type(rid) is int and 0 <= rid <= 2**53:  # not isinstance: True would echo as a bool rid
            return rid
    return 0


def check_frame_parts(header: m.FrameHeader, parts: Sequence[Any]) -> None:
    """Raise ProtocolError unless the payload parts match the header's part list."""
    if len(parts) != len(header.parts):
        raise ProtocolError(
            "BAD_REQUEST", f"frame header lists {len(header.parts)} parts but {len(parts)} followed"
        )
    for i, (info, part) in enumerate(zip(header.parts, parts, strict=True)):
        n = memoryview(part).nbytes
        if n != info.nbytes:
            raise ProtocolError(
                "BAD_REQUEST", f"part {i} ({info.kind}) has {n} bytes, header says {info.nbytes}"
            )
