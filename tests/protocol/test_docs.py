"""docs/protocol.md cannot go stale: its example bytes are what the codec produces, and it names every
message, field and error code of the schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from bridge.protocol import ALL_MESSAGES, decode_control_reply, decode_control_request, encode
from bridge.protocol import messages as m

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
EXAMPLES: dict[str, Any] = {
    "hello": m.Hello(rid=1, protocol="1.0.0", client="demo"),
    "welcome": m.Welcome(
        rid=1,
        protocol="1.0.0",
        server="vpbridge",
        server_version="0.1.0",
        session="6f1c0e5a9b2d4c7e8a3f1b0d",
        role="viewer",
        limits=m.Limits(
            max_message_bytes=1048576,
            max_width=8192,
            max_height=8192,
            max_credits=3,
            max_streams=8,
            heartbeat_ms=2000,
            session_timeout_ms=10000,
        ),
        endpoints=m.Endpoints(state="tcp://127.0.0.1:5556", frames="tcp://127.0.0.1:5557"),
    ),
}


def hex_block(name: str) -> bytes:
    text = DOC.read_text()
    found = re.search(rf"<!-- example:{name} -->\s*```text\n(.*?)```", text, re.S)
    assert found is not None, f"docs/protocol.md has no `<!-- example:{name} -->` hex block"
    return bytes.fromhex(found.group(1).replace("\n", " "))


def hex_lines(data: bytes) -> str:
    return "\n".join(data[i : i + 16].hex(" ") for i in range(0, len(data), 16))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_hex_in_docs_is_what_the_codec_produces(name: str) -> None:
    want = encode(EXAMPLES[name])
    assert hex_block(name) == want, f"update docs/protocol.md, example {name}:\n{hex_lines(want)}"
    assert f"{len(want)} bytes" in DOC.read_text()


def test_example_hex_in_docs_decodes_to_the_example_messages() -> None:
    assert decode_control_request(hex_block("hello")) == EXAMPLES["hello"]
    assert decode_control_reply(hex_block("welcome")) == EXAMPLES["welcome"]


def test_docs_name_every_message_tag_and_field() -> None:
    text = DOC.read_text()
    structs = set(ALL_MESSAGES) | {
        m.Limits,
        m.Endpoints,
        m.EyeView,
        m.ViewInfo,
        m.PartInfo,
        m.StageTimes,
        m.Fov,
        m.Intrinsics,
    }
    for cls in structs:
        if cls in ALL_MESSAGES:
            assert f"`{m.tag_of(cls)}`" in text, f"docs/protocol.md does not describe {m.tag_of(cls)}"
        for field in msgspec.structs.fields(cls):
            assert re.search(rf"\b{field.encode_name}\b", text), (
                f"{cls.__name__}.{field.name} is not documented"
            )


def test_docs_list_every_error_code() -> None:
    text = DOC.read_text()
    for code in m.ErrorCode:
        assert f"| `{code.value}` |" in text, f"error code {code.value} is missing from the table"


def test_docs_state_the_current_protocol_version() -> None:
    assert f"version {m.PROTOCOL_VERSION}" in DOC.read_text().splitlines()[0]
