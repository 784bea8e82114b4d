"""The wire protocol: typed messages (the single source of truth), codec, frame layout, version rules."""

from bridge.protocol import messages
from bridge.protocol.codec import (
    EVENT_TOPIC,
    FRAME_TOPIC,
    STATE_TOPIC,
    decode,
    decode_control_reply,
    decode_control_request,
    decode_frames_event,
    decode_frames_request,
    decode_header,
    decode_state,
    encode,
)
from bridge.protocol.messages import *  # noqa: F403  (the schema module is the public surface)
from bridge.protocol.versioning import SemVer, check_compatible, parse_semver

__all__ = [
    "EVENT_TOPIC",
    "FRAME_TOPIC",
    "STATE_TOPIC",
    "SemVer",
    "check_compatible",
    "decode",
    "decode_control_reply",
    "decode_control_request",
    "decode_frames_event",
    "decode_frames_request",
    "decode_header",
    "decode_state",
    "encode",
    "parse_semver",
]
__all__ += messages.__all__
