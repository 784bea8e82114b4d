// MessagePack value codec under the generated messages (messages.hpp): primitive readers that
// name the bad field, containers, ParamValue, and the decode/encode entry points.
#pragma once

#include <msgpack.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "vpbridge/errors.hpp"

namespace vpbridge::msg {

using Packer = msgpack::packer<msgpack::sbuffer>;
/// Raw bytes (MessagePack `bin`).
using Bytes = std::vector<std::uint8_t>;
/// A rigid 4×4 transform, 16 doubles, row-major: [r00 r01 r02 tx  r10 r11 r12 ty  r20 r21 r22 tz  0 0 0 1].
using Mat4 = std::array<double, 16>;
/// A live-parameter value: nil, bool, int, float, str or a vector of floats.
using ParamValue = std::variant<std::monostate, bool, std::int64_t, double, std::string, std::vector<double>>;

namespace detail {

inline const char* kind_of(const msgpack::object& o) noexcept {
  switch (o.type) {
    case msgpack::type::NIL: return "nil";
    case msgpack::type::BOOLEAN: return "bool";
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER: return "int";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return "float";
    case msgpack::type::STR: return "str";
    case msgpack::type::BIN: return "bin";
    case msgpack::type::ARRAY: return "array";
    case msgpack::type::MAP: return "map";
    default: return "ext";
  }
}

[[noreturn]] inline void bad_type(const char* field, const char* expected, const msgpack::object& o) {
  throw DecodeError(std::string("field `") + field + "`: expected " + expected + ", got " + kind_of(o));
}

[[noreturn]] inline void bad_value(const char* field, const char* type, std::string_view got) {
  throw DecodeError(std::string("field `") + field + "`: '" + std::string(got) + "' is not a valid " + type);
}

[[noreturn]] inline void missing(const char* type, const char* field) {
  throw DecodeError(std::string("missing required field `") + field + "` of " + type);
}

}  // namespace detail

// -- primitives ------------------------------------------------------------------------------------

[[nodiscard]] inline std::string_view read_str(const msgpack::object& o, const char* field) {
  if (o.type != msgpack::type::STR) detail::bad_type(field, "str", o);
  return {o.via.str.ptr, o.via.str.size};
}

inline void read_value(const msgpack::object& o, std::int64_t& v, const char* field) {
  if (o.type == msgpack::type::POSITIVE_INTEGER) {
    if (o.via.u64 > static_cast<std::uint64_t>(INT64_MAX)) detail::bad_type(field, "an int64", o);
    v = static_cast<std::int64_t>(o.via.u64);
  } else if (o.type == msgpack::type::NEGATIVE_INTEGER) {
    v = o.via.i64;
  } else {
    detail::bad_type(field, "int", o);
  }
}

inline void read_value(const msgpack::object& o, double& v, const char* field) {
  switch (o.type) {  // a float field also accepts an integer and float32 (docs/protocol.md §2)
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: v = o.via.f64; return;
    case msgpack::type::POSITIVE_INTEGER: v = static_cast<double>(o.via.u64); return;
    case msgpack::type::NEGATIVE_INTEGER: v = static_cast<double>(o.via.i64); return;
    default: detail::bad_type(field, "float", o);
  }
}

inline void read_value(const msgpack::object& o, bool& v, const char* field) {
  if (o.type != msgpack::type::BOOLEAN) detail::bad_type(field, "bool", o);
  v = o.via.boolean;
}

inline void read_value(const msgpack::object& o, std::string& v, const char* field) {
  const std::string_view s = read_str(o, field);
  v.assign(s.data(), s.size());
}

inline void read_value(const msgpack::object& o, Bytes& v, const char* field) {
  if (o.type != msgpack::type::BIN) detail::bad_type(field, "bin", o);
  v.resize(o.via.bin.size);
  if (o.via.bin.size != 0) std::memcpy(v.data(), o.via.bin.ptr, o.via.bin.size);
}

inline void read_value(const msgpack::object& o, Mat4& v, const char* field) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size != 16) detail::bad_type(field, "an array of 16 floats", o);
  for (std::size_t i = 0; i < 16; ++i) read_value(o.via.array.ptr[i], v[i], field);
}

inline void read_value(const msgpack::object& o, ParamValue& v, const char* field) {
  switch (o.type) {
    case msgpack::type::NIL: v = std::monostate{}; return;
    case msgpack::type::BOOLEAN: v = o.via.boolean; return;
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER: {
      std::int64_t i = 0;
      read_value(o, i, field);
      v = i;
      return;
    }
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: v = o.via.f64; return;
    case msgpack::type::STR: v = std::string(read_str(o, field)); return;
    case msgpack::type::ARRAY: {
      std::vector<double> xs(o.via.array.size);
      for (std::size_t i = 0; i < xs.size(); ++i) read_value(o.via.array.ptr[i], xs[i], field);
      v = std::move(xs);
      return;
    }
    default: detail::bad_type(field, "a parameter value (bool, int, float, str, floats or nil)", o);
  }
}

