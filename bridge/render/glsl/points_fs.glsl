#version 330 core
#include "lighting.glsl"
uniform uint u_object_id;
in vec3 v_color;
layout(location = 0) out vec4 f_color;
layout(location = 1) out uint f_id;
void main() {
    vec2 p = gl_PointCoord * 2.0 - 1.0;
    // Opaque discs: splats are drawn as their 2-sigma footprint, which needs no sorting.
    if (dot(p, p) > 1.0) discard;
    vec3 light = hemisphere(vec3(0.0, 1.0, 0.0)) + u_sun_radiance * max(u_sun_dir.y, 0.0) * 0.3;
    f_color = vec4(v_color * light, 1.0);
    f_id = u_object_id;
}
