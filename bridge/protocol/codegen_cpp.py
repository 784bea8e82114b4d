"""Generate the C++ message header (engine_plugin/cpp/include/vpbridge/messages.hpp) from the schema.

    python -m bridge.protocol.codegen_cpp           # rewrite the header
    python -m bridge.protocol.codegen_cpp --check   # exit 1 when the checked-in header is stale

Walks `msgspec.inspect` type info of every message, so the C++ structs have the schema's field
names, defaults and evolution rules (unknown keys skipped, missing optional fields defaulted,
missing required fields an error, default-valued fields omitted when encoding, like the server).
"""

from __future__ import annotations

import argparse
import enum
import json
import sys
import types
from pathlib import Path
from typing import Any, get_args

import msgspec
import msgspec.inspect as mi

from bridge.protocol import messages as m

__all__ = ["HEADER", "generate", "main"]

HEADER = (
    Path(__file__).resolve().parents[2] / "engine_plugin" / "cpp" / "include" / "vpbridge" / "messages.hpp"
)

# Literal aliases named in messages.py: their value sets become `enum class` types of the same name.
_LITERAL_NAMES = {"Role", "ColorEncoding", "DepthEncoding", "IdsEncoding", "Projection"}
# Planes' unions: a `decode_<snake>` function each.
_UNIONS = ("ControlRequest", "ControlReply", "FramesRequest", "FramesEvent", "StateMessage")
_CPP_KEYWORDS = {"default", "delete", "new", "class", "struct", "template", "operator", "register", "union"}


def _ident(name: str) -> str:
    return f"{name}_" if name in _CPP_KEYWORDS else name