inline void write_value(Packer& pk, std::int64_t v) { pk.pack_int64(v); }
// Always float64 (0xcb), like msgspec: msgpack-cxx 4.x `pack_double` writes integral doubles as ints,
// which a peer would read back as an int (a ParamValue 1.0 would become 1). `pack_bin_body` only
// appends raw bytes, so it writes the 9 bytes of the float64 as they are.
inline void write_value(Packer& pk, double v) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  char buf[9];
  buf[0] = static_cast<char>(0xcbu);
  for (int i = 0; i < 8; ++i) buf[1 + i] = static_cast<char>((bits >> (56 - 8 * i)) & 0xffu);
  pk.pack_bin_body(buf, 9);
}
inline void write_value(Packer& pk, bool v) { v ? pk.pack_true() : pk.pack_false(); }
inline void write_value(Packer& pk, std::string_view v) {
  pk.pack_str(static_cast<std::uint32_t>(v.size()));
  pk.pack_str_body(v.data(), static_cast<std::uint32_t>(v.size()));
}
inline void write_value(Packer& pk, const std::string& v) { write_value(pk, std::string_view(v)); }
inline void write_value(Packer& pk, const Bytes& v) {
  pk.pack_bin(static_cast<std::uint32_t>(v.size()));
  pk.pack_bin_body(reinterpret_cast<const char*>(v.data()), static_cast<std::uint32_t>(v.size()));
}
inline void write_value(Packer& pk, const Mat4& v) {
  pk.pack_array(16);
  for (double x : v) write_value(pk, x);
}
inline void write_value(Packer& pk, const std::vector<double>& v) {
  pk.pack_array(static_cast<std::uint32_t>(v.size()));
  for (double x : v) write_value(pk, x);
}
inline void write_value(Packer& pk, const ParamValue& v) {
  std::visit(
      [&pk](const auto& x) {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::monostate>) {
          pk.pack_nil();
        } else {
          write_value(pk, x);
        }
      },
      v);
}

// -- containers --------------------------------------------------------------------------------------

template <class T>
void read_value(const msgpack::object& o, std::vector<T>& v, const char* field) {
  if (o.type != msgpack::type::ARRAY) detail::bad_type(field, "array", o);
  v.resize(o.via.array.size);
  for (std::size_t i = 0; i < v.size(); ++i) read_value(o.via.array.ptr[i], v[i], field);
}

template <class T>
void read_value(const msgpack::object& o, std::optional<T>& v, const char* field) {
  if (o.type == msgpack::type::NIL) {
    v.reset();
    return;
  }
  T x{};
  read_value(o, x, field);
  v = std::move(x);
}

template <class V>
void read_value(const msgpack::object& o, std::map<std::string, V>& v, const char* field) {
  if (o.type != msgpack::type::MAP) detail::bad_type(field, "map", o);
  v.clear();
  for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
    const msgpack::object_kv& kv = o.via.map.ptr[i];
    V x{};
    read_value(kv.val, x, field);
    v[std::string(read_str(kv.key, field))] = std::move(x);
  }
}

template <class T>
void write_value(Packer& pk, const std::vector<T>& v) {
  pk.pack_array(static_cast<std::uint32_t>(v.size()));
  for (const T& x : v) write_value(pk, x);
}

template <class T>
void write_value(Packer& pk, const std::optional<T>& v) {
  if (v) {
    write_value(pk, *v);
  } else {
    pk.pack_nil();
  }
}

template <class V>
void write_value(Packer& pk, const std::map<std::string, V>& v) {
  pk.pack_map(static_cast<std::uint32_t>(v.size()));
  for (const auto& [k, x] : v) {
    write_value(pk, std::string_view(k));
    write_value(pk, x);
  }
}

namespace detail {

/// The `type` tag of a message map.
[[nodiscard]] inline std::string_view tag_of(const msgpack::object& o, const char* field) {
  if (o.type != msgpack::type::MAP) bad_type(field, "a message map", o);
  for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
    const msgpack::object_kv& kv = o.via.map.ptr[i];
    if (kv.key.type == msgpack::type::STR && std::string_view(kv.key.via.str.ptr, kv.key.via.str.size) == "type") {
      return read_str(kv.val, "type");
    }
  }
  throw DecodeError(std::string("field `") + field + "`: message map has no `type`");
}

inline void check_tag(const msgpack::object& o, const char* want) {
  const std::string_view got = read_str(o, "type");
  if (got != want) bad_value("type", want, got);
}

/// Unpack `data` (strings and bins referenced in place, not copied) and read it into `v`.
template <class T>
void decode_into(const void* data, std::size_t size, T& v, const char* what) {
  msgpack::object_handle oh;
  try {
    std::size_t off = 0;
    oh = msgpack::unpack(static_cast<const char*>(data), size, off,
                         [](msgpack::type::object_type, std::size_t, void*) { return true; });
    if (off != size) throw DecodeError(std::string(what) + ": trailing bytes after the message");
  } catch (const msgpack::unpack_error& e) {
    throw DecodeError(std::string(what) + ": not valid MessagePack (" + e.what() + ")");
  }
  read_value(oh.get(), v, what);
}

}  // namespace detail

/// Decode one message of a known type (tests, tools); see messages.hpp for the per-plane unions.
template <class T>
[[nodiscard]] T decode(const void* data, std::size_t size) {
  T v{};
  detail::decode_into(data, size, v, "message");
  return v;
}

/// Encode into `out` (cleared first; reuse one buffer per socket to avoid allocations).
template <class T>
void encode_into(const T& msg, msgpack::sbuffer& out) {
  out.clear();
  Packer pk(out);
  write_value(pk, msg);
}

}  // namespace vpbridge::msg
