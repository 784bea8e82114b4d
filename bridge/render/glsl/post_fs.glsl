#version 330 core
// Post pass: sky behind geometry, fog / aerial perspective, exposure, filmic tone map, colour grade,
// vignette and grain; linear depth and ids flipped to row 0 at the top. EQUIRECT resamples a cube
// atlas (six 90-degree faces side by side, already lit by resolve_fs) into a latitude-longitude image
// instead. Perspective views are lit here, from the G-buffer, once per visible pixel: in two draws,
// PASS_GEOMETRY where the scene's depth test finds geometry and PASS_SKY where it finds none.
#include "lighting.glsl"
#include "shading.glsl"
uniform sampler2D u_hdr;       // radiance: the bare floor's, or the lit cube atlas
uniform sampler2D u_depth;
uniform usampler2D u_ids;
uniform ivec2 u_size;          // output size
uniform mat3 u_cam_rot;        // world from camera
uniform vec4 u_tan;            // tan(left), tan(right), tan(up), tan(down)
uniform float u_fog_density;
uniform float u_exposure;
uniform float u_saturation;
uniform float u_contrast;
uniform vec3 u_lift;
uniform vec3 u_gamma;
uniform vec3 u_gain;
uniform float u_vignette;
uniform float u_grain;
uniform uint u_seed;
#ifdef EQUIRECT
uniform int u_face_px;
uniform mat3 u_face_rot[6];    // camera from face
#endif
layout(location = 0) out vec4 f_color;
layout(location = 1) out float f_depth;
layout(location = 2) out uint f_id;

vec3 aces(vec3 x) {
    // Narkowicz's fit of the ACES filmic curve.
    return clamp((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), 0.0, 1.0);
}

vec3 filmic(vec3 x) {
    // Per-channel ACES bleaches bright colours to white; blending in the curve applied to luminance
    // alone keeps lit windows and neon in their hue, as film does.
    float l = dot(x, vec3(0.2126, 0.7152, 0.0722));
    vec3 hue = min(x * (aces(vec3(l)).x / max(l, 1e-6)), vec3(1.0));
    return mix(aces(x), hue, 0.6);
}

uint hash(uint x) {
    x ^= x >> 16; x *= 0x7feb352du; x ^= x >> 15; x *= 0x846ca68bu; x ^= x >> 16;
    return x;
}