class _Gen:
    def __init__(self) -> None:
        self.literals: dict[tuple[str, ...], str] = {}
        for name in sorted(_LITERAL_NAMES):
            values = tuple(sorted(str(v) for v in get_args(getattr(m, name))))
            self.literals[values] = name
        self.enums: dict[str, tuple[str, ...]] = {}  # C++ enum name -> values, in first-use order
        self.structs: list[mi.StructType] = []  # dependency order
        self.seen: set[type[Any]] = set()
        self.variants: dict[frozenset[type[Any]], str] = {}
        for name in dir(m):
            value = getattr(m, name)
            if isinstance(value, types.UnionType) and all(isinstance(a, type) for a in get_args(value)):
                if all(issubclass(a, msgspec.Struct) for a in get_args(value)):
                    self.variants[frozenset(get_args(value))] = name

    # -- types ---------------------------------------------------------------------------------

    def visit(self, t: mi.StructType) -> None:
        if t.cls in self.seen:
            return
        self.seen.add(t.cls)
        for f in t.fields:
            self.cpp_type(f.type, owner=t.cls.__name__, field=f.name)
        self.structs.append(t)

    def cpp_type(self, t: mi.Type, owner: str = "", field: str = "") -> str:
        match t:
            case mi.BoolType():
                return "bool"
            case mi.IntType():
                return "std::int64_t"
            case mi.FloatType():
                return "double"
            case mi.StrType():
                return "std::string"
            case mi.BytesType():
                return "Bytes"
            case mi.VarTupleType(item_type=mi.FloatType(), min_length=16, max_length=16):
                return "Mat4"
            case mi.ListType(item_type=item) | mi.VarTupleType(item_type=item):
                return f"std::vector<{self.cpp_type(item, owner, field)}>"
            case mi.DictType(key_type=mi.StrType(), value_type=value):
                return f"std::map<std::string, {self.cpp_type(value, owner, field)}>"
            case mi.StructType():
                self.visit(t)
                return t.cls.__name__
            case mi.EnumType(cls=cls):
                self.enums.setdefault(cls.__name__, tuple(str(e.value) for e in cls))
                return str(cls.__name__)
            case mi.LiteralType(values=values):
                key = tuple(sorted(str(v) for v in values))
                name = self.literals.get(key) or f"{owner}{field[:1].upper()}{field[1:]}"
                self.enums.setdefault(name, key)
                return name
            case mi.UnionType(types=members):
                rest = [x for x in members if not isinstance(x, mi.NoneType)]
                optional = len(rest) < len(members)
                if self._is_param_value(rest):
                    return "ParamValue"
                if len(rest) == 1:
                    inner = self.cpp_type(rest[0], owner, field)
                elif all(isinstance(x, mi.StructType) for x in rest):
                    for x in rest:
                        assert isinstance(x, mi.StructType)
                        self.visit(x)
                    inner = self.variants[frozenset(x.cls for x in rest if isinstance(x, mi.StructType))]
                else:
                    raise TypeError(f"{owner}.{field}: no C++ mapping for union {t}")
                return f"std::optional<{inner}>" if optional else inner
        raise TypeError(f"{owner}.{field}: no C++ mapping for {t}")

    @staticmethod
    def _is_param_value(rest: list[mi.Type]) -> bool:
        kinds = {type(x).__name__ for x in rest}
        return kinds == {"BoolType", "IntType", "FloatType", "StrType", "ListType"}

    # -- defaults ------------------------------------------------------------------------------

    def default(self, f: mi.Field, ctype: str) -> tuple[str, str] | None:
        """(C++ initializer, C++ expression true when the field differs from its default), or None."""
        if f.required:
            return None
        if f.default_factory is not msgspec.NODEFAULT:
            return "{}", f"!v.{_ident(f.name)}.empty()"
        d = f.default
        name = f"v.{_ident(f.name)}"
        if d is None:
            return "{}", f"{name}.has_value()"
        if isinstance(d, bool):
            lit = "true" if d else "false"
        elif isinstance(d, int | float):
            lit = repr(d)
        elif isinstance(d, enum.Enum):
            lit = f"{ctype}::{d.value}"
        elif isinstance(d, str) and ctype in self.enums:
            lit = f"{ctype}::{d}"
        elif isinstance(d, str):
            lit = json.dumps(d)
        else:
            raise TypeError(f"{f.name}: no C++ default for {d!r}")
        return lit, f"{name} != {lit}"

    # -- emit ----------------------------------------------------------------------------------

    def emit(self) -> str:
        for cls in m.ALL_MESSAGES:
            self.visit(mi.type_info(cls))  # type: ignore[arg-type]
        ctypes = {
            t.cls: [self.cpp_type(f.type, t.cls.__name__, f.name) for f in t.fields] for t in self.structs
        }
        out: list[str] = [_PROLOGUE.format(version=m.PROTOCOL_VERSION)]
        for name, values in self.enums.items():
            out.append(self._enum(name, values))
        out.append("// -- structs " + "-" * 87)
        emitted: set[type[Any]] = set()
        pending = {k: v for k, v in self.variants.items() if v not in _UNIONS}
        for t in self.structs:
            out.append(self._struct(t, ctypes[t.cls]))
            emitted.add(t.cls)
            for members, vname in list(pending.items()):
                if members <= emitted:  # a union of nested structs follows its last member
                    out.append(self._variant(vname, members))
                    del pending[members]
        out.append("// -- codec " + "-" * 89)
        for t in self.structs:
            out.append(self._codec(t, ctypes[t.cls]))
        for members, vname in self.variants.items():
            if vname not in _UNIONS:
                out.append(self._variant_codec(vname, members))
        out.append("// -- one tagged union per plane and direction " + "-" * 52)
        for vname in _UNIONS:
            members = frozenset(get_args(getattr(m, vname)))
            out.append(self._variant(vname, members))
            out.append(self._variant_codec(vname, members))
        out.append(_EPILOGUE)
        return "\n".join(out)

    def _ordered(self, members: frozenset[type[Any]]) -> list[type[Any]]:
        order = [s.cls for s in self.structs]
        return sorted(members, key=order.index)

    def _enum(self, name: str, values: tuple[str, ...]) -> str:
        body = ", ".join(values)
        cases = "\n".join(f'    case {name}::{v}: return "{v}";' for v in values)
        parse = "\n".join(f'  if (s == "{v}") {{ out = {name}::{v}; return true; }}' for v in values)
        return (
            f"enum class {name} {{ {body} }};\n"
            f"[[nodiscard]] inline const char* to_string({name} v) noexcept {{\n  switch (v) {{\n{cases}\n  }}\n"
            '  return "?";\n}\n'
            f"[[nodiscard]] inline bool from_string(std::string_view s, {name}& out) noexcept {{\n{parse}\n"
            "  return false;\n}\n"
            f"inline void read_value(const msgpack::object& o, {name}& v, const char* field) {{\n"
            "  const std::string_view s = read_str(o, field);\n"
            f'  if (!from_string(s, v)) detail::bad_value(field, "{name}", s);\n}}\n'
            f"inline void write_value(Packer& pk, {name} v) {{ write_value(pk, std::string_view(to_string(v))); }}\n"
        )

    def _struct(self, t: mi.StructType, ctypes: list[str]) -> str:
        doc = (t.cls.__doc__ or "").strip().splitlines()
        lines = [f"/// {doc[0]}" if doc else f"/// `{t.cls.__name__}`"]
        lines.append(f"struct {t.cls.__name__} {{")
        if t.tag is not None:
            lines.append(f'  static constexpr const char* TAG = "{t.tag}";')
        for f, ctype in zip(t.fields, ctypes, strict=True):
            d = self.default(f, ctype)
            init = "{}" if d is None else ("{}" if d[0] == "{}" else f"{{{d[0]}}}")
            req = "  // required" if f.required else ""
            lines.append(f"  {ctype} {_ident(f.name)}{init};{req}")
        lines.append("};")
        eq = " &&\n         ".join(f"a.{_ident(f.name)} == b.{_ident(f.name)}" for f in t.fields) or "true"
        name = t.cls.__name__
        lines.append(
            f"[[nodiscard]] inline bool operator==(const {name}& a, const {name}& b) {{\n  return {eq};\n}}"
        )
        lines.append(
            f"[[nodiscard]] inline bool operator!=(const {name}& a, const {name}& b) {{ return !(a == b); }}"
        )
        lines.append(f"inline void read_value(const msgpack::object& o, {name}& v, const char* field);")
        lines.append(f"inline void write_value(Packer& pk, const {name}& v);\n")
        return "\n".join(lines)

    def _codec(self, t: mi.StructType, ctypes: list[str]) -> str:
        name = t.cls.__name__
        conds = []
        for f, ctype in zip(t.fields, ctypes, strict=True):
            d = self.default(f, ctype)
            conds.append("true" if d is None else d[1])
        tagged = t.tag is not None
        w = [f"inline void write_value(Packer& pk, const {name}& v) {{"]
        for i, c in enumerate(conds):
            w.append(f"  const bool w{i} = {c};")
        count = " + ".join([str(int(tagged))] + [f"int(w{i})" for i in range(len(conds))])
        w.append(f"  pk.pack_map(static_cast<std::uint32_t>({count}));")
        if tagged:
            w.append(
                f'  write_value(pk, std::string_view("type"));\n  write_value(pk, std::string_view({name}::TAG));'
            )
        for i, f in enumerate(t.fields):
            w.append(
                f'  if (w{i}) {{ write_value(pk, std::string_view("{f.encode_name}")); '
                f"write_value(pk, v.{_ident(f.name)}); }}"
            )
        w.append("}")
        r = [f"inline void read_value(const msgpack::object& o, {name}& v, const char* field) {{"]
        r.append(f'  if (o.type != msgpack::type::MAP) detail::bad_type(field, "a {name} map", o);')
        r.append("  std::uint64_t seen = 0;")
        r.append("  for (std::uint32_t i = 0; i < o.via.map.size; ++i) {")
        r.append("    const msgpack::object_kv& kv = o.via.map.ptr[i];")
        r.append("    if (kv.key.type != msgpack::type::STR) continue;")
        r.append("    const std::string_view k(kv.key.via.str.ptr, kv.key.via.str.size);")
        for i, f in enumerate(t.fields):
            kw = "if" if i == 0 else "else if"
            r.append(
                f'    {kw} (k == "{f.encode_name}") {{ read_value(kv.val, v.{_ident(f.name)}, "{f.encode_name}"); '
                f"seen |= {1 << i}ULL; }}"
            )
        if tagged:
            kw = "if" if not t.fields else "else if"
            r.append(f'    {kw} (k == "type") detail::check_tag(kv.val, {name}::TAG);')
        r.append("    // unknown keys are skipped: a newer peer may send fields this schema lacks")
        r.append("  }")
        for i, f in enumerate(t.fields):
            if f.required:
                r.append(f'  if (!(seen & {1 << i}ULL)) detail::missing("{name}", "{f.encode_name}");')
        r.append("  (void)seen;")
        r.append("}")
        return "\n".join(w + r) + "\n"

    def _variant(self, vname: str, members: frozenset[type[Any]]) -> str:
        names = ", ".join(c.__name__ for c in self._ordered(members))
        return (
            f"using {vname} = std::variant<{names}>;\n"
            f"inline void read_value(const msgpack::object& o, {vname}& v, const char* field);\n"
            f"inline void write_value(Packer& pk, const {vname}& v);\n"
        )

    def _variant_codec(self, vname: str, members: frozenset[type[Any]]) -> str:
        lines = [f"inline void read_value(const msgpack::object& o, {vname}& v, const char* field) {{"]
        lines.append("  const std::string_view tag = detail::tag_of(o, field);")
        for c in self._ordered(members):
            lines.append(
                f"  if (tag == {c.__name__}::TAG) {{ {c.__name__} x; read_value(o, x, field); "
                "v = std::move(x); return; }"
            )
        lines.append(f'  throw UnknownMessage(tag, "{vname}");')
        lines.append("}")
        lines.append(
            f"inline void write_value(Packer& pk, const {vname}& v) {{\n"
            "  std::visit([&pk](const auto& x) { write_value(pk, x); }, v);\n}"
        )
        snake = "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in vname).lstrip("_")
        lines.append(
            f"/// Decode one `{vname}` body; throws DecodeError, or UnknownMessage for a type this schema lacks.\n"
            f"[[nodiscard]] inline {vname} decode_{snake}(const void* data, std::size_t size) {{\n"
            f"  {vname} v;\n"
            f'  detail::decode_into(data, size, v, "{vname}");\n'
            "  return v;\n}\n"
        )
        return "\n".join(lines)


