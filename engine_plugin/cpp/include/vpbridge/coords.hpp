// Coordinate conversion between the wire (right-handed, Y up, metres, camera looks down −Z, +Y up)
// and the engines: Unreal (left-handed, Z up, centimetres; X forward, Y right; a camera looks
// down +X with +Z up) and Blender (right-handed, Z up, metres; a camera looks down −Z with +Y up,
// like the wire, so only the world axes change).
//
//   Unreal  (X, Y, Z) = 100 · (−z, x, y)      of wire (x, y, z)    — a reflection: handedness flips
//   Blender (X, Y, Z) =       ( x, −z, y)      of wire (x, y, z)    — a rotation about X (glTF importer)
//
// Poses are 4×4 row-major with column vectors (the wire's Mat4): columns 0..2 are the camera's
// axes in world coordinates, column 3 its position. For an Unreal FMatrix (row vectors) use the
// columns of the Unreal pose as the FMatrix's X, Y, Z axis rows and origin row.
#pragma once

#include <array>
#include <cmath>

#include "vpbridge/messages.hpp"

namespace vpbridge::coords {

using Mat4 = msg::Mat4;
struct Vec3 {
  double x = 0, y = 0, z = 0;
};
using Mat3 = std::array<double, 9>;  // row-major

inline constexpr double UNREAL_CM_PER_M = 100.0;

namespace detail {
// wire -> Unreal axes (det −1) and wire -> Blender axes (det +1)
inline constexpr Mat3 U = {0, 0, -1, 1, 0, 0, 0, 1, 0};
inline constexpr Mat3 B = {1, 0, 0, 0, 0, -1, 0, 1, 0};

[[nodiscard]] inline Mat3 transpose(const Mat3& a) { return {a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]}; }
[[nodiscard]] inline Mat3 mul(const Mat3& a, const Mat3& b) {
  Mat3 r{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) r[3 * i + j] += a[3 * i + k] * b[3 * k + j];
  return r;
}
[[nodiscard]] inline Vec3 apply(const Mat3& a, const Vec3& v, double s = 1.0) {
  return {s * (a[0] * v.x + a[1] * v.y + a[2] * v.z), s * (a[3] * v.x + a[4] * v.y + a[5] * v.z),
          s * (a[6] * v.x + a[7] * v.y + a[8] * v.z)};
}
[[nodiscard]] inline Mat3 rotation(const Mat4& t) { return {t[0], t[1], t[2], t[4], t[5], t[6], t[8], t[9], t[10]}; }
[[nodiscard]] inline Vec3 translation(const Mat4& t) { return {t[3], t[7], t[11]}; }
[[nodiscard]] inline Mat4 compose(const Mat3& r, const Vec3& p) {
  return {r[0], r[1], r[2], p.x, r[3], r[4], r[5], p.y, r[6], r[7], r[8], p.z, 0, 0, 0, 1};
}
}  // namespace detail

// -- Unreal -------------------------------------------------------------------------------------------

[[nodiscard]] inline Vec3 unreal_from_wire_point(const Vec3& p) { return detail::apply(detail::U, p, UNREAL_CM_PER_M); }
[[nodiscard]] inline Vec3 wire_from_unreal_point(const Vec3& p) {
  return detail::apply(detail::transpose(detail::U), p, 1.0 / UNREAL_CM_PER_M);
}
[[nodiscard]] inline Vec3 unreal_from_wire_direction(const Vec3& d) { return detail::apply(detail::U, d); }
[[nodiscard]] inline Vec3 wire_from_unreal_direction(const Vec3& d) { return detail::apply(detail::transpose(detail::U), d); }

/// A wire camera pose (−Z forward, +Y up) as an Unreal camera pose (+X forward, +Z up, Y right).
[[nodiscard]] inline Mat4 unreal_from_wire_pose(const Mat4& T_world_camera) {
  using namespace detail;
  const Mat3 r = mul(mul(U, rotation(T_world_camera)), transpose(U));
  return compose(r, unreal_from_wire_point(translation(T_world_camera)));
}
[[nodiscard]] inline Mat4 wire_from_unreal_pose(const Mat4& T_world_camera_ue) {
  using namespace detail;
  const Mat3 r = mul(mul(transpose(U), rotation(T_world_camera_ue)), U);
  return compose(r, wire_from_unreal_point(translation(T_world_camera_ue)));
}

// -- Blender ------------------------------------------------------------------------------------------

[[nodiscard]] inline Vec3 blender_from_wire_point(const Vec3& p) { return detail::apply(detail::B, p); }
[[nodiscard]] inline Vec3 wire_from_blender_point(const Vec3& p) { return detail::apply(detail::transpose(detail::B), p); }
[[nodiscard]] inline Vec3 blender_from_wire_direction(const Vec3& d) { return detail::apply(detail::B, d); }
[[nodiscard]] inline Vec3 wire_from_blender_direction(const Vec3& d) { return detail::apply(detail::transpose(detail::B), d); }

/// A wire camera pose as a Blender camera's `matrix_world` (both cameras look down local −Z, +Y up).
[[nodiscard]] inline Mat4 blender_from_wire_pose(const Mat4& T_world_camera) {
  using namespace detail;
  return compose(mul(B, rotation(T_world_camera)), blender_from_wire_point(translation(T_world_camera)));
}
[[nodiscard]] inline Mat4 wire_from_blender_pose(const Mat4& matrix_world) {
  using namespace detail;
  return compose(mul(transpose(B), rotation(matrix_world)), wire_from_blender_point(translation(matrix_world)));
}

// -- lenses ---------------------------------------------------------------------------------------------

/// The symmetric field of view (radians, OpenXR convention) of a lens on a sensor (a cine camera).
[[nodiscard]] inline msg::Fov fov_from_lens(double focal_length_mm, double sensor_width_mm, double sensor_height_mm) {
  msg::Fov f;
  f.right = std::atan(sensor_width_mm / (2.0 * focal_length_mm));
  f.left = -f.right;
  f.up = std::atan(sensor_height_mm / (2.0 * focal_length_mm));
  f.down = -f.up;
  return f;
}

}  // namespace vpbridge::coords