void main() {
    ivec2 px = ivec2(gl_FragCoord.xy);
    // Readback starts at GL row 0, so output row px.y is image row px.y counted from the top.
    int row = px.y;
    vec3 hdr;
    float dist;                       // metres along the ray, +inf for sky
    float out_depth;
    uint oid;
    vec3 dir;
#ifdef EQUIRECT
    float lon = ((float(px.x) + 0.5) / float(u_size.x) - 0.5) * 2.0 * PI;
    float lat = 0.5 * PI - (float(row) + 0.5) / float(u_size.y) * PI;
    vec3 dc = vec3(sin(lon) * cos(lat), sin(lat), -cos(lon) * cos(lat));
    int face = 0;
    vec3 loc = vec3(0.0, 0.0, -1.0);
    for (int i = 0; i < 6; ++i) {
        vec3 l = transpose(u_face_rot[i]) * dc;
        if (-l.z >= max(abs(l.x), abs(l.y))) { face = i; loc = l; }
    }
    vec2 t = loc.xy / -loc.z;                       // -1..1 on the face
    float fp = float(u_face_px);
    vec2 fpix = clamp((t * 0.5 + 0.5) * fp, vec2(0.5), vec2(fp - 0.5));
    vec2 apix = fpix + vec2(float(face) * fp, 0.0);
    ivec2 ip = ivec2(apix);
    vec2 atlas = vec2(textureSize(u_hdr, 0));
    hdr = textureLod(u_hdr, apix / atlas, 0.0).rgb;
    float d = texelFetch(u_depth, ip, 0).r;
    dist = linear_z(d) * sqrt(1.0 + dot(t, t));
    out_depth = dist;
    oid = texelFetch(u_ids, ip, 0).r;
    dir = u_cam_rot * dc;
#else
#ifdef BARE
    ivec2 src = ivec2(px.x, u_size.y - 1 - row);  // the floor's scene pass is bottom-up
#else
    ivec2 src = px;  // the G-buffer is drawn upside down, row 0 at the top like the output
#endif
    float d = texelFetch(u_depth, src, 0).r;
    vec2 uv = (vec2(px.x, u_size.y - 1 - row) + 0.5) / vec2(u_size);  // 0 at the bottom, as GL's NDC
    vec3 dcam = vec3(mix(u_tan.x, u_tan.y, uv.x), mix(u_tan.w, u_tan.z, uv.y), -1.0);
    float z = linear_z(d);
    dist = z * length(dcam);
    out_depth = z;
    uvec2 id_mat = texelFetch(u_ids, src, 0).rg;
    oid = id_mat.r;
    dir = normalize(u_cam_rot * dcam);
#if defined(BARE)
    hdr = texelFetch(u_hdr, src, 0).rgb;
#elif defined(PASS_SKY)
    hdr = vec3(0.0);
#elif defined(PASS_GEOMETRY)
    hdr = shade(src, id_mat.g, dir, dist);
#else
    hdr = d >= 1.0 ? vec3(0.0) : shade(src, id_mat.g, dir, dist);
#endif
#endif
    // PASS_SKY / PASS_GEOMETRY: the depth test already chose the pixels, and a constant lets the compiler
    // drop the other side (llvmpipe would run both sides of a branch under a mask).
#if defined(PASS_SKY) && !defined(EQUIRECT)
    const bool sky = true;
#elif defined(PASS_GEOMETRY) && !defined(EQUIRECT)
    const bool sky = false;
#else
    bool sky = d >= 1.0;
#endif
#ifdef BARE
    f_color = vec4(hdr, 1.0);
    f_depth = sky ? uintBitsToFloat(0x7f800000u) : out_depth;
    f_id = oid;
    return;
#endif
    if (sky) {
        hdr = sky_radiance(dir);
        out_depth = uintBitsToFloat(0x7f800000u);
        oid = 0u;
    } else {
        vec3 fog = sky_gradient(normalize(vec3(dir.x, max(dir.y, 0.0), dir.z)));
        hdr = mix(fog, hdr, exp(-u_fog_density * dist));
    }
    vec3 c = filmic(hdr * u_exposure);
    // Grade in display space, as a colourist's LUT would. The display encode (a 2.2 power, close to
    // sRGB) and the grade's gamma share one pow(): it is the costly instruction on llvmpipe.
    vec3 s = pow(c, 1.0 / (2.2 * u_gamma));
    s = clamp((s - 0.5) * u_contrast + 0.5, 0.0, 1.0);
    s = clamp(u_gain * (s + u_lift * (1.0 - s)), 0.0, 1.0);
    float luma = dot(s, vec3(0.2126, 0.7152, 0.0722));
    s = max(mix(vec3(luma), s, u_saturation), 0.0);
    vec2 q = (vec2(px.x, row) + 0.5) / vec2(u_size) - 0.5;
#ifndef EQUIRECT
    s *= 1.0 - u_vignette * smoothstep(0.2, 0.75, length(q * vec2(float(u_size.x) / float(u_size.y), 1.0)) * 0.8);
#endif
    // Monochrome grain seeded by the pose: the same pose gives the same frame, bit for bit.
    uint h = hash(uint(px.x) + hash(uint(px.y) ^ u_seed) * 2654435761u);
    float g = (float(h & 0xffffu) / 65535.0 - 0.5) * 0.25 * u_grain;
    s = clamp(s + g * (1.0 - s) * sqrt(max(s, vec3(0.02))), 0.0, 1.0);
    f_color = vec4(s, 1.0);
    f_depth = out_depth;
    f_id = oid;
}