_PROLOGUE = """\
// GENERATED by `python -m bridge.protocol.codegen_cpp` from bridge/protocol/messages.py: do not edit.
// tests/protocol/test_codegen.py fails when this file is stale. The wire rules (docs/protocol.md):
// every message is one MessagePack map tagged by "type"; unknown keys are skipped; missing optional
// fields take their defaults; fields equal to their default are omitted when encoding.
#pragma once

#include "vpbridge/wire.hpp"

// <windows.h> defines `near` and `far` as empty macros; the schema has fields of those names.
#pragma push_macro("near")
#pragma push_macro("far")
#undef near
#undef far

namespace vpbridge::msg {{

/// The protocol version this header speaks (semver).
inline constexpr const char* PROTOCOL_VERSION = "{version}";

// -- enums ---------------------------------------------------------------------------------------
"""

_EPILOGUE = """\
}  // namespace vpbridge::msg

#pragma pop_macro("far")
#pragma pop_macro("near")
"""


def generate() -> str:
    """The header's full text."""
    return _Gen().emit()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bridge.protocol.codegen_cpp",
        description="Generate the C++ message header from bridge/protocol/messages.py.",
        epilog="example: python -m bridge.protocol.codegen_cpp --check",
    )
    p.add_argument("--check", action="store_true", help="exit 1 if the checked-in header is stale")
    p.add_argument("--out", type=Path, default=HEADER, help=f"output path (default {HEADER})")
    args = p.parse_args(argv)
    text = generate()
    if args.check:
        current = args.out.read_text() if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is stale: run `python -m bridge.protocol.codegen_cpp`", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
