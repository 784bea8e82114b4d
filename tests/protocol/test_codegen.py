"""The generated C++ message header is current: regenerating it from the schema changes nothing."""

from __future__ import annotations

import msgspec

from bridge.protocol import ALL_MESSAGES, codegen_cpp, tag_of


def test_checked_in_cpp_header_is_what_the_generator_writes_today() -> None:
    assert codegen_cpp.HEADER.exists(), "run `python -m bridge.protocol.codegen_cpp`"
    assert codegen_cpp.HEADER.read_text() == codegen_cpp.generate(), (
        "engine_plugin/cpp/include/vpbridge/messages.hpp is stale: run `python -m bridge.protocol.codegen_cpp`"
    )


def test_check_mode_exits_nonzero_for_a_stale_header(tmp_path) -> None:  # type: ignore[no-untyped-def]
    stale = tmp_path / "messages.hpp"
    stale.write_text("// stale\n")
    assert codegen_cpp.main(["--check", "--out", str(stale)]) == 1
    assert codegen_cpp.main(["--out", str(stale)]) == 0
    assert codegen_cpp.main(["--check", "--out", str(stale)]) == 0


def test_every_message_and_field_has_a_cpp_struct_member() -> None:
    text = codegen_cpp.generate()
    for cls in ALL_MESSAGES:
        assert f"struct {cls.__name__} {{" in text
        assert f'TAG = "{tag_of(cls)}"' in text
        for field in msgspec.structs.fields(cls):
            assert f" {field.name}{{" in text, f"{cls.__name__}.{field.name} missing from the C++ header"
