#version 330 core
// Scan points and splats as opaque discs: the lit colour for the bare floor, else G-buffer texels
// whose material row says "points" (shading.glsl lights them under sky and a little sun).
#include "lighting.glsl"
uniform uint u_object_id;
uniform uint u_material;
in vec3 v_color;
layout(location = 0) out vec4 f_color;
#ifdef BARE
layout(location = 1) out uint f_id;
#else
layout(location = 1) out uvec2 f_id;
layout(location = 2) out vec4 f_albedo;
#endif
void main() {
    vec2 p = gl_PointCoord * 2.0 - 1.0;
    // Opaque discs: splats are drawn as their 2-sigma footprint, which needs no sorting.
    if (dot(p, p) > 1.0) discard;
#ifdef BARE
    vec3 light = hemisphere(vec3(0.0, 1.0, 0.0)) + u_sun_radiance * max(u_sun_dir.y, 0.0) * 0.3;
    f_color = vec4(v_color * light, 1.0);
    f_id = u_object_id;
#else
    f_color = vec4(0.0, 1.0, 0.0, 0.0);
    f_id = uvec2(u_object_id, u_material);
    f_albedo = vec4(sqrt(v_color), 1.0);
#endif
}
