#version 330 core
// Forward PBR: GGX/Smith/Schlick sun with a shadow map, hemispheric sky ambient, point lights,
// emissive. Writes scene-referred HDR radiance; fog, sky and grading happen in the post pass.
#include "lighting.glsl"
#define MAX_LIGHTS 4
uniform vec3 u_eye;
uniform vec4 u_base_color;
uniform float u_roughness;
uniform float u_metallic;
uniform vec3 u_emissive;
uniform int u_use_texture;
uniform sampler2D u_texture;
uniform uint u_object_id;
uniform int u_use_shadow;
uniform mat4 u_shadow_matrix;
uniform sampler2DShadow u_shadow_map;
uniform float u_shadow_texel;
uniform int u_light_count;
uniform vec3 u_light_pos[MAX_LIGHTS];
uniform vec4 u_light_color[MAX_LIGHTS];   // rgb * intensity, w = 1 / range^2
in vec3 v_world;
in vec3 v_normal;
in vec2 v_uv;
in vec3 v_color;
layout(location = 0) out vec4 f_color;
layout(location = 1) out uint f_id;

vec3 brdf(vec3 n, vec3 v, vec3 l, vec3 albedo, vec3 f0, float a2) {
    vec3 h = normalize(v + l);
    float nl = max(dot(n, l), 0.0);
    float nv = max(dot(n, v), 1e-4);
    float nh = max(dot(n, h), 0.0);
    float vh = max(dot(v, h), 0.0);
    float t = nh * nh * (a2 - 1.0) + 1.0;
    float d = a2 / (PI * t * t);
    // Height-correlated Smith visibility, the fast approximation.
    float a = sqrt(a2);
    float vis = 0.5 / (nl * (nv * (1.0 - a) + a) + nv * (nl * (1.0 - a) + a) + 1e-5);
    // pow() is a software exp2/log2 on llvmpipe; powers by multiplication are far cheaper.
    float x = 1.0 - vh, x2 = x * x;
    vec3 f = f0 + (1.0 - f0) * (x2 * x2 * x);
    vec3 kd = (1.0 - f) * albedo / PI;
    return (kd + f * d * vis) * nl;
}

float shadow(vec3 n) {
    if (u_use_shadow == 0) return 1.0;
    // Normal offset scaled by the texel size keeps acne away without peter-panning.
    vec4 p = u_shadow_matrix * vec4(v_world + n * (u_shadow_texel * 1.5), 1.0);
    vec3 q = p.xyz / p.w * 0.5 + 0.5;
    if (any(lessThan(q.xy, vec2(0.0))) || any(greaterThan(q.xy, vec2(1.0))) || q.z > 1.0) return 1.0;
    return texture(u_shadow_map, vec3(q.xy, q.z - 0.0015));
}

void main() {
    vec4 base = u_base_color * vec4(v_color, 1.0);
    if (u_use_texture == 1) base *= texture(u_texture, v_uv);
    vec3 v = normalize(u_eye - v_world);
    vec3 n = normalize(v_normal);
    if (dot(n, v) < 0.0) n = -n;  // two-sided: imported meshes are not always closed
    float rough = clamp(u_roughness, 0.04, 1.0);
    float a2 = rough * rough * rough * rough;
    vec3 albedo = base.rgb * (1.0 - u_metallic);
    vec3 f0 = mix(vec3(0.04), base.rgb, u_metallic);

    vec3 c = u_sun_radiance * brdf(n, v, u_sun_dir, albedo, f0, a2) * shadow(n);
    for (int i = 0; i < u_light_count; ++i) {
        vec3 dl = u_light_pos[i] - v_world;
        float d2 = dot(dl, dl);
        float win = clamp(1.0 - d2 * u_light_color[i].w, 0.0, 1.0);
        if (win > 0.0) c += u_light_color[i].rgb * (win * win / max(d2, 0.01)) * brdf(n, v, dl * inversesqrt(d2), albedo, f0, a2);
    }
    // Ambient: diffuse from the sky hemisphere, specular from the sky in the mirror direction,
    // weighted by the analytic environment BRDF (Karis' mobile fit).
    float nv = max(dot(n, v), 1e-4);
    vec4 c0 = vec4(-1.0, -0.0275, -0.572, 0.022);
    vec4 c1 = vec4(1.0, 0.0425, 1.04, -0.04);
    vec4 r = rough * c0 + c1;
    float a004 = min(r.x * r.x, exp2(-9.28 * nv)) * r.x + r.y;
    vec2 ab = vec2(-1.04, 1.04) * a004 + r.zw;
    vec3 refl = reflect(-v, n);
    vec3 env = mix(hemisphere(refl), sky_gradient(refl), 1.0 - rough);
    c += hemisphere(n) * albedo + env * (f0 * ab.x + ab.y);
    c += u_emissive;
    f_color = vec4(c, 1.0);
    f_id = u_object_id;
}
