#version 330 core
// Deferred lighting of one cube-atlas face (drawn in that face's viewport) into the atlas's radiance
// texture, which the 360° post pass then resamples as before.
#include "lighting.glsl"
#include "shading.glsl"
uniform sampler2D u_depth;
uniform usampler2D u_ids;
uniform vec4 u_tan;            // tan(left), tan(right), tan(up), tan(down) of the face
uniform mat3 u_cam_rot;        // world from face
uniform vec2 u_face_origin;    // the face's lower-left corner in the atlas, pixels
uniform float u_face_px;
layout(location = 0) out vec4 f_color;
void main() {
    ivec2 src = ivec2(gl_FragCoord.xy);
    float d = texelFetch(u_depth, src, 0).r;
    if (d >= 1.0) { f_color = vec4(0.0, 0.0, 0.0, 1.0); return; }
    vec2 uv = (gl_FragCoord.xy - u_face_origin) / u_face_px;
    vec3 dcam = vec3(mix(u_tan.x, u_tan.y, uv.x), mix(u_tan.w, u_tan.z, uv.y), -1.0);
    float dist = linear_z(d) * length(dcam);
    f_color = vec4(shade(src, texelFetch(u_ids, src, 0).g, normalize(u_cam_rot * dcam), dist), 1.0);
}
